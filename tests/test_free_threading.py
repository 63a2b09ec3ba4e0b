"""One Context, one Poller, one Socket, one Frame, shared by several threads at once.

These run on every build. With the GIL they check that the binding keeps its own state straight
when threads interleave at every point where it lets the GIL go (a blocking wait, a poll); on a
free-threaded CPython (3.14t) the threads really run at the same time. What is promised is
pyzmq's contract: a socket used from two threads at once may raise, and may interleave the parts
of two threads' messages, but never corrupts memory or crashes; a Context and a Poller may be
shared freely. README ("Platforms and threads") says what is and is not thread-safe.

Every loop here is bounded in count and time; each test takes about a second.
"""

import asyncio
import os
import sys
import sysconfig
import threading
import time

import pytest

from conftest import IS_ZMQFAST

THREADS = 4
ROUNDS = 10


def run_threads(targets, timeout=30):
    """Start every target together; return their exceptions (a hang fails the test)."""
    errors = []
    start = threading.Barrier(len(targets))

    def wrap(fn):
        def run():
            try:
                start.wait()
                fn()
            except BaseException as e:  # reported to the test
                errors.append(e)

        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} threads still running after {timeout} s"
    return errors


def _assert_every_message(got, senders, per_sender):
    """got holds b"k:i" from each of `senders` senders for i in range(per_sender), each once."""
    assert sorted(got) == sorted(b"%d:%d" % (k, i)
                                 for k in range(senders) for i in range(per_sender))


def test_one_context_shared_by_threads_that_make_use_and_close_sockets(zmq, ctx, bind, fast):
    received = [0] * THREADS
    per_round = 20

    def worker(k):
        def run():
            for r in range(ROUNDS):
                transport = ("inproc", "tcp")[(k + r) % 2]
                pull = fast(ctx.socket(zmq.PULL))
                push = fast(ctx.socket(zmq.PUSH))
                try:
                    push.connect(bind(pull, transport))
                    for i in range(per_round):
                        push.send(b"%d %d %d" % (k, r, i))
                    for i in range(per_round):
                        assert pull.recv() == b"%d %d %d" % (k, r, i)
                        received[k] += 1
                finally:
                    push.close()
                    pull.close()

        return run

    errors = run_threads([worker(k) for k in range(THREADS)])
    assert not errors, errors[0]
    assert received == [ROUNDS * per_round] * THREADS


def test_one_poller_polled_from_several_threads_while_another_registers_and_unregisters(
        zmq, ctx, bind, fast):
    poller = zmq.Poller()
    pulls, pushes = [], []
    for _ in range(4):
        pull = fast(ctx.socket(zmq.PULL))
        push = fast(ctx.socket(zmq.PUSH))
        push.connect(bind(pull, "inproc"))
        push.send(b"ready")  # each PULL stays readable: the pollers never drain it
        pulls.append(pull)
        pushes.append(push)
        poller.register(pull, zmq.POLLIN)
    extra = fast(ctx.socket(zmq.PULL))
    bind(extra, "inproc")
    rfd, wfd = os.pipe()
    os.write(wfd, b"x")  # readable too
    stop = threading.Event()
    seen = []

    def poll_loop():
        n = 0
        while n < 50 or (not stop.is_set() and n < 2000):
            for obj, ev in poller.poll(5):
                # only what was registered at some point, never a torn or foreign entry
                assert obj in pulls or obj is extra or obj == rfd, obj
                assert ev & zmq.POLLIN, ev
            n += 1
        seen.append(n)

    def churn():
        try:
            for i in range(400):
                poller.register(extra, zmq.POLLIN)
                poller.register(rfd, zmq.POLLIN)
                if i % 3 == 0:
                    poller.modify(pulls[i % 4], zmq.POLLIN)
                time.sleep(0)  # let the pollers in between register and unregister
                poller.unregister(extra)
                poller.unregister(rfd)
        finally:
            stop.set()

    try:
        errors = run_threads([poll_loop, poll_loop, poll_loop, churn])
        assert not errors, errors[0]
        assert len(seen) == 3 and all(n > 0 for n in seen)
        # the poller is still whole: the four sockets, each readable
        assert sorted(id(s) for s, _ in poller.poll(1000)) == sorted(id(s) for s in pulls)
    finally:
        os.close(rfd)
        os.close(wfd)
        for s in pulls + pushes + [extra]:
            s.close()


