"""IO_THREADS > 1: a context's connections spread over its I/O threads (issue 16).

Each listener, connecting session and accepted connection lives on the least-loaded I/O thread
its socket's AFFINITY allows (libzmq's rule), so one socket's connections are served by several
threads at once. Where they live is observed from outside, without a debug hook: every I/O
thread has its own epoll instance, and /proc/self/fdinfo/<epoll fd> lists the fds registered in
it, so the sockets registered per epoll are the connections (and listeners) per thread. The
context's epolls are the ones that appear when its first socket starts its threads, in thread
order. Linux only (epoll and /proc); the traffic tests run anywhere.

Most tests run against pyzmq too (ZMQFAST_IMPL=zmq), where libzmq's reaper thread adds an epoll
that holds no socket: the counts compared are those of the epolls that hold any. How evenly a
burst of connections spreads is zmqfast's own (zmqfast_only): libzmq counts a thread's load
when the fds reach its poller, after the choice, so a burst of connects or accepts mostly lands
on one thread; zmqfast counts an object when its thread is chosen.
"""

import os
import sys
import threading
import time

import pytest
from conftest import IS_ZMQFAST, make_fast

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="epoll and /proc: Linux only")


# ---- observing where connections live ------------------------------------------------------


def _epoll_fds():
    out = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:[eventpoll]":
                out.add(int(name))
        except OSError:
            pass
    return out


def _sockets_in(epfd):
    """How many network sockets (tcp, ipc) the epoll instance epfd watches."""
    n = 0
    try:
        with open(f"/proc/self/fdinfo/{epfd}") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith("tfd:"):
            tfd = int(line.split()[1])
            try:
                if os.readlink(f"/proc/self/fd/{tfd}").startswith("socket:"):
                    n += 1
            except OSError:
                pass
    return n


class Threads:
    """A context with n I/O threads, and the epoll of each (in thread order)."""

    def __init__(self, zmq, n, first_type=None):
        self.ctx = zmq.Context(io_threads=n)
        before = _epoll_fds()
        # the first socket starts the threads; PAIR is used by no test traffic
        self.first = self.ctx.socket(first_type if first_type is not None else zmq.PAIR)
        self.epolls = sorted(_epoll_fds() - before)

    def counts(self):
        return [_sockets_in(e) for e in self.epolls]

    def busy_counts(self):
        """The counts of the epolls that hold any socket, largest first."""
        return sorted((c for c in self.counts() if c), reverse=True)

    def wait_counts(self, pred, timeout=5.0, poke=None):
        """The counts once pred holds of them (or after timeout). poke: a socket to look at
        meanwhile (libzmq's sockets act on their threads' news only when called)."""
        deadline = time.monotonic() + timeout
        while True:
            if poke is not None:
                poke.getsockopt(15)  # EVENTS
            c = self.counts()
            if pred(c) or time.monotonic() > deadline:
                return c
            time.sleep(0.01)

    def close(self):
        self.first.close(0)
        self.ctx.destroy(linger=0)


@pytest.fixture
def threads(zmq):
    made = []

    def make(n, first_type=None):
        t = Threads(zmq, n, first_type)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def _endpoint(transport, ipc_dir, n=0):
    return "tcp://127.0.0.1:*" if transport == "tcp" else f"ipc://{ipc_dir}/io{n}"


def _last(zmq, sock):
    ep = sock.getsockopt(zmq.LAST_ENDPOINT)
    return ep.decode() if isinstance(ep, bytes) else ep


def _echo_round(zmq, router, dealers, tag=b"x"):
    """One request from every DEALER, echoed by the ROUTER, each reply back at its sender."""
    for i, d in enumerate(dealers):
        d.send(tag + b"%d" % i)
    for _ in dealers:
        router.send_multipart(router.recv_multipart())
    for i, d in enumerate(dealers):
        assert d.recv() == tag + b"%d" % i


# ---- spreading -----------------------------------------------------------------------------


@pytest.mark.zmqfast_only
@linux
@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("nthreads", [2, 4])
def test_accepted_connections_spread_evenly_over_io_threads(zmq, ctx, threads, ipc_dir, transport, nthreads):
    t = threads(nthreads)
    router = make_fast(t.ctx.socket(zmq.ROUTER))
    router.bind(_endpoint(transport, ipc_dir))
    ep = _last(zmq, router)
    n = 40
    dealers = [make_fast(ctx.socket(zmq.DEALER)) for _ in range(n)]
    for d in dealers:
        d.connect(ep)
    _echo_round(zmq, router, dealers)
    busy = t.busy_counts()
    # the listener and n connections, least-loaded first: no thread more than one apart
    assert sum(busy) == n + 1
    assert len(busy) == nthreads, busy
    assert busy[0] - busy[-1] <= 1, busy
    for _ in range(5):
        _echo_round(zmq, router, dealers, b"again")


