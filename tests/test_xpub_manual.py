"""XPUB_MANUAL: the application sees each subscription and decides what applies."""

import time

import pytest


def test_manual_xpub_applies_only_what_the_application_subscribes(zmq, pyzmq, ctx, pctx, fast):
    x = fast(ctx.socket(zmq.XPUB))
    x.setsockopt(zmq.XPUB_MANUAL, 1)
    x.bind("tcp://127.0.0.1:*")
    sub = fast(pctx.socket(pyzmq.SUB), 300)
    sub.connect(x.last_endpoint.decode())
    sub.subscribe(b"A")
    assert x.recv() == b"\x01A"
    for _ in range(5):
        x.send(b"A before")
    with pytest.raises(pyzmq.Again):
        sub.recv()
    x.setsockopt(zmq.SUBSCRIBE, b"A")  # accept it for that subscriber
    time.sleep(0.05)
    x.send(b"A after")
    assert sub.recv() == b"A after"
    x.setsockopt(zmq.UNSUBSCRIBE, b"A")
    x.send(b"A again")
    with pytest.raises(pyzmq.Again):
        sub.recv()