# zmqfast only: libzmq's sockets are not thread-safe, and pyzmq 27 on libzmq dies here (a
# floating-point exception in libzmq, seen on this test's tcp case).
@pytest.mark.zmqfast_only
@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_one_socket_hammered_by_several_threads_loses_and_duplicates_nothing(
        zmq, ctx, bind, fast, transport):
    # Single frames only: two threads sending multipart messages on one socket may interleave
    # their parts (with pyzmq too); that is the caller's to avoid, not a memory-safety matter.
    senders, per_sender = 2, 300
    pull = fast(ctx.socket(zmq.PULL))
    push = fast(ctx.socket(zmq.PUSH))
    push.connect(bind(pull, transport))
    push.send(b"hello")
    assert pull.recv() == b"hello"  # the connection is up before the threads start
    got = []
    lock = threading.Lock()
    expected = senders * per_sender
    done = threading.Event()

    def sender(k):
        def run():
            for i in range(per_sender):
                while True:
                    try:
                        # DONTWAIT from half the threads, blocking from the others
                        push.send(b"%d:%d" % (k, i), zmq.NOBLOCK if k % 2 else 0)
                        break
                    except zmq.Again:
                        time.sleep(0.0005)

        return run

    def receiver(k):
        def run():
            mine = []
            deadline = time.monotonic() + 20
            while not done.is_set() and time.monotonic() < deadline:
                try:
                    if k % 2:
                        mine.append(pull.recv(zmq.NOBLOCK))
                    elif pull.poll(20, zmq.POLLIN):
                        mine.append(pull.recv(zmq.NOBLOCK))
                except zmq.Again:
                    time.sleep(0.0002)  # another receiver took it
                    continue
                with lock:
                    got.extend(mine)
                    mine.clear()
                    if len(got) >= expected:
                        done.set()

        return run

    try:
        errors = run_threads([sender(k) for k in range(senders)]
                             + [receiver(k) for k in range(THREADS)])
        assert not errors, errors[0]
        assert len(got) == expected, f"{len(got)} of {expected} received"
        _assert_every_message(got, senders, per_sender)
    finally:
        push.close()
        pull.close()


# zmqfast only: with libzmq a close from another thread is undefined (pyzmq's blocked threads
# are not woken: seen here with pyzmq 27).
@pytest.mark.zmqfast_only
def test_closing_a_socket_wakes_every_thread_blocked_in_it_with_enotsock(zmq, ctx, bind):
    pull = ctx.socket(zmq.PULL)
    bind(pull, "inproc")
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.SNDHWM, 1)
    bind(push, "inproc")  # no peer: a send blocks
    entered = threading.Barrier(4 + 1)
    outcomes = []

    def blocked(call):
        def run():
            entered.wait()
            try:
                call()  # no timeout: only the close can end it
                outcomes.append("returned")
            except zmq.ZMQError as e:
                outcomes.append(e.errno)

        return run

    threads = [threading.Thread(target=blocked(f), daemon=True)
               for f in (pull.recv, pull.recv, pull.recv_multipart, lambda: push.send(b"x"))]
    for t in threads:
        t.start()
    entered.wait()
    time.sleep(0.2)  # every thread is asleep in its socket by now
    pull.close(linger=0)
    push.close(linger=0)
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads), "a thread stayed blocked on a closed socket"
    assert outcomes == [zmq.ENOTSOCK] * 4