@pytest.mark.zmqfast_only
@linux
@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_connecting_sessions_spread_and_all_carry_traffic(zmq, ctx, threads, ipc_dir, transport):
    t = threads(4)
    pull = make_fast(ctx.socket(zmq.PULL))
    pull.bind(_endpoint(transport, ipc_dir))
    ep = _last(zmq, pull)
    push = make_fast(t.ctx.socket(zmq.PUSH))
    n = 20
    for _ in range(n):
        push.connect(ep)
    counts = t.wait_counts(lambda c: sum(c) == n)
    assert sorted(c for c in counts if c) == [5, 5, 5, 5], counts
    total = 2000
    for i in range(total):
        push.send(b"%d" % i)
    got = sorted(int(pull.recv()) for _ in range(total))
    assert got == list(range(total))


@linux
def test_affinity_pins_a_listener_and_what_it_accepts_to_its_threads(zmq, ctx, threads, ipc_dir):
    t = threads(2)
    r1 = make_fast(t.ctx.socket(zmq.ROUTER))
    r1.setsockopt(zmq.AFFINITY, 1)
    r1.bind("tcp://127.0.0.1:*")
    d1 = [make_fast(ctx.socket(zmq.DEALER)) for _ in range(10)]
    for d in d1:
        d.connect(_last(zmq, r1))
    _echo_round(zmq, r1, d1)
    # all eleven on one thread, nothing on the other
    assert sorted(t.counts())[-1] == 11
    assert sum(t.counts()) == 11
    r2 = make_fast(t.ctx.socket(zmq.ROUTER))
    r2.setsockopt(zmq.AFFINITY, 2)
    r2.bind(_endpoint("ipc", ipc_dir))
    d2 = [make_fast(ctx.socket(zmq.DEALER)) for _ in range(6)]
    for d in d2:
        d.connect(_last(zmq, r2))
    _echo_round(zmq, r2, d2)
    assert t.busy_counts() == [11, 7]  # the other thread: its listener and six connections
    if IS_ZMQFAST:  # zmqfast's epolls are exactly its I/O threads, in order
        assert t.counts() == [11, 7]


@pytest.mark.zmqfast_only
@linux
def test_affinity_pins_connecting_sessions(zmq, ctx, threads):
    t = threads(3)
    rep = make_fast(ctx.socket(zmq.ROUTER))
    rep.bind("tcp://127.0.0.1:*")
    dealer = make_fast(t.ctx.socket(zmq.DEALER))
    dealer.setsockopt(zmq.AFFINITY, 0b100)
    for _ in range(4):
        dealer.connect(_last(zmq, rep))
    counts = t.wait_counts(lambda c: sum(c) == 4)
    assert sorted(counts)[-1] == 4, counts
    if IS_ZMQFAST:
        assert counts == [0, 0, 4]
    dealer.send(b"hi")
    ident, body = rep.recv_multipart()
    assert body == b"hi"


def test_affinity_that_names_no_io_thread_fails_bind_and_connect(zmq):
    c = zmq.Context(io_threads=2)
    try:
        s = c.socket(zmq.DEALER)
        s.setsockopt(zmq.AFFINITY, 0b100)  # thread 2 of 0..1
        with pytest.raises(zmq.ZMQError) as e:
            s.bind("tcp://127.0.0.1:*")
        assert e.value.errno == zmq.EMTHREAD
        with pytest.raises(zmq.ZMQError) as e:
            s.connect("tcp://127.0.0.1:5555")
        assert e.value.errno == zmq.EMTHREAD
        s.setsockopt(zmq.AFFINITY, 0b110)  # thread 1 will do
        s.bind("tcp://127.0.0.1:*")
        s.close(0)
    finally:
        c.destroy(linger=0)


def test_affinity_is_kept_and_returned(zmq, ctx):
    s = ctx.socket(zmq.PUB)
    assert s.getsockopt(zmq.AFFINITY) == 0
    s.setsockopt(zmq.AFFINITY, (1 << 62) | 5)
    assert s.getsockopt(zmq.AFFINITY) == (1 << 62) | 5
    s.close()


