"""Scale cases for ROUTER (issue #16): many DEALERs, one ROUTER.

Cases (``--cases scale/router`` selects them; not part of ``--quick``):

* ``scale/router/echo/<N>dealers``: a ROUTER in the worker echoes 16 B requests from N DEALERs
  (N = 100, 1,000, 10,000) in peer processes, each DEALER with one request outstanding at all
  times, so every message the ROUTER sends is routed by the id of one of N pipes. msgs/s echoed,
  from "go" to the last echo; connection set-up and a first round trip per DEALER come before.
* ``scale/router/connect/<N>peers``: connection set-up rate. N DEALERs are connected at "go",
  each sending one message as soon as it is created; connections/s until the ROUTER has heard
  from all N.
* ``scale/router/memory/<N>peers``: the ROUTER process's RSS growth per connected peer (bytes):
  RSS after N DEALERs connected and had one round trip each, minus RSS before they connected,
  divided by N. Lower is better.

The DEALERs run in ceil(N / PER_PROCESS) peer processes of the module under test, each with
its DEALERs served in turn (blocking recv, then the next request), so no poller over thousands
of sockets stands between the ROUTER and its peers. The ROUTER's listen backlog is BACKLOG for
every module (a burst of thousands of connects overflows libzmq's default of 100, and SYN
retries would then measure the kernel's back-off). RLIMIT_NOFILE's soft limit is raised to the
hard limit in the worker and the peers; a size that needs more descriptors than that is
reported as n/a, with why.
"""

from __future__ import annotations

import math
import os
import resource
import time

from . import cases as C

SIZES = (100, 1_000, 10_000)
SIZE = 16  # request and reply bytes
PER_PROCESS = 2_500  # DEALERs per peer process
ECHO_COUNTS = {100: 100_000, 1_000: 100_000, 10_000: 200_000}  # messages echoed per repeat
BACKLOG = 4096
FDS_PER_DEALER = 2  # a tcp connection, and libzmq's mailbox per socket
FDS_SPARE = 200  # the context, the interpreter, the control pipes
SCALE_TIMEOUT_S = 300.0  # per repeat, process start-up and connection set-up included
PEER_DEADLINE_S = 280.0  # a peer process hard-exits after this
SETUP_WAIT_S = 200.0  # how long the worker waits for the peers' connections


def raise_nofile() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def _check_fds(peers: int) -> None:
    """Unsupported (n/a) if this process or a peer process cannot hold the descriptors."""
    limit = raise_nofile()
    need_router = peers + FDS_SPARE
    need_peer = min(peers, PER_PROCESS) * FDS_PER_DEALER + FDS_SPARE
    need = max(need_router, need_peer)
    if limit < need:
        raise C.Unsupported(f"{peers} peers need ~{need} file descriptors per process; "
                            f"RLIMIT_NOFILE allows {limit}")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _role_dealers(zmq, ctx, endpoint, params, conn):
    """``dealers`` DEALERs. mode "echo": connect, one round trip each, "ready", wait for "go",
    then ``rounds`` requests each, one outstanding per DEALER. mode "connect": wait for "go",
    then connect and send one message each, "sent"; wait for "done". mode "memory": connect,
    one round trip each, "ready"; wait for "done"."""
    n, mode = params["dealers"], params["mode"]
    ctx.set(zmq.MAX_SOCKETS, n + 64)
    msg = b"r" * SIZE
    socks = []

    def connect_all(send_first: bool):
        for _ in range(n):
            d = C.make_socket(zmq, ctx, zmq.DEALER)
            d.setsockopt(zmq.RCVTIMEO, int(SETUP_WAIT_S * 1000))
            d.connect(endpoint)
            if send_first:
                d.send(msg)
            socks.append(d)

    if mode == "connect":
        conn.send(("waiting",))
        C._wait_for(conn, "go")
        connect_all(True)
        conn.send(("sent",))
        _wait_long(conn, "done")
    else:
        connect_all(True)
        for d in socks:
            d.recv()
        for d in socks:
            d.setsockopt(zmq.RCVTIMEO, C.TIMEOUT_MS)
        conn.send(("ready",))
        if mode == "echo":
            C._wait_for(conn, "go")
            rounds = params["rounds"]
            send = [d.send for d in socks]
            recv = [d.recv for d in socks]
            for s in send:
                s(msg)
            for r in range(rounds):
                if r + 1 < rounds:
                    for rv, s in zip(recv, send):
                        rv()
                        s(msg)
                else:
                    for rv in recv:
                        rv()
        else:
            _wait_long(conn, "done")
    for d in socks:
        d.close(linger=0)
    return {"dealers": n}