# A Poller sleeping on a socket's fd is woken by close's signal only if no thread blocked in recv
# on the same socket drained it first: zf_sock_close (csrc/socket.c) raises the signal while
# waiters are inside, not once more after the socket is marked closed. Seen failing here on
# 3.11 (5 runs of 6) and 3.14t (4 of 4); the engine's to fix. The polls are bounded (3 s), so a
# missed wake-up shows as a late return, never as a thread left behind.
@pytest.mark.zmqfast_only
def test_closing_a_socket_wakes_pollers_sleeping_on_it_beside_blocked_receivers(zmq, ctx, bind):
    pull = ctx.socket(zmq.PULL)
    bind(pull, "inproc")
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    entered = threading.Barrier(4 + 1)
    ended = {}

    def run(name, call):
        def go():
            entered.wait()
            try:
                call()
            except zmq.ZMQError:
                pass
            ended[name] = time.monotonic()

        return go

    threads = [threading.Thread(target=run(n, f), daemon=True) for n, f in
               (("recv1", pull.recv), ("recv2", pull.recv),
                ("poll1", lambda: poller.poll(3000)), ("poll2", lambda: poller.poll(3000)))]
    for t in threads:
        t.start()
    entered.wait()
    time.sleep(0.2)
    t0 = time.monotonic()
    pull.close(linger=0)
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    late = {n: round(t - t0, 2) for n, t in ended.items() if t - t0 > 1.5}
    assert not late, f"woken only by their timeout: {late}"


def test_a_frame_read_from_several_threads_gives_one_bytes_object_and_one_view(
        zmq, ctx, bind, fast):
    pull = fast(ctx.socket(zmq.PULL))
    push = fast(ctx.socket(zmq.PUSH))
    try:
        push.connect(bind(pull, "inproc"))
        payload = os.urandom(100000)
        push.send(payload, copy=False)
        frame = pull.recv(copy=False)
        seen_bytes, seen_views = [], []

        def reader():
            for _ in range(200):
                seen_bytes.append(frame.bytes)
                seen_views.append(frame.buffer)

        errors = run_threads([reader] * THREADS)
        assert not errors, errors[0]
        assert all(b is seen_bytes[0] for b in seen_bytes)
        assert all(v is seen_views[0] for v in seen_views)
        assert seen_bytes[0] == payload and bytes(seen_views[0]) == payload
    finally:
        push.close()
        pull.close()


def test_asyncio_loops_in_several_threads_share_one_context(zmq, ctx, bind):
    azmq = pytest.importorskip(zmq.__name__ + ".asyncio")
    actx = azmq.Context.shadow(ctx.underlying)
    per_loop = 100
    counts = []

    def loop_thread():
        async def main():
            pull = actx.socket(zmq.PULL)
            push = actx.socket(zmq.PUSH)
            pull.linger = push.linger = 0
            try:
                push.connect(bind(pull, "inproc"))

                async def send_all():
                    for i in range(per_loop):
                        await push.send_multipart([b"n", b"%d" % i])

                task = asyncio.ensure_future(send_all())
                n = 0
                for i in range(per_loop):
                    msg = await asyncio.wait_for(pull.recv_multipart(), 10)
                    assert msg == [b"n", b"%d" % i]
                    n += 1
                await task
                return n
            finally:
                push.close()
                pull.close()

        counts.append(asyncio.run(main()))

    errors = run_threads([loop_thread] * THREADS)
    assert not errors, errors[0]
    assert counts == [per_loop] * THREADS


@pytest.mark.skipif(not IS_ZMQFAST, reason="about zmqfast's own extension")
@pytest.mark.skipif(not sysconfig.get_config_var("Py_GIL_DISABLED"),
                    reason="only a free-threaded CPython can re-enable the GIL")
def test_on_free_threaded_cpython_importing_the_extension_leaves_the_gil_off():
    # The extension declares itself free-threading compatible (Py_mod_gil): importing it must
    # not turn the GIL back on, nor warn that it did.
    import subprocess

    env = dict(os.environ)
    env.pop("PYTHON_GIL", None)
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys, zmqfast; print(sys._is_gil_enabled())"],
        env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert "GIL" not in out.stderr, out.stderr


