"""A send that follows a recv is written to the connection by the application thread itself
(csrc/direct_send.c, "direct transmit"), anything else by the I/O thread. Whichever thread writes,
the peer must see every message, whole and in order, and the connection must survive what the
I/O thread does meanwhile (heartbeats, large frames left half-written, a peer going away)."""

import threading

import pytest

TRANSPORTS = ["tcp", "ipc"]


def _echo(pyzmq, pctx, addr, kind, stop_after):
    """A pyzmq peer in a thread: echo every message (REP or ROUTER), stop_after messages."""
    sock = pctx.socket(kind)
    sock.setsockopt(pyzmq.LINGER, 0)
    sock.setsockopt(pyzmq.RCVTIMEO, 10000)
    sock.connect(addr)

    def run():
        try:
            for _ in range(stop_after):
                sock.send_multipart(sock.recv_multipart())
        except pyzmq.ZMQError:
            pass
        finally:
            sock.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_request_reply_with_small_and_large_messages_keeps_every_byte(
        zmq, pyzmq, ctx, pctx, bind, fast, transport):
    """1 MiB requests cannot go out in one write: the I/O thread finishes what the
    application thread started, and the small requests around them stay in order."""
    req = fast(ctx.socket(zmq.REQ), 10000)
    addr = bind(req, transport)
    sizes = [16, 1 << 20, 100, 70000, 1, 3 << 20, 8] * 6
    t = _echo(pyzmq, pctx, addr, pyzmq.REP, len(sizes))
    for i, n in enumerate(sizes):
        body = bytes([i % 251]) * n
        req.send(body)
        assert req.recv() == body
    t.join(10)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_burst_after_a_reply_arrives_whole_and_in_order(zmq, pyzmq, ctx, pctx, bind, fast, transport):
    """DEALER receives, then sends a burst: the first message may go out from the application
    thread, the rest through the I/O thread; the peer sees them in order."""
    dealer = fast(ctx.socket(zmq.DEALER), 10000)
    addr = bind(dealer, transport)
    peer = pctx.socket(pyzmq.DEALER)
    peer.setsockopt(pyzmq.LINGER, 0)
    peer.setsockopt(pyzmq.RCVTIMEO, 10000)
    peer.connect(addr)
    try:
        for rnd in range(20):
            peer.send(b"go %d" % rnd)
            assert dealer.recv() == b"go %d" % rnd
            for i in range(200):
                dealer.send_multipart([b"r%d" % rnd, b"%d" % i, b"x" * (i * 37 % 5000)])
            for i in range(200):
                assert peer.recv_multipart() == [b"r%d" % rnd, b"%d" % i, b"x" * (i * 37 % 5000)]
    finally:
        peer.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_round_trips_survive_heartbeats_on_both_ends(zmq, pyzmq, ctx, pctx, bind, fast, transport):
    """PINGs and PONGs are written by the I/O thread between the application's own writes."""
    rep = fast(ctx.socket(zmq.REP), 10000)
    rep.setsockopt(zmq.HEARTBEAT_IVL, 5)
    rep.setsockopt(zmq.HEARTBEAT_TIMEOUT, 2000)
    addr = bind(rep, transport)
    req = pctx.socket(pyzmq.REQ)
    req.setsockopt(pyzmq.LINGER, 0)
    req.setsockopt(pyzmq.RCVTIMEO, 10000)
    req.setsockopt(pyzmq.HEARTBEAT_IVL, 5)
    # libzmq's HEARTBEAT_TIMEOUT defaults to the interval: 5 ms without a byte from the REP (a
    # busy shared machine) would drop the connection and, with it, REQ's request
    req.setsockopt(pyzmq.HEARTBEAT_TIMEOUT, 2000)
    req.connect(addr)

    def serve():
        for _ in range(3000):
            rep.send(rep.recv())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        for i in range(3000):
            req.send(b"%d" % i)
            assert req.recv() == b"%d" % i
    finally:
        t.join(10)
        req.close()
    assert not t.is_alive()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_reply_to_a_peer_that_left_is_dropped_and_the_next_peer_is_served(
        zmq, pyzmq, ctx, pctx, bind, fast, transport):
    """The peer closes while its reply is on the way: the send does not fail or hang, and
    a new peer on the same socket gets its replies."""
    rep = fast(ctx.socket(zmq.REP), 10000)
    addr = bind(rep, transport)
    for round_ in range(5):
        req = pctx.socket(pyzmq.REQ)
        req.setsockopt(pyzmq.LINGER, 0)
        req.setsockopt(pyzmq.RCVTIMEO, 10000)
        req.connect(addr)
        req.send(b"q%d" % round_)
        assert rep.recv() == b"q%d" % round_
        req.close()  # gone before the reply
        rep.send(b"a" * 200000)
    req = pctx.socket(pyzmq.REQ)
    req.setsockopt(pyzmq.LINGER, 0)
    req.setsockopt(pyzmq.RCVTIMEO, 10000)
    req.connect(addr)
    try:
        for i in range(50):
            req.send(b"%d" % i)
            assert rep.recv() == b"%d" % i
            rep.send(b"r%d" % i)
            assert req.recv() == b"r%d" % i
    finally:
        req.close()


def test_many_peers_on_one_router_get_their_own_replies(zmq, pyzmq, ctx, pctx, bind, fast):
    """ROUTER replies go out from the application thread on many connections at once."""
    router = fast(ctx.socket(zmq.ROUTER), 10000)
    addr = bind(router, "tcp")
    peers = []
    for i in range(8):
        d = pctx.socket(pyzmq.DEALER)
        d.setsockopt(pyzmq.LINGER, 0)
        d.setsockopt(pyzmq.RCVTIMEO, 10000)
        d.setsockopt(pyzmq.IDENTITY, b"peer%d" % i)
        d.connect(addr)
        peers.append(d)
    try:
        for rnd in range(100):
            for i, d in enumerate(peers):
                d.send(b"%d:%d" % (i, rnd))
            for _ in peers:
                ident, body = router.recv_multipart()
                router.send_multipart([ident, body + b"!"])
            for i, d in enumerate(peers):
                assert d.recv() == b"%d:%d!" % (i, rnd)
    finally:
        for d in peers:
            d.close()
