"""Scale cases for publish-subscribe (issue 16): many subscribers, many topics.

``scale/pub/tcp/64B/{10,100,1000}sub``: one PUB in the worker sends 64 B messages, every one to
every SUB; the SUBs (all subscribed to everything) live together in one peer process, which
drains whichever is ready. The rate is deliveries per second: messages x subscribers over the
time from the first publish to the last END received.

``scale/pub/tcp/64B/10ktopics/{1,10}sub``: the PUB's subscribers hold 10,000 distinct topics
between them (one SUB with all, or ten with 1,000 each); each message matches exactly one
topic, so it goes to one SUB. The rate is messages per second: the cost of finding where a
message goes among many subscriptions.

Markers sort after every topic (``\\xff...``) and are subscribed last, so that a SUB's marker
arrives at the publisher after its topics whatever order the SUB replays them in (insertion or
byte order). File descriptors: each case raises RLIMIT_NOFILE's soft limit to what it needs
where the hard limit allows, and the contexts' MAX_SOCKETS; a size that cannot run raises
Unsupported, which the bench reports as n/a with the reason.
"""

from __future__ import annotations

import itertools
import time

from . import cases as C

HELLO = b"\xffhello"
END = b"\xffend"
SIZE = 64
FANOUT_SUBS = (10, 100, 1000)
# deliveries per repeat (messages x subscribers), sized so pyzmq takes ~0.5 s
FANOUT_DELIVERIES = 400_000
TOPICS = 10_000
TOPIC_COUNT = 100_000  # messages per repeat of the topics cases
SCALE_HWM = 1_000_000  # above any per-subscriber count: no message may be dropped


def _need_fds(n: int) -> None:
    """Raise the soft RLIMIT_NOFILE to n where the hard limit allows; Unsupported otherwise."""
    try:
        import resource
    except ImportError:  # not POSIX: let the sockets fail if they must
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            raise C.Unsupported(f"needs {n} file descriptors, RLIMIT_NOFILE's hard limit is {hard}")
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))
        except (ValueError, OSError) as e:
            raise C.Unsupported(f"cannot raise RLIMIT_NOFILE to {n}: {e}") from None


def _fds_for(sockets: int) -> int:
    # a tcp connection, a socket's wake-up fd(s), and room for the interpreter
    return 3 * sockets + 256


def _subs_role(zmq, ctx, endpoint, p, conn) -> dict:
    """``len(p["topics"])`` SUBs, SUB i subscribed to p["topics"][i] then to the markers; say
    "ready" once every one has seen HELLO, then count messages per SUB until each has seen END.
    Reports the counts, the time the last END arrived, and the last counted message's size."""
    plans = p["topics"]
    _need_fds(_fds_for(len(plans)))
    ctx.set(zmq.MAX_SOCKETS, len(plans) + 16)
    socks = []
    for topics in plans:
        s = C.make_socket(zmq, ctx, zmq.SUB, SCALE_HWM)
        for t in topics:
            s.setsockopt(zmq.SUBSCRIBE, t)
        s.setsockopt(zmq.SUBSCRIBE, HELLO)
        s.setsockopt(zmq.SUBSCRIBE, END)
        s.connect(endpoint)
        socks.append(s)
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    index = {s: i for i, s in enumerate(socks)}
    counts = [0] * len(socks)
    last = 0
    NOBLOCK = zmq.NOBLOCK
    Again = zmq.Again

    # every SUB sees a HELLO: all subscriptions are at the publisher
    waiting = set(range(len(socks)))
    deadline = time.monotonic() + C.PEER_WAIT_S
    while waiting:
        if time.monotonic() > deadline:
            raise C.PeerError(f"{len(waiting)} of {len(socks)} SUBs never saw HELLO")
        for s, _ in poller.poll(100):
            try:
                while True:
                    if s.recv(NOBLOCK) == HELLO:
                        waiting.discard(index[s])
            except Again:
                pass
    conn.send(("ready",))

    # count until END on every SUB; HELLOs still in flight are skipped
    live = len(socks)
    end = 0.0
    deadline = time.monotonic() + C.PEER_WAIT_S
    while live:
        ready = poller.poll(C.TIMEOUT_MS)
        if not ready:
            raise C.PeerError(f"SUBs: nothing for {C.TIMEOUT_MS // 1000}s, {live} without END")
        for s, _ in ready:
            i = index[s]
            recv = s.recv
            n = 0
            try:
                while True:
                    m = recv(NOBLOCK)
                    if m[:1] == b"\xff":
                        if m == END:
                            live -= 1
                            end = time.monotonic()
                            poller.unregister(s)
                            break
                        continue
                    n += 1
                    last = len(m)
            except Again:
                pass
            counts[i] += n
        if time.monotonic() > deadline:
            raise C.PeerError(f"SUBs: {live} without END after {C.PEER_WAIT_S:.0f}s")
    for s in socks:
        s.close(0)
    return {"counts": counts, "end": end, "last_size": last}