# ---- one socket hammered by several threads at once ----------------------------------------------
# What pyzmq promises of a socket used from several threads (it may raise, it must not crash) and,
# beyond it, what zmqfast keeps: no message lost or doubled, and no thread left asleep while
# there is work for it. Each runs on every build: with the GIL the threads interleave wherever
# the GIL is let go (every blocking wait), without it (3.14t) they really run at once.
# zmqfast only: pyzmq on libzmq dies in these (see the hammer test above).


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_blocked_senders_and_receivers_on_one_pair_all_finish_with_every_message(
        zmq, ctx, bind, transport):
    # Four threads blocking in send on one PUSH (a small HWM: they sleep for room) and four
    # blocking in recv on one PULL: one wake-up shared by several sleepers must reach each of
    # them (the stall this replaces delivered 5-35 % of the messages without the GIL).
    senders = receivers = 4
    per_sender = 1500
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    pull.sndhwm = pull.rcvhwm = push.sndhwm = push.rcvhwm = 10
    pull.linger = push.linger = 0
    pull.rcvtimeo = 3000  # ends the receivers once everything is in
    push.connect(bind(pull, transport))
    got = [[] for _ in range(receivers)]

    def sender(k):
        def run():
            for i in range(per_sender):
                push.send(b"%d:%d" % (k, i))  # blocking, no timeout: a lost wake-up hangs here

        return run

    def receiver(k):
        def run():
            try:
                while True:
                    got[k].append(pull.recv())
            except zmq.Again:
                pass

        return run

    try:
        errors = run_threads([sender(k) for k in range(senders)]
                             + [receiver(k) for k in range(receivers)], timeout=60)
        assert not errors, errors[0]
        every = [m for g in got for m in g]
        assert len(every) == senders * per_sender
        assert sorted(every) == sorted(b"%d:%d" % (k, i)
                                       for k in range(senders) for i in range(per_sender))
    finally:
        push.close()
        pull.close()


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("what", ["send", "recv"])
def test_closing_a_socket_while_threads_hammer_it_ends_each_with_enotsock(zmq, ctx, bind, what):
    # Threads in tight send (or recv) loops, blocking and not, while another closes the socket:
    # each ends with ENOTSOCK (or, not blocking, Again before it), none crashes or stays behind.
    for rnd in range(5):
        pull = ctx.socket(zmq.PULL)
        push = ctx.socket(zmq.PUSH)
        pull.linger = push.linger = 0
        push.sndhwm = pull.rcvhwm = 50
        push.connect(bind(pull, ("inproc", "tcp")[rnd % 2]))
        target = push if what == "send" else pull
        other = pull if what == "send" else push
        stop = threading.Event()
        ends = []

        def hammer(k):
            def run():
                flags = zmq.NOBLOCK if k % 2 else 0
                try:
                    while True:
                        try:
                            if what == "send":
                                target.send(b"x" * (k * 100), flags)
                            else:
                                target.recv(flags)
                        except zmq.Again:
                            time.sleep(0.0001)
                except zmq.ZMQError as e:
                    ends.append(e.errno)

            return run

        def feeder():  # keeps the other end busy: messages to take, or room to send into
            while not stop.is_set():
                try:
                    if what == "send":
                        other.recv(zmq.NOBLOCK)
                    else:
                        other.send(b"y", zmq.NOBLOCK)
                except zmq.Again:
                    time.sleep(0.0001)
                except zmq.ZMQError:
                    return

        def closer():
            time.sleep(0.05 + 0.02 * rnd)
            target.close(linger=0)

        feed = threading.Thread(target=feeder, daemon=True)
        feed.start()
        try:
            errors = run_threads([hammer(k) for k in range(4)] + [closer])
        finally:
            stop.set()
            feed.join(10)
        assert not errors, errors[0]
        assert ends == [zmq.ENOTSOCK] * 4, ends
        other.close(linger=0)


