"""XPUB hands the application what its subscribers send that is no subscription (an XSUB's
upstream traffic, single or multipart), in order with the subscriptions; PUB drops it. As
libzmq, checked with pyzmq on either end."""

import time

import pytest


def _drain(zmq, x, n):
    x.setsockopt(zmq.RCVTIMEO, 300)
    out = []
    for _ in range(n):
        try:
            out.append(x.recv_multipart())
        except zmq.Again:
            break
    return out


@pytest.mark.parametrize("peer", ["same", "pyzmq"])
@pytest.mark.parametrize("transport", ["tcp", "inproc"])
def test_xpub_receives_upstream_messages_in_order(zmq, pyzmq, ctx, pctx, bind, peer, transport):
    if peer == "pyzmq" and transport == "inproc":
        pytest.skip("inproc does not cross implementations")
    pmod, pc = (zmq, ctx) if peer == "same" else (pyzmq, pctx)
    x = ctx.socket(zmq.XPUB)
    x.setsockopt(zmq.LINGER, 0)
    addr = bind(x, transport)
    s = pc.socket(pmod.XSUB)
    s.setsockopt(pmod.LINGER, 0)
    s.connect(addr)
    try:
        s.send(b"\x01news")
        time.sleep(0.1)
        s.send(b"hello upstream")
        s.send_multipart([b"\x02cmd", b"arg"])
        s.send(b"")
        got = _drain(zmq, x, 5)
        assert got == [[b"\x01news"], [b"hello upstream"], [b"\x02cmd", b"arg"], [b""]]
    finally:
        s.close()
        x.close()


def test_pyzmq_xpub_receives_our_upstream_messages(zmq, pyzmq, ctx, pctx):
    x = pctx.socket(pyzmq.XPUB)
    x.setsockopt(pyzmq.LINGER, 0)
    port = x.bind_to_random_port("tcp://127.0.0.1")
    s = ctx.socket(zmq.XSUB)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(f"tcp://127.0.0.1:{port}")
    try:
        s.send(b"\x01news")
        time.sleep(0.1)
        s.send_multipart([b"up", b"stream"])
        assert _drain(pyzmq, x, 3) == [[b"\x01news"], [b"up", b"stream"]]
    finally:
        s.close()
        x.close()


def test_pub_drops_upstream_messages_but_takes_subscriptions(zmq, ctx, bind):
    p = ctx.socket(zmq.PUB)
    p.setsockopt(zmq.LINGER, 0)
    addr = bind(p, "tcp")
    s = ctx.socket(zmq.XSUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 2000)
    s.connect(addr)
    try:
        s.send(b"hello upstream")  # no subscription: a PUB never reads it
        s.send(b"\x01t")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            p.send(b"t1")
            if s.poll(20):
                break
        assert s.recv() == b"t1"
    finally:
        s.close()
        p.close()
