"""Frames: zero-copy receive, connection metadata, tracked sends."""

import gc

import pytest


def test_frame_metadata_from_a_libzmq_peer(zmq, pyzmq, ctx, pctx, fast):
    r = fast(ctx.socket(zmq.ROUTER))
    r.bind("tcp://127.0.0.1:*")
    d = fast(pctx.socket(pyzmq.DEALER))
    d.identity = b"dealer-1"
    d.connect(r.last_endpoint.decode())
    d.send(b"hi")
    ident, body = r.recv_multipart(copy=False)
    assert ident.bytes == b"dealer-1"
    assert body.get("Socket-Type") == "DEALER"
    assert body.get("Identity") == "dealer-1"
    assert body.get("Peer-Address") == "127.0.0.1"
    assert body.get(zmq.MORE) == 0
    with pytest.raises(zmq.ZMQError) as info:
        body.get("User-Id")  # no ZAP: no user id, as libzmq
    assert info.value.errno == zmq.EINVAL


def test_metadata_matches_what_libzmq_reports(zmq, pyzmq, ctx, pctx, fast):
    # the same exchange with pyzmq on the receiving side gives the same answers
    results = []
    for c, mod, other, omod in ((ctx, zmq, pctx, pyzmq), (pctx, pyzmq, ctx, zmq)):
        rx = fast(c.socket(mod.PULL))
        rx.bind("tcp://127.0.0.1:*")
        tx = fast(other.socket(omod.PUSH))
        tx.connect(rx.last_endpoint.decode())
        tx.send(b"x")
        f = rx.recv(copy=False)
        results.append((f.get("Socket-Type"), f.get("Peer-Address")))
        for name in ("socket-type", "SOCKET-TYPE", "peer-address"):  # lookups are exact
            with pytest.raises(mod.ZMQError) as info:
                f.get(name)
            results.append(info.value.errno)
    assert results[0] == results[4] == ("PUSH", "127.0.0.1")
    assert results[1:4] == results[5:8] == [zmq.EINVAL] * 3


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_a_large_frame_received_without_copy_shares_the_engine_buffer(transport, connected):
    rx, tx = connected("PULL", "PUSH", transport)
    data = bytes(range(256)) * 1024
    tx.send(data)
    f = rx.recv(copy=False)
    view = memoryview(f)
    assert bytes(view) == data
    assert memoryview(f).obj is f  # the buffer is the frame's own, not a bytes copy
    assert f.bytes == data and f.bytes is f.bytes  # bytes made once, on request


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_a_tracked_send_completes_after_the_transfer(transport, connected):
    rx, tx = connected("PULL", "PUSH", transport)
    tracker = tx.send(b"y" * 200000, copy=False, track=True)
    assert rx.recv() == b"y" * 200000
    tracker.wait(5)
    assert tracker.done


@pytest.mark.zmqfast_only
def test_a_tracked_send_is_not_done_while_the_engine_holds_the_buffer(zmq, ctx, fast):
    tx = fast(ctx.socket(zmq.PUSH))
    tx.connect("tcp://127.0.0.1:1")  # nobody there: the message stays queued
    tracker = tx.send(b"z" * 100000, copy=False, track=True)
    assert not tracker.done
    with pytest.raises(zmq.NotDone):
        tracker.wait(0.05)
    tx.close(linger=0)
    tracker.wait(5)  # dropping the queued message releases the buffer
    assert tracker.done


def test_recv_into_a_buffer(connected):
    rx, tx = connected("PULL", "PUSH", "inproc")
    tx.send(b"0123456789")
    buf = bytearray(4)
    n = rx.recv_into(buf)
    assert n == 10 and bytes(buf) == b"0123"


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_a_received_frame_outliving_its_context_gives_its_buffer_back_safely(zmq, transport):
    # A large frame received with copy=False may hold a buffer of Python's (a zero-copy send's
    # object over inproc, a bytes object made ahead over tcp) that goes back through the
    # context's release stack: the context must outlive the frame (under ASan this was a
    # use-after-free once the context had been collected first).
    ctx = zmq.Context()
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    b.rcvtimeo = 5000
    if transport == "inproc":
        a.bind("inproc://outlive")
        b.connect("inproc://outlive")
    else:
        b.connect(f"tcp://127.0.0.1:{a.bind_to_random_port('tcp://127.0.0.1')}")
    big = bytes(range(256)) * 1024  # 256 KiB: zero-copy, and a blank over tcp
    frames = []
    for _ in range(3):
        a.send(big, copy=False)
        frames.append(b.recv(copy=False))
    a.close(linger=0)
    b.close(linger=0)
    ctx.term()
    del ctx, a, b
    gc.collect()
    assert all(f.bytes == big for f in frames)
    del frames
    gc.collect()
