"""One Context, one Poller, one Socket, one Frame, shared by several threads at once.

These run on every build. With the GIL they check that the binding keeps its own state straight
when threads interleave at every point where it lets the GIL go (a blocking wait, a poll); on a
free-threaded CPython (3.14t) the threads really run at the same time. What is promised is
pyzmq's contract: a socket used from two threads at once may raise, and may interleave the parts
of two threads' messages, but never corrupts memory or crashes; a Context and a Poller may be
shared freely. README ("Platforms and threads") says what is and is not thread-safe, and why the
extension does not yet declare itself free-threading compatible.

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
        assert sorted(got) == sorted(b"%d:%d" % (k, i)
                                     for k in range(senders) for i in range(per_sender))
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
def test_on_free_threaded_cpython_importing_the_extension_turns_the_gil_back_on():
    # The extension does not declare itself free-threading compatible (README says why): CPython
    # must keep the GIL on once it is imported, unless the user forced PYTHON_GIL=0. The day the
    # declaration is made this test goes, with the README paragraph.
    import subprocess

    env = dict(os.environ)
    env.pop("PYTHON_GIL", None)
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c",
         "import sys, zmqfast._core; print(sys._is_gil_enabled())"],
        env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_several_threads_closing_one_socket_close_it_once(zmq, ctx, bind):
    for _ in range(30):
        sock = ctx.socket(zmq.PULL)
        bind(sock, "inproc")
        errors = run_threads([lambda: sock.close(linger=0)] * THREADS)
        assert not errors, errors[0]
        assert sock.closed