def _wait_long(conn, tag: str) -> None:
    if not conn.poll(PEER_DEADLINE_S):
        raise C.PeerError(f"no {tag!r} from the worker")
    msg = conn.recv()
    if msg[0] != tag:
        raise C.PeerError(f"expected {tag!r} from the worker, got {msg[0]!r}")


def _start(h: C.Harness, peers: int, mode: str, **extra):
    """A ROUTER bound to tcp and the peer processes for ``peers`` DEALERs."""
    zmq = h.zmq
    router = h.socket(zmq.ROUTER)
    router.setsockopt(zmq.BACKLOG, BACKLOG)
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)  # a reply that cannot be routed is an error
    router.setsockopt(zmq.RCVTIMEO, int(SETUP_WAIT_S * 1000))
    endpoint = h.bind(router, "tcp")
    nproc = math.ceil(peers / PER_PROCESS)
    procs = []
    for i in range(nproc):
        k = peers // nproc + (1 if i < peers % nproc else 0)
        peer = C.Peer(_role_dealers, h, "tcp", endpoint, dict(dealers=k, mode=mode, **extra),
                      deadline=PEER_DEADLINE_S, prepare=raise_nofile)
        h.peers.append(peer)
        procs.append(peer)
    return router, procs


def _serve_first_round(zmq, router, peers: int) -> None:
    """Echo every DEALER's first message (set-up, untimed); fails on a repeated id."""
    seen = set()
    for _ in range(peers):
        ident, body = router.recv_multipart()
        if ident in seen:
            raise C.CountError(f"id {ident!r} sent twice in the first round")
        seen.add(ident)
        router.send_multipart([ident, body])


def scale_router_echo(modname: str, peers: int, count: int, setup=None) -> float:
    """ROUTER echo rate with ``peers`` DEALERs, each with one request outstanding (msgs/s).
    ``setup(harness)``, if given, prepares the worker's context before the ROUTER is made."""
    _check_fds(peers)
    rounds = max(1, math.ceil(count / peers))
    total = rounds * peers
    with C.Harness(modname) as h:
        if setup is not None:
            setup(h)
        zmq = h.zmq
        router, procs = _start(h, peers, "echo", rounds=rounds)
        _serve_first_round(zmq, router, peers)
        for p in procs:
            p.expect("ready", SETUP_WAIT_S)
        router.setsockopt(zmq.RCVTIMEO, C.TIMEOUT_MS)
        recv, send = router.recv_multipart, router.send_multipart
        done = 0
        t0 = time.monotonic()
        for p in procs:
            p.send("go")
        try:
            for done in range(total):
                send(recv())
            done = total
        except zmq.Again:
            for p in procs:
                p.check()
            raise C.CountError(f"echoed {done} of {total}, then nothing for "
                               f"{C.TIMEOUT_MS // 1000}s") from None
        t1 = time.monotonic()
        for p in procs:
            p.finish()
        if router.poll(C.EXTRA_WAIT_MS):
            raise C.CountError(f"received more than the {total} requests sent")
    return total / (t1 - t0)


