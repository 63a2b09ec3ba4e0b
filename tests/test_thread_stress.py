"""Many application threads on one context at once: each socket used by one thread at a time,
every pattern's traffic in flight together, so that the I/O thread, the queues between it and
the sockets, and the application threads that write to connections themselves (a send after a
recv, direct_send.c's "direct transmit") all run side by side. .ci/sanitize runs this file on a
ThreadSanitizer build, where any data race is a failure; on an ordinary build it checks that
nothing is lost, duplicated, reordered or torn under that load. It stays short (about a second)."""

import threading

import pytest

TRANSPORTS = ["inproc", "ipc", "tcp"]

PRODUCERS = 3
PUSHES = 400  # per producer
CLIENTS = 3
ROUND_TRIPS = 150  # per client, for REQ/REP and again for DEALER/ROUTER


class Crew:
    """Threads that report failures instead of dying silently; join() raises the first one."""

    def __init__(self):
        self.threads = []
        self.errors = []
        self.start_line = threading.Barrier(1)

    def add(self, fn, *args):
        def run():
            try:
                self.start_line.wait()
                fn(*args)
            except BaseException as e:  # reported by join
                self.errors.append(e)

        self.threads.append(threading.Thread(target=run, daemon=True))

    def run(self, timeout=60):
        # every thread starts together: the point is that they overlap
        self.start_line = threading.Barrier(len(self.threads))
        for t in self.threads:
            t.start()
        for t in self.threads:
            t.join(timeout)
        stuck = [t for t in self.threads if t.is_alive()]
        if self.errors:
            raise self.errors[0]
        assert not stuck, f"{len(stuck)} threads still running after {timeout} s"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_pattern_at_once_from_many_threads_loses_and_reorders_nothing(
        zmq, ctx, bind, fast, transport):
    crew = Crew()

    # PUSH/PULL fan-in: per producer, multipart [producer, seq, payload] in order and complete
    pull = fast(ctx.socket(zmq.PULL), 15000)
    pull_addr = bind(pull, transport)
    pushes = [fast(ctx.socket(zmq.PUSH), 15000) for _ in range(PRODUCERS)]
    for s in pushes:
        s.connect(pull_addr)
    seen = {}

    def produce(sock, me):
        for i in range(PUSHES):
            sock.send_multipart([b"%d" % me, b"%d" % i, bytes([i % 256]) * (i % 97)])

    def consume():
        for _ in range(PRODUCERS * PUSHES):
            who, seq, payload = pull.recv_multipart()
            i = int(seq)
            assert seen.get(who, -1) == i - 1, f"producer {who}: {i} after {seen.get(who)}"
            assert payload == bytes([i % 256]) * (i % 97)
            seen[who] = i

    for me, s in enumerate(pushes):
        crew.add(produce, s, me)
    crew.add(consume)

    # REQ/REP: the server's reply follows its recv, the rhythm that writes from this thread
    rep = fast(ctx.socket(zmq.REP), 15000)
    rep_addr = bind(rep, transport)
    reqs = [fast(ctx.socket(zmq.REQ), 15000) for _ in range(CLIENTS)]
    for s in reqs:
        s.connect(rep_addr)

    def serve_rep():
        for _ in range(CLIENTS * ROUND_TRIPS):
            rep.send_multipart(rep.recv_multipart()[::-1])

    def ask(sock, me):
        for i in range(ROUND_TRIPS):
            body = b"x" * (i * 37 % 3000)  # some replies cross the inline size, most not
            sock.send_multipart([b"%d/%d" % (me, i), body])
            assert sock.recv_multipart() == [body, b"%d/%d" % (me, i)]

    crew.add(serve_rep)
    for me, s in enumerate(reqs):
        crew.add(ask, s, me)

    # DEALER/ROUTER: the router answers each dealer by its routing id, from its own thread
    router = fast(ctx.socket(zmq.ROUTER), 15000)
    router_addr = bind(router, transport)
    dealers = []
    for me in range(CLIENTS):
        d = fast(ctx.socket(zmq.DEALER), 15000)
        d.setsockopt(zmq.IDENTITY, b"dealer-%d" % me)
        d.connect(router_addr)
        dealers.append(d)

    def serve_router():
        for _ in range(CLIENTS * ROUND_TRIPS):
            who, seq = router.recv_multipart()
            router.send_multipart([who, seq, who])

    def deal(sock, me):
        for i in range(ROUND_TRIPS):
            sock.send(b"%d" % i)
            assert sock.recv_multipart() == [b"%d" % i, b"dealer-%d" % me]

    crew.add(serve_router)
    for me, d in enumerate(dealers):
        crew.add(deal, d, me)

    crew.run()
    assert seen == {b"%d" % me: PUSHES - 1 for me in range(PRODUCERS)}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sockets_handed_between_threads_and_closed_while_others_run_stay_sound(
        zmq, ctx, bind, fast, transport):
    """A socket may move to another thread (with a barrier between, as libzmq allows), and
    sockets opened and closed by one thread must not disturb traffic in another."""
    crew = Crew()
    pull = fast(ctx.socket(zmq.PULL), 15000)
    addr = bind(pull, transport)
    handed = threading.Event()
    push = fast(ctx.socket(zmq.PUSH), 15000)
    push.connect(addr)

    def first_half():
        for i in range(200):
            push.send(b"%d" % i)
        handed.set()  # the other thread takes the socket from here

    def second_half():
        assert handed.wait(15)
        for i in range(200, 400):
            push.send(b"%d" % i)

    def drain():
        got = [int(pull.recv()) for _ in range(400)]
        assert got == list(range(400))

    def churn():
        # short-lived connections to the same endpoint, each sending one message the drain
        # does not count: they go to a second PULL bound elsewhere
        for _ in range(20):
            s = fast(ctx.socket(zmq.PUSH), 15000)
            s.connect(churn_addr)
            s.send(b"c")
            s.close(linger=1000)

    sink = fast(ctx.socket(zmq.PULL), 15000)
    churn_addr = bind(sink, transport)

    def sink_all():
        for _ in range(20):
            assert sink.recv() == b"c"

    for fn in (first_half, second_half, drain, churn, sink_all):
        crew.add(fn)
    crew.run()
