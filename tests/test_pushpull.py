"""PUSH/PULL between two sockets of the implementation under test, over each transport."""

import array
import socket as pysocket
import threading
import time

import pytest

TRANSPORTS = ["inproc", "ipc", "tcp"]


def free_tcp_port():
    s = pysocket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def pushpull(zmq, ctx, bind, fast):
    """pushpull(transport, bind_side) -> (push, pull), connected."""

    def make(transport, bind_side="pull"):
        push = fast(ctx.socket(zmq.PUSH))
        pull = fast(ctx.socket(zmq.PULL))
        if bind_side == "pull":
            push.connect(bind(pull, transport))
        else:
            pull.connect(bind(push, transport))
        return push, pull

    return make


@pytest.mark.parametrize("bind_side", ["pull", "push"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_push_delivers_to_pull_with_either_side_bound(pushpull, transport, bind_side):
    push, pull = pushpull(transport, bind_side)
    for i in range(10):
        push.send(b"msg %d" % i)
    assert [pull.recv() for _ in range(10)] == [b"msg %d" % i for i in range(10)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_messages_sent_before_the_peer_binds_arrive_after_it_binds(
    zmq, ctx, fast, endpoint, transport
):
    # connect first (inproc connect-before-bind included), send, then bind
    if transport == "tcp":
        addr = f"tcp://127.0.0.1:{free_tcp_port()}"
    else:
        addr = endpoint(transport)
    push = fast(ctx.socket(zmq.PUSH))
    push.connect(addr)
    for i in range(5):
        push.send(b"early %d" % i)
    pull = fast(ctx.socket(zmq.PULL))
    pull.bind(addr)
    assert [pull.recv() for _ in range(5)] == [b"early %d" % i for i in range(5)]
    push.send(b"later")
    assert pull.recv() == b"later"


def _wait_all_connected(push, pulls, zmq):
    """Send probes one at a time until every PULL has received one; each probe is received
    before the next is sent, so nothing is left in flight afterwards."""
    seen = set()
    deadline = time.monotonic() + 5
    poller = zmq.Poller()
    for p in pulls:
        poller.register(p, zmq.POLLIN)
    while len(seen) < len(pulls):
        assert time.monotonic() < deadline, "PULL sockets never all connected"
        push.send(b"probe")
        events = dict(poller.poll(5000))
        assert events, "probe lost"
        got = [p for p in pulls if p in events]
        assert len(got) == 1
        assert got[0].recv() == b"probe"
        seen.add(pulls.index(got[0]))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_push_round_robins_evenly_across_three_pulls(zmq, ctx, bind, fast, transport):
    push = fast(ctx.socket(zmq.PUSH))
    addr = bind(push, transport)
    pulls = [fast(ctx.socket(zmq.PULL)) for _ in range(3)]
    for p in pulls:
        p.connect(addr)
    _wait_all_connected(push, pulls, zmq)
    n = 30
    for i in range(3 * n):
        push.send(b"%d" % i)
    received = []
    for p in pulls:
        got = [int(p.recv()) for _ in range(n)]
        received.append(got)
        # every third message: strict round-robin
        assert [b - a for a, b in zip(got, got[1:])] == [3] * (n - 1)
        assert p.poll(50) == 0
    assert sorted(x for got in received for x in got) == list(range(3 * n))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pull_fair_queues_from_three_pushes(zmq, ctx, bind, fast, transport):
    pull = fast(ctx.socket(zmq.PULL))
    addr = bind(pull, transport)
    pushes = [fast(ctx.socket(zmq.PUSH)) for _ in range(3)]
    for i, p in enumerate(pushes):
        p.connect(addr)
        p.send(b"hello")  # each push has only this peer: the probe proves the connection
        assert pull.recv() == b"hello"
    # an empty read leaves no PULL queue "current", so all three start on an equal footing
    with pytest.raises(zmq.Again):
        pull.recv(zmq.DONTWAIT)
    n = 20
    for i, p in enumerate(pushes):
        for j in range(n):
            p.send(b"%d:%d" % (i, j))
    if transport != "inproc":
        time.sleep(0.3)  # let every message reach the PULL's queues before reading any
    msgs = [pull.recv().split(b":") for _ in range(3 * n)]
    senders = [int(m[0]) for m in msgs]
    # each sender's messages in order, none lost
    for i in range(3):
        assert [int(m[1]) for m in msgs if int(m[0]) == i] == list(range(n))
    # fair queueing: every window of three consecutive messages has one from each sender
    for k in range(n):
        assert sorted(senders[3 * k:3 * k + 3]) == [0, 1, 2], senders


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_multipart_messages_are_delivered_whole_to_one_pull(zmq, ctx, bind, fast, transport):
    push = fast(ctx.socket(zmq.PUSH))
    addr = bind(push, transport)
    pulls = [fast(ctx.socket(zmq.PULL)) for _ in range(2)]
    for p in pulls:
        p.connect(addr)
    _wait_all_connected(push, pulls, zmq)
    for i in range(10):
        push.send_multipart([b"a%d" % i, b"b%d" % i, b"c%d" % i])
    for p in pulls:
        for _ in range(5):
            parts = p.recv_multipart()
            i = int(parts[0][1:])
            assert parts == [b"a%d" % i, b"b%d" % i, b"c%d" % i]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_partial_multipart_is_not_delivered_until_the_last_frame(pushpull, zmq, transport):
    push, pull = pushpull(transport)
    push.send(b"sync")
    assert pull.recv() == b"sync"
    push.send(b"first", zmq.SNDMORE)
    push.send(b"second", zmq.SNDMORE)
    assert pull.poll(200) == 0
    push.send(b"last")
    assert pull.recv() == b"first"
    assert pull.getsockopt(zmq.RCVMORE) == 1
    assert pull.recv() == b"second"
    assert pull.rcvmore == 1
    assert pull.recv() == b"last"
    assert pull.getsockopt(zmq.RCVMORE) == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_one_mebibyte_message_round_trips(pushpull, transport):
    push, pull = pushpull(transport)
    data = bytes(range(256)) * 4096
    assert len(data) == 1 << 20
    push.send(data)
    assert pull.recv() == data


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_empty_frames_round_trip(pushpull, transport):
    push, pull = pushpull(transport)
    push.send(b"")
    push.send_multipart([b"", b"x", b""])
    assert pull.recv() == b""
    assert pull.recv_multipart() == [b"", b"x", b""]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_twenty_thousand_messages_arrive_in_order(pushpull, transport):
    push, pull = pushpull(transport)
    n = 20000
    errors = []

    def sender():
        try:
            for i in range(n):
                push.send(i.to_bytes(4, "little"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=sender)
    t.start()
    got = [int.from_bytes(pull.recv(), "little") for _ in range(n)]
    t.join(10)
    assert not errors
    assert got == list(range(n))


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: b"bytes data",
        lambda: bytearray(b"bytearray data"),
        lambda: memoryview(b"memoryview data"),
        lambda: memoryview(b"__sliced view__")[2:-2],
        lambda: array.array("i", [1, 2, 3, 4]),
    ],
    ids=["bytes", "bytearray", "memoryview", "memoryview-slice", "array"],
)
@pytest.mark.parametrize("copy", [True, False], ids=["copy", "nocopy"])
def test_send_accepts_buffer_objects(pushpull, transport, make, copy):
    push, pull = pushpull(transport)
    data = make()
    push.send(data, copy=copy)
    assert pull.recv() == bytes(memoryview(data).cast("B"))


def test_send_multipart_accepts_mixed_buffers(pushpull):
    push, pull = pushpull("inproc")
    push.send_multipart([b"a", bytearray(b"b"), memoryview(b"c")])
    assert pull.recv_multipart() == [b"a", b"b", b"c"]


def test_send_rejects_non_buffer_objects(pushpull):
    push, pull = pushpull("inproc")
    with pytest.raises(TypeError):
        push.send(12345)
    with pytest.raises(TypeError):
        push.send("a str is not bytes")


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_string_json_and_pyobj_round_trip(pushpull, transport):
    push, pull = pushpull(transport)
    push.send_string("héllo wörld ✓")
    assert pull.recv_string() == "héllo wörld ✓"
    push.send_string("latin", encoding="latin-1")
    assert pull.recv() == "latin".encode("latin-1")
    obj = {"a": [1, 2.5, None, True], "b": "ü"}
    push.send_json(obj)
    assert pull.recv_json() == obj
    pyobj = {"set": {1, 2}, "tuple": (1, "x"), "bytes": b"\x00\xff"}
    push.send_pyobj(pyobj)
    assert pull.recv_pyobj() == pyobj


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("size", [10, 10_000, 100_000])
def test_recv_without_copy_returns_frame_with_the_data(zmq, pushpull, transport, size):
    push, pull = pushpull(transport)
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    push.send(data)
    frame = pull.recv(copy=False)
    assert isinstance(frame, zmq.Frame)
    assert frame.bytes == data
    assert bytes(frame) == data
    assert bytes(frame.buffer) == data
    assert len(frame) == size
    assert frame.more is False


def test_recv_multipart_without_copy_sets_more_on_frames(zmq, pushpull):
    push, pull = pushpull("inproc")
    push.send_multipart([b"one", b"two"])
    frames = pull.recv_multipart(copy=False)
    assert [f.bytes for f in frames] == [b"one", b"two"]
    assert all(isinstance(f, zmq.Frame) for f in frames)


def test_sending_a_frame_object_sends_its_data(zmq, pushpull):
    push, pull = pushpull("inproc")
    push.send(zmq.Frame(b"framed"))
    assert pull.recv() == b"framed"


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_recv_into_fills_a_buffer_and_reports_the_frame_size(pushpull, transport):
    push, pull = pushpull(transport)
    push.send(b"hello")
    buf = bytearray(10)
    assert pull.recv_into(buf) == 5
    assert buf == b"hello" + bytes(5)
    # a frame larger than the buffer is truncated; the full size is returned
    push.send(b"0123456789abcdef")
    buf = bytearray(4)
    assert pull.recv_into(buf) == 16
    assert buf == b"0123"
    # nbytes limits the copy
    push.send(b"abcdef")
    buf = bytearray(b"......")
    assert pull.recv_into(buf, nbytes=3) == 6
    assert buf == b"abc..."
    # an empty buffer discards the next frame
    push.send(b"discard me")
    push.send(b"keep")
    assert pull.recv_into(bytearray()) == 10
    assert pull.recv() == b"keep"


def test_recv_into_rejects_a_read_only_buffer(pushpull):
    push, pull = pushpull("inproc")
    push.send(b"x")
    with pytest.raises((BufferError, TypeError)):
        pull.recv_into(b"immutable")


def test_recv_into_with_dontwait_raises_again_when_empty(zmq, pushpull):
    push, pull = pushpull("inproc")
    with pytest.raises(zmq.Again):
        pull.recv_into(bytearray(8), flags=zmq.DONTWAIT)


@pytest.mark.zmqfast_only
def test_try_recv_returns_none_when_empty_and_the_frame_when_not(pushpull):
    push, pull = pushpull("inproc")
    assert pull.try_recv() is None
    push.send(b"there")
    assert pull.try_recv() == b"there"
    assert pull.try_recv() is None