@pytest.mark.zmqfast_only
def test_threads_polling_and_threads_receiving_on_one_socket_get_every_message_promptly(
        zmq, ctx, bind):
    # Two threads wait in a Poller (and then take with NOBLOCK), two in a blocking recv, one
    # in Socket.poll, all on one PULL; the sender paces its messages so that each finds them
    # asleep. Every message is taken, and no one is left asleep with a message waiting: the
    # run ends far inside the pollers' timeouts.
    n = 400
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    pull.linger = push.linger = 0
    push.connect(bind(pull, "tcp"))
    taken = []
    lock = threading.Lock()
    done = threading.Event()
    slow_polls = []

    def take(m):
        with lock:
            taken.append(m)
            if len(taken) == n:
                done.set()

    def via_poller():
        poller = zmq.Poller()
        poller.register(pull, zmq.POLLIN)
        while not done.is_set():
            t0 = time.monotonic()
            ready = poller.poll(2000)
            if not ready and not done.is_set():
                slow_polls.append(time.monotonic() - t0)
            try:
                take(pull.recv(zmq.NOBLOCK))
            except zmq.Again:
                pass

    def via_socket_poll():
        while not done.is_set():
            if pull.poll(2000, zmq.POLLIN):
                try:
                    take(pull.recv(zmq.NOBLOCK))
                except zmq.Again:
                    pass

    def via_recv():
        while not done.is_set():
            try:
                take(pull.recv())
            except zmq.Again:
                pass

    def sender():
        for i in range(n):
            push.send(b"%d" % i)
            if i % 4 == 0:
                time.sleep(0.001)

    pull.rcvtimeo = 500
    t0 = time.monotonic()
    try:
        errors = run_threads([via_poller, via_poller, via_recv, via_recv, via_socket_poll,
                              sender], timeout=60)
        assert not errors, errors[0]
        assert sorted(taken) == sorted(b"%d" % i for i in range(n))
        # no poll slept through its 2 s while messages were still coming in (a lost wake-up)
        assert not slow_polls, slow_polls
        assert time.monotonic() - t0 < 20
    finally:
        push.close()
        pull.close()


@pytest.mark.zmqfast_only
def test_setting_options_on_a_socket_while_other_threads_send_on_it(zmq, ctx, bind):
    # Options change (ints and bytes) and are read (EVENTS arms the socket's fd) while three
    # threads send on the same socket: every message still arrives whole.
    senders, per_sender = 3, 1000
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    pull.linger = push.linger = 0
    pull.rcvtimeo = 5000
    push.connect(bind(pull, "tcp"))
    stop = threading.Event()
    got = []

    def sender(k):
        def run():
            for i in range(per_sender):
                push.send(b"%d:%d" % (k, i))

        return run

    def fiddler():
        i = 0
        while not stop.is_set():
            push.sndhwm = 100 + i % 50
            push.linger = i % 7
            push.setsockopt(zmq.ROUTING_ID, b"id%d" % (i % 10))
            assert push.getsockopt(zmq.EVENTS) & ~(zmq.POLLIN | zmq.POLLOUT) == 0
            assert push.getsockopt(zmq.TYPE) == zmq.PUSH
            i += 1

    def receiver():
        try:
            for _ in range(senders * per_sender):
                got.append(pull.recv())
        finally:
            stop.set()

    try:
        errors = run_threads([sender(k) for k in range(senders)] + [fiddler, receiver])
        assert not errors, errors[0]
        _assert_every_message(got, senders, per_sender)
    finally:
        push.close()
        pull.close()


@pytest.mark.zmqfast_only
def test_a_socket_and_its_shadow_closed_from_two_threads_at_once_close_once(zmq, ctx, bind):
    for _ in range(30):
        sock = ctx.socket(zmq.PULL)
        bind(sock, "inproc")
        shadow = zmq.Socket.shadow(sock.underlying)
        errors = run_threads([lambda: sock.close(linger=0), lambda: shadow.close(linger=0)])
        assert not errors, errors[0]
        assert sock.closed and shadow.closed


def test_several_threads_closing_one_socket_close_it_once(zmq, ctx, bind):
    for _ in range(30):
        sock = ctx.socket(zmq.PULL)
        bind(sock, "inproc")
        errors = run_threads([lambda: sock.close(linger=0)] * THREADS)
        assert not errors, errors[0]
        assert sock.closed
