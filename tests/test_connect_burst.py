"""Connection set-up at scale (issue 16): many connects at once, the accepting side's first
write, and a listener closed while connections wait to be set up.

A zmqfast listener takes every connection the kernel's accept queue holds on each turn of its
I/O thread and sets them up a batch at a time (listener.c), so a burst larger than BACKLOG is
not refused by the kernel; under NULL without ZAP the accepting side's READY goes out with its
greeting (mech_null.c). These tests check what a peer sees: every connection of a burst comes up
and carries traffic both ways, with libzmq on either side; the first bytes on the wire; no
descriptor left behind by a listener closed in the middle of a burst."""

import os
import socket as pysocket
import time

import pytest
from conftest import make_fast
from zmtp_peer import greeting, read_exact, read_ready, ready

BURST = 400  # more than BACKLOG below, and than one set-up batch (64)
BACKLOG = 64


def _router(zmq, ctx, backlog=BACKLOG):
    r = make_fast(ctx.socket(zmq.ROUTER), 10000)
    r.setsockopt(zmq.BACKLOG, backlog)
    r.setsockopt(zmq.ROUTER_MANDATORY, 1)
    r.bind("tcp://127.0.0.1:*")
    le = r.getsockopt(zmq.LAST_ENDPOINT)
    return r, le.decode() if isinstance(le, bytes) else le


def _burst_round_trip(router, dealers):
    """Every DEALER sent one request: the ROUTER hears each once and each hears its reply."""
    ids = set()
    for _ in range(len(dealers)):
        ident, body = router.recv_multipart()
        assert ident not in ids, "one DEALER heard twice"
        ids.add(ident)
        router.send_multipart([ident, b"re:" + body])
    got = sorted(d.recv() for d in dealers)
    assert got == sorted(b"re:" + str(i).encode() for i in range(len(dealers)))


def _dealers(zmq, ctx, endpoint, n):
    out = []
    for i in range(n):
        d = make_fast(ctx.socket(zmq.DEALER), 10000)
        d.connect(endpoint)
        d.send(str(i).encode())
        out.append(d)
    return out


def test_a_burst_of_connects_beyond_the_backlog_all_come_up_and_carry_traffic(zmq, ctx):
    server_ctx = zmq.Context()
    try:
        router, ep = _router(zmq, server_ctx)
        dealers = _dealers(zmq, ctx, ep, BURST)
        _burst_round_trip(router, dealers)
        for d in dealers:
            d.close(linger=0)
        router.close(linger=0)
    finally:
        server_ctx.term()


def test_a_burst_of_libzmq_dealers_connects_to_a_router(zmq, ctx, pyzmq, pctx):
    router, ep = _router(zmq, ctx)
    dealers = _dealers(pyzmq, pctx, ep, BURST)
    _burst_round_trip(router, dealers)
    for d in dealers:
        d.close(linger=0)


def test_a_burst_of_dealers_connects_to_a_libzmq_router(zmq, ctx, pyzmq, pctx):
    # libzmq accepts one connection per turn of its loop: with a small backlog the kernel
    # refuses SYNs and the burst waits out their resends (1, 3, 7 s...), so it gets room
    router, ep = _router(pyzmq, pctx, backlog=1024)
    dealers = _dealers(zmq, ctx, ep, BURST)
    _burst_round_trip(router, dealers)
    for d in dealers:
        d.close(linger=0)


def test_connects_from_several_threads_at_once_all_come_up(zmq, ctx):
    import threading

    server_ctx = zmq.Context()
    router, ep = _router(zmq, server_ctx, backlog=1024)
    per, nthreads = 100, 4
    socks = [[] for _ in range(nthreads)]
    errors = []

    def run(k):
        try:
            for i in range(per):
                d = make_fast(ctx.socket(zmq.DEALER), 10000)
                d.connect(ep)
                d.send(f"{k}:{i}".encode())
                socks[k].append(d)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    heard = set()
    for _ in range(per * nthreads):
        ident, body = router.recv_multipart()
        heard.add(body)
    assert heard == {f"{k}:{i}".encode() for k in range(nthreads) for i in range(per)}
    for group in socks:
        for d in group:
            d.close(linger=0)
    router.close(linger=0)
    server_ctx.term()


@pytest.mark.zmqfast_only
def test_an_accepting_null_socket_sends_ready_with_its_greeting(zmq, ctx):
    """The READY is on the wire before the peer has sent a byte (libzmq waits for the peer's
    greeting); the peer's own greeting and READY then complete the handshake as usual."""
    router, ep = _router(zmq, ctx)
    with pysocket.create_connection(("127.0.0.1", int(ep.rsplit(":", 1)[1])), timeout=5) as c:
        g = read_exact(c, 64)
        assert g[0] == 0xFF and g[10] == 3 and g[12:16] == b"NULL"
        props = read_ready(c)  # nothing sent by us yet
        assert props["Socket-Type"] == b"ROUTER"
        c.sendall(greeting() + ready("DEALER") + b"\x00\x02hi")
        ident, body = router.recv_multipart()
        assert body == b"hi"


@pytest.mark.zmqfast_only
def test_an_accepting_socket_with_a_zap_domain_sends_ready_only_after_the_peer_greeting(zmq, ctx):
    """With ZAP_DOMAIN set, NULL asks ZAP (if a handler is there) before READY, so READY may not
    go out with the greeting: nothing follows it until the peer's greeting is in."""
    router = make_fast(ctx.socket(zmq.ROUTER), 10000)
    router.setsockopt(zmq.ZAP_DOMAIN, b"global")
    router.bind("tcp://127.0.0.1:*")
    ep = router.getsockopt(zmq.LAST_ENDPOINT).decode()
    with pysocket.create_connection(("127.0.0.1", int(ep.rsplit(":", 1)[1])), timeout=5) as c:
        g = read_exact(c, 64)
        assert g[12:16] == b"NULL"
        c.settimeout(0.3)
        with pytest.raises((pysocket.timeout, TimeoutError)):
            c.recv(1)  # no READY before our greeting
        c.settimeout(5)
        c.sendall(greeting())
        props = read_ready(c)  # no handler answers: the domain admits (libzmq's rule)
        assert props["Socket-Type"] == b"ROUTER"
        c.sendall(ready("DEALER") + b"\x00\x02hi")
        ident, body = router.recv_multipart()
        assert body == b"hi"


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_listener_closed_during_a_connect_burst_leaves_no_descriptor_open(zmq):
    """Connections accepted but not yet set up (or set up) go with the socket's close."""
    ctx = zmq.Context()
    router, ep = _router(zmq, ctx, backlog=1024)
    port = int(ep.rsplit(":", 1)[1])
    base = _open_fds()
    clients = []
    for _ in range(600):
        c = pysocket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        clients.append(c)
    router.close(linger=0)
    ctx.term()
    for c in clients:
        c.close()
    deadline = time.monotonic() + 5
    while _open_fds() > base and time.monotonic() < deadline:
        time.sleep(0.05)
    # base counted the listener's fd and the context's own (wake-ups, epoll): all gone now,
    # and none of the connections the listener had accepted stays open
    assert _open_fds() <= base
