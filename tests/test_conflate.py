"""CONFLATE keeps only the newest message, and never holds the sender back."""

import time

import pytest


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_a_conflating_receiver_gets_only_the_newest_message(zmq, ctx, fast, bind, transport):
    # the conflating side connects: for inproc, libzmq takes CONFLATE from the connecting side
    tx = fast(ctx.socket(zmq.PUSH))
    addr = bind(tx, transport)
    rx = fast(ctx.socket(zmq.PULL), 1000)
    rx.conflate = 1
    rx.connect(addr)
    time.sleep(0.1)
    for i in range(5000):  # well past the default HWM: CONFLATE must not block
        tx.send(b"%d" % i)
    deadline = time.monotonic() + 3
    last = None
    while last != b"4999" and time.monotonic() < deadline:
        try:
            last = rx.recv(zmq.DONTWAIT)
        except zmq.Again:
            time.sleep(0.01)
    assert last == b"4999"
    with pytest.raises(zmq.Again):
        rx.recv(zmq.DONTWAIT)
    tx.send(b"next")
    assert rx.recv() == b"next"


def test_a_conflating_sub_keeps_the_latest_from_a_libzmq_publisher(zmq, pyzmq, ctx, pctx, fast):
    pub = fast(pctx.socket(pyzmq.XPUB))
    pub.sndhwm = 100000  # the publisher must not drop: only CONFLATE may
    pub.bind("tcp://127.0.0.1:*")
    sub = fast(ctx.socket(zmq.SUB), 1000)
    sub.conflate = 1
    sub.subscribe(b"")
    sub.connect(pub.last_endpoint.decode())
    assert pub.recv() == b"\x01"  # subscribed: nothing published from now on is missed
    for i in range(1000):
        pub.send(b"%d" % i)
    time.sleep(0.3)
    assert sub.recv() == b"999"
    with pytest.raises(zmq.Again):
        sub.recv(zmq.DONTWAIT)


def test_a_conflating_sender_never_blocks_and_delivers_the_newest(zmq, pyzmq, ctx, pctx, fast):
    rx = fast(pctx.socket(pyzmq.PULL), 1000)
    rx.bind("tcp://127.0.0.1:*")
    tx = fast(ctx.socket(zmq.PUSH))
    tx.conflate = 1
    tx.connect(rx.last_endpoint.decode())
    for i in range(50000):
        tx.send(b"%d" % i, zmq.DONTWAIT)  # would raise Again at HWM without CONFLATE
    got = []
    while True:
        try:
            got.append(rx.recv())
        except pyzmq.Again:
            break
    assert got[-1] == b"49999"
    assert len(got) < 50000