def _io_thread_names(prefix):
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name.startswith(f"{prefix}/ZMQbg/IO/"):
            names.append(name)
    return sorted(names)


@linux
def test_io_threads_is_read_at_the_first_socket_as_libzmq(zmq):
    c = zmq.Context(io_threads=2)
    try:
        prefix = 40 + os.getpid() % 50
        c.set(zmq.THREAD_NAME_PREFIX, prefix)
        assert c.get(zmq.IO_THREADS) == 2
        c.set(zmq.IO_THREADS, 3)  # before the first socket: this is what starts
        assert c.get(zmq.IO_THREADS) == 3
        s = c.socket(zmq.PUB)
        want = [f"{prefix}/ZMQbg/IO/{i}" for i in range(3)]
        deadline = time.monotonic() + 5
        while _io_thread_names(prefix) != want and time.monotonic() < deadline:
            time.sleep(0.01)  # libzmq's threads name themselves once they run
        assert _io_thread_names(prefix) == want
        c.set(zmq.IO_THREADS, 5)  # kept and reported, but the threads run already
        assert c.get(zmq.IO_THREADS) == 5
        assert len(_io_thread_names(prefix)) == 3
        with pytest.raises(zmq.ZMQError) as e:
            c.set(zmq.IO_THREADS, -1)
        assert e.value.errno == zmq.EINVAL
        s.close()
    finally:
        c.destroy(linger=0)


# ---- the patterns over several threads -------------------------------------------------------


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_router_with_many_dealers_on_four_threads(zmq, threads, ipc_dir, transport):
    t = threads(4)
    peer = zmq.Context(io_threads=2)
    try:
        router = make_fast(t.ctx.socket(zmq.ROUTER))
        router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        router.bind(_endpoint(transport, ipc_dir))
        ep = _last(zmq, router)
        n = 120
        peer.set(zmq.MAX_SOCKETS, n + 16)
        dealers = []
        for i in range(n):
            d = make_fast(peer.socket(zmq.DEALER))
            d.setsockopt(zmq.IDENTITY, b"dealer-%03d" % i)
            d.connect(ep)
            dealers.append(d)
        for rnd in range(10):
            for i, d in enumerate(dealers):
                d.send_multipart([b"%d" % rnd, b"%d" % i])
            seen = set()
            for _ in range(n):
                ident, r, i = router.recv_multipart()
                assert ident == b"dealer-%03d" % int(i) and int(r) == rnd
                seen.add(ident)
                router.send_multipart([ident, r, i])
            assert len(seen) == n
            for i, d in enumerate(dealers):
                assert d.recv_multipart() == [b"%d" % rnd, b"%d" % i]
        for d in dealers:
            d.close(0)
    finally:
        peer.destroy(linger=0)


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_pub_reaches_many_subs_in_order_over_several_threads(zmq, ctx, threads, ipc_dir, transport):
    t = threads(3)
    pub = make_fast(t.ctx.socket(zmq.PUB))
    pub.setsockopt(zmq.SNDHWM, 100000)
    pub.bind(_endpoint(transport, ipc_dir))
    ep = _last(zmq, pub)
    n = 30
    subs = []
    for i in range(n):
        s = make_fast(ctx.socket(zmq.SUB))
        s.setsockopt(zmq.RCVHWM, 100000)
        s.setsockopt(zmq.SUBSCRIBE, b"t" if i % 2 else b"")
        s.connect(ep)
        subs.append(s)
    # until every SUB hears: its subscription is in
    pending = set(range(n))
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        pub.send(b"thello")
        time.sleep(0.01)
        for i in list(pending):
            try:
                while subs[i].recv(zmq.NOBLOCK) != b"thello":
                    pass
                pending.discard(i)
            except zmq.Again:
                pass
    assert not pending
    count = 500
    for k in range(count):
        pub.send(b"t%d" % k if k % 2 else b"u%d" % k)
    pub.send(b"tend")
    for i, s in enumerate(subs):
        want = [(b"t%d" % k if k % 2 else b"u%d" % k) for k in range(count)]
        if i % 2:
            want = [m for m in want if m.startswith(b"t")]
        got = []
        while True:
            m = s.recv()
            if m == b"thello":
                continue
            if m == b"tend":
                break
            got.append(m)
        assert got == want, f"SUB {i}"