def _publish(h, zmq, pub, peer, messages, count: int) -> tuple[float, dict]:
    """HELLO until the peer is ready, then count messages (cycling through messages), END."""
    deadline = time.monotonic() + C.PEER_WAIT_S
    while True:
        peer.check()  # raises if the peer failed; keeps its control messages in order
        if peer.pending:
            break
        pub.send(HELLO)
        if time.monotonic() > deadline:
            raise C.PeerError("the subscribers never saw HELLO")
        time.sleep(0.02)  # a HELLO goes to every SUB: a flood of them would slow the joining
    peer.expect("ready")
    send = pub.send
    t0 = time.monotonic()
    for m in itertools.islice(itertools.cycle(messages), count):
        send(m)
    send(END)
    return t0, peer.finish()


def scale_fanout(modname: str, subscribers: int, count: int) -> float:
    """Deliveries per second from one PUB to ``subscribers`` SUBs in another process; count
    is deliveries (so the bench's calibration, which reads rate x count, sees one unit)."""
    count = max(count // subscribers, 1)
    _need_fds(_fds_for(subscribers))
    with C.Harness(modname) as h:
        zmq = h.zmq
        pub = h.socket(zmq.PUB, SCALE_HWM)
        pub.setsockopt(zmq.BACKLOG, subscribers + 64)  # all connect at once
        endpoint = h.bind(pub, "tcp")
        peer = h.peer(_subs_role, "tcp", endpoint, topics=[[b""]] * subscribers)
        t0, r = _publish(h, zmq, pub, peer, [b"D" * SIZE], count)
    for i, c in enumerate(r["counts"]):
        if c != count:
            raise C.CountError(f"subscriber {i} got {c} of {count}")
    if r["last_size"] != SIZE:
        raise C.CountError(f"last message has {r['last_size']} bytes, expected {SIZE}")
    return count * subscribers / (r["end"] - t0)


def scale_topics(modname: str, subscribers: int, count: int) -> float:
    """Messages per second from a PUB whose SUBs hold 10,000 topics, each message matching one."""
    _need_fds(_fds_for(subscribers))
    topics = [b"topic/%05d/" % i for i in range(TOPICS)]
    plans = [topics[k::subscribers] for k in range(subscribers)]
    messages = [t + b"x" * (SIZE - len(t)) for t in topics]
    # the expected count per SUB: message i goes to topic i % TOPICS, held by SUB i % subscribers
    want = [0] * subscribers
    full, rest = divmod(count, TOPICS)
    for i in range(TOPICS):
        want[i % subscribers] += full + (1 if i < rest else 0)
    with C.Harness(modname) as h:
        zmq = h.zmq
        pub = h.socket(zmq.PUB, SCALE_HWM)
        pub.setsockopt(zmq.BACKLOG, subscribers + 64)  # all connect at once
        endpoint = h.bind(pub, "tcp")
        peer = h.peer(_subs_role, "tcp", endpoint, topics=plans)
        t0, r = _publish(h, zmq, pub, peer, messages, count)
    if r["counts"] != want:
        raise C.CountError(f"per-SUB counts {r['counts'][:5]}..., expected {want[:5]}...")
    if r["last_size"] != SIZE:
        raise C.CountError(f"last message has {r['last_size']} bytes, expected {SIZE}")
    return count / (r["end"] - t0)


C.CASE_FUNCS.update({f.__name__: f for f in (scale_fanout, scale_topics)})


def scale_cases() -> list:
    """The cases, never part of --quick; ``--cases scale/pub`` selects them."""
    out = []
    for n in FANOUT_SUBS:
        out.append(C.Case(
            f"scale/pub/tcp/64B/{n}sub", scale_fanout,
            dict(subscribers=n, count=FANOUT_DELIVERIES),
            timeout=120.0, max_count=4_000_000))
    for n in (1, 10):
        out.append(C.Case(
            f"scale/pub/tcp/64B/10ktopics/{n}sub", scale_topics,
            dict(subscribers=n, count=TOPIC_COUNT), timeout=120.0, max_count=SCALE_HWM // 2))
    return out