def scale_router_connect(modname: str, peers: int, count: int) -> float:
    """Connections per second: from "go" until the ROUTER has heard from ``peers`` DEALERs."""
    _check_fds(peers)
    with C.Harness(modname) as h:
        zmq = h.zmq
        router, procs = _start(h, peers, "connect")
        recv = router.recv_multipart
        seen = set()
        for p in procs:  # up, the module imported, waiting
            p.expect("waiting", SETUP_WAIT_S)
        t0 = time.monotonic()
        for p in procs:
            p.send("go")
        try:
            while len(seen) < peers:
                seen.add(recv()[0])
        except zmq.Again:
            for p in procs:
                p.check()
            raise C.CountError(f"heard from {len(seen)} of {peers} peers") from None
        t1 = time.monotonic()
        for p in procs:
            p.expect("sent", SETUP_WAIT_S)
            p.send("done")
        for p in procs:
            p.finish()
    return peers / (t1 - t0)


def scale_router_memory(modname: str, peers: int) -> float:
    """The ROUTER process's RSS growth per connected peer, in bytes.

    Measured in a fresh process each time: in the worker, memory freed by an earlier repeat
    stays resident in the allocator's arenas and is taken again, so the growth would depend on
    what ran before (libzmq's came out anywhere between 1 KB and 20 KB per peer that way)."""
    _check_fds(peers)
    conn, child = C.MP.Pipe()
    proc = C.MP.Process(target=_memory_process, args=(modname, peers, child))
    proc.start()
    child.close()
    try:
        if not conn.poll(SCALE_TIMEOUT_S - 20):
            raise C.PeerError("the ROUTER process said nothing")
        status, value = conn.recv()
    except EOFError:
        raise C.PeerError("the ROUTER process died") from None
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.kill()
    if status != "ok":
        raise C.PeerError(f"ROUTER process: {value}")
    return value


def _memory_process(modname: str, peers: int, conn) -> None:
    try:
        raise_nofile()
        conn.send(("ok", _memory_measure(modname, peers)))
    except BaseException as e:
        conn.send(("error", f"{type(e).__name__}: {e}"))


def _memory_measure(modname: str, peers: int) -> float:
    with C.Harness(modname) as h:
        zmq = h.zmq
        router, procs = _start(h, peers, "memory")
        # a round trip on a first connection, so that what a socket allocates once is paid
        probe = h.socket(zmq.DEALER)
        probe.connect(router.getsockopt(zmq.LAST_ENDPOINT).decode())
        probe.send(b"p" * SIZE)
        ident, body = router.recv_multipart()
        router.send_multipart([ident, body])
        probe.recv()
        rss0 = _rss_bytes()
        _serve_first_round(zmq, router, peers)
        for p in procs:
            p.expect("ready", SETUP_WAIT_S)
        rss1 = _rss_bytes()
        for p in procs:
            p.send("done")
        for p in procs:
            p.finish()
    return (rss1 - rss0) / peers


def register(all_cases: list) -> None:
    """Append the scale ROUTER cases (bench.cases.all_cases calls this last)."""
    for n in SIZES:
        all_cases.append(C.Case(f"scale/router/echo/{n}dealers", scale_router_echo,
                                dict(peers=n, count=ECHO_COUNTS[n]), bytes_per_msg=SIZE,
                                timeout=SCALE_TIMEOUT_S, max_count=ECHO_COUNTS[n]))
    n = SIZES[-1]
    all_cases.append(C.Case(f"scale/router/connect/{n}peers", scale_router_connect,
                            dict(peers=n, count=n), timeout=SCALE_TIMEOUT_S, max_count=n))
    all_cases.append(C.Case(f"scale/router/memory/{n}peers", scale_router_memory,
                            dict(peers=n), unit="B", timeout=SCALE_TIMEOUT_S))


# the worker looks case functions up by name in bench.cases.CASE_FUNCS
C.CASE_FUNCS.update({f.__name__: f for f in (scale_router_echo, scale_router_connect, scale_router_memory)})