def test_req_rep_many_clients_on_two_threads(zmq, ctx, threads):
    t = threads(2)
    rep = make_fast(t.ctx.socket(zmq.REP))
    rep.bind("tcp://127.0.0.1:*")
    ep = _last(zmq, rep)
    reqs = [make_fast(ctx.socket(zmq.REQ)) for _ in range(16)]
    for r in reqs:
        r.connect(ep)

    def serve(total):
        for _ in range(total):
            rep.send(rep.recv() + b"!")

    server = threading.Thread(target=serve, args=(16 * 20,))
    server.start()
    for rnd in range(20):
        for i, r in enumerate(reqs):
            r.send(b"%d.%d" % (i, rnd))
        for i, r in enumerate(reqs):
            assert r.recv() == b"%d.%d!" % (i, rnd)
    server.join(10)
    assert not server.is_alive()


def test_curve_handshakes_on_several_threads(zmq, ctx, threads):
    if not zmq.has("curve"):
        pytest.skip("no CURVE")
    spub, ssec = zmq.curve_keypair()
    t = threads(3)
    server = make_fast(t.ctx.socket(zmq.ROUTER))
    server.setsockopt(zmq.CURVE_SERVER, 1)
    server.setsockopt(zmq.CURVE_SECRETKEY, ssec)
    server.bind("tcp://127.0.0.1:*")
    ep = _last(zmq, server)
    clients = []
    for i in range(12):
        cpub, csec = zmq.curve_keypair()
        c = make_fast((t.ctx if i % 2 else ctx).socket(zmq.DEALER))  # half share the threads
        c.setsockopt(zmq.CURVE_SERVERKEY, spub)
        c.setsockopt(zmq.CURVE_PUBLICKEY, cpub)
        c.setsockopt(zmq.CURVE_SECRETKEY, csec)
        c.connect(ep)
        clients.append(c)
    for rnd in range(3):
        _echo_round(zmq, server, clients, b"secret%d-" % rnd)


def test_monitor_reports_events_from_every_thread(zmq, ctx, threads):
    import importlib

    parse_monitor_message = importlib.import_module(zmq.__name__ + ".utils.monitor").parse_monitor_message
    t = threads(2)
    router = make_fast(t.ctx.socket(zmq.ROUTER))
    mon_ep = f"inproc://mon-{os.getpid()}-{id(router)}"
    router.monitor(mon_ep, zmq.EVENT_ACCEPTED | zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
    mon = make_fast(t.ctx.socket(zmq.PAIR))
    mon.connect(mon_ep)
    router.bind("tcp://127.0.0.1:*")
    n = 10
    dealers = [make_fast(ctx.socket(zmq.DEALER)) for _ in range(n)]
    for d in dealers:
        d.connect(_last(zmq, router))
    _echo_round(zmq, router, dealers)
    for d in dealers:
        d.close(0)
    seen = {}
    while sum(seen.values()) < 3 * n:
        ev = parse_monitor_message(mon.recv_multipart())
        seen[ev["event"]] = seen.get(ev["event"], 0) + 1
    assert seen == {zmq.EVENT_ACCEPTED: n, zmq.EVENT_HANDSHAKE_SUCCEEDED: n, zmq.EVENT_DISCONNECTED: n}
    router.disable_monitor()
    mon.close(0)


# ---- endpoints going away: close, term, unbind, disconnect, reconnect --------------------------


@linux
def test_unbind_closes_what_the_listener_accepted_on_every_thread(zmq, ctx, threads):
    t = threads(3)
    router = make_fast(t.ctx.socket(zmq.ROUTER))
    router.bind("tcp://127.0.0.1:*")
    ep = _last(zmq, router)
    dealers = [make_fast(ctx.socket(zmq.DEALER)) for _ in range(12)]
    for d in dealers:
        d.connect(ep)
    _echo_round(zmq, router, dealers)
    if IS_ZMQFAST:
        assert len(t.busy_counts()) == 3
    router.unbind(ep)
    assert t.wait_counts(lambda c: sum(c) == 0, poke=router) == [0] * len(t.epolls)


@linux
def test_disconnect_ends_sessions_on_every_thread(zmq, ctx, threads):
    t = threads(4)
    pulls, eps = [], []
    for _ in range(8):
        p = make_fast(ctx.socket(zmq.PULL))
        p.bind("tcp://127.0.0.1:*")
        pulls.append(p)
        eps.append(_last(zmq, p))
    push = make_fast(t.ctx.socket(zmq.PUSH))
    for ep in eps:
        push.connect(ep)
    counts = t.wait_counts(lambda c: sum(c) == 8)
    if IS_ZMQFAST:
        assert len([c for c in counts if c]) == 4, counts
    for ep in eps:
        push.disconnect(ep)
    assert t.wait_counts(lambda c: sum(c) == 0, poke=push) == [0] * len(t.epolls)


@pytest.mark.parametrize("linger", [0, 200])
def test_close_and_term_with_connections_on_every_thread_are_quick(zmq, linger):
    c = zmq.Context(io_threads=4)
    peer = zmq.Context()
    try:
        router = c.socket(zmq.ROUTER)
        router.setsockopt(zmq.LINGER, linger)
        router.bind("tcp://127.0.0.1:*")
        ep = _last(zmq, router)
        dealers = [make_fast(peer.socket(zmq.DEALER)) for _ in range(24)]
        for d in dealers:
            d.connect(ep)
        push = c.socket(zmq.PUSH)  # connecting sessions too, with messages queued
        push.setsockopt(zmq.LINGER, linger)
        push.connect("tcp://127.0.0.1:1")  # nobody there: its messages stay queued
        for d in dealers:
            d.send(b"hi")
        for _ in dealers:
            router.send_multipart(router.recv_multipart())
        for _ in range(10):
            push.send(b"queued", zmq.NOBLOCK)
        t0 = time.monotonic()
        router.close()
        push.close()
        c.term()
        assert time.monotonic() - t0 < 1.0 + linger / 1000  # slack for a loaded machine
        for d in dealers:
            assert d.recv() == b"hi"
            d.close(0)
    finally:
        peer.destroy(linger=0)


def test_term_from_another_thread_with_connections_on_every_thread(zmq):
    c = zmq.Context(io_threads=3)
    peer = zmq.Context()
    try:
        pub = c.socket(zmq.PUB)
        pub.bind("tcp://127.0.0.1:*")
        subs = [peer.socket(zmq.SUB) for _ in range(9)]
        for s in subs:
            s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect(_last(zmq, pub))
        done = threading.Event()

        def term():
            c.term()
            done.set()

        th = threading.Thread(target=term)
        th.start()
        time.sleep(0.05)
        assert not done.is_set()  # the PUB is open: term waits for it
        pub.close(linger=0)
        assert done.wait(5)
        th.join()
        for s in subs:
            s.close(0)
    finally:
        peer.destroy(linger=0)


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_reconnect_works_for_sessions_on_every_thread(zmq, threads, ipc_dir, transport):
    t = threads(2)
    push = make_fast(t.ctx.socket(zmq.PUSH))
    push.setsockopt(zmq.RECONNECT_IVL, 20)
    peer = zmq.Context()
    try:
        pulls, eps = [], []
        for i in range(4):
            p = make_fast(peer.socket(zmq.PULL))
            p.bind(_endpoint(transport, ipc_dir, i))
            pulls.append(p)
            eps.append(_last(zmq, p))
        for ep in eps:
            push.connect(ep)
        for k in range(40):
            push.send(b"a%d" % k)
        got = []
        for p in pulls:
            for _ in range(10):
                got.append(p.recv())
        assert sorted(got) == sorted(b"a%d" % k for k in range(40))
        # every peer goes away and comes back at the same address
        for p in pulls:
            p.close(0)
        pulls = []
        for ep in eps:
            for _ in range(100):
                try:
                    p = make_fast(peer.socket(zmq.PULL))
                    p.bind(ep)
                    break
                except zmq.ZMQError:
                    p.close(0)
                    time.sleep(0.05)
            pulls.append(p)
        # each connection comes back on its own thread: every PULL hears
        heard = set()
        deadline = time.monotonic() + 10
        k = 0
        while len(heard) < len(pulls) and time.monotonic() < deadline:
            push.send(b"b%d" % k, zmq.NOBLOCK)
            k += 1
            time.sleep(0.005)
            for i, p in enumerate(pulls):
                try:
                    while True:
                        p.recv(zmq.NOBLOCK)
                        heard.add(i)
                except zmq.Again:
                    pass
        assert heard == set(range(len(pulls)))
        for p in pulls:
            p.close(0)
    finally:
        peer.destroy(linger=0)
