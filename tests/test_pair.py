"""PAIR between two sockets of the implementation under test, over each transport."""

import pytest

TRANSPORTS = ["inproc", "ipc", "tcp"]


@pytest.fixture
def pair(connected):
    """pair(transport) -> (bound PAIR, connected PAIR), conftest's connected()."""
    return lambda transport: connected("PAIR", "PAIR", transport)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pair_exchanges_messages_in_both_directions(pair, transport):
    a, b = pair(transport)
    a.send(b"from binder")
    assert b.recv() == b"from binder"
    b.send(b"from connecter")
    assert a.recv() == b"from connecter"
    for i in range(50):
        a.send(b"a%d" % i)
        b.send(b"b%d" % i)
    assert [b.recv() for _ in range(50)] == [b"a%d" % i for i in range(50)]
    assert [a.recv() for _ in range(50)] == [b"b%d" % i for i in range(50)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pair_carries_multipart_and_large_messages_both_ways(pair, transport):
    a, b = pair(transport)
    big = b"\xab" * (1 << 20)
    a.send_multipart([b"head", b"", big])
    assert b.recv_multipart() == [b"head", b"", big]
    b.send_multipart([big, b"tail"])
    assert a.recv_multipart() == [big, b"tail"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pair_socket_type_option_is_pair(zmq, pair, transport):
    a, b = pair(transport)
    assert a.getsockopt(zmq.TYPE) == zmq.PAIR
    assert b.type == zmq.PAIR


def test_inproc_pair_connected_before_bind_delivers_both_ways(zmq, ctx, fast, endpoint):
    addr = endpoint("inproc")
    b = fast(ctx.socket(zmq.PAIR))
    b.connect(addr)
    b.send(b"queued before bind")
    a = fast(ctx.socket(zmq.PAIR))
    a.bind(addr)
    assert a.recv() == b"queued before bind"
    a.send(b"reply")
    assert b.recv() == b"reply"


def test_pair_without_a_peer_cannot_send_or_receive(zmq, ctx, fast, endpoint):
    a = fast(ctx.socket(zmq.PAIR))
    a.bind(endpoint("tcp"))
    with pytest.raises(zmq.Again):
        a.send(b"x", zmq.DONTWAIT)
    with pytest.raises(zmq.Again):
        a.recv(zmq.DONTWAIT)
    assert a.poll(0, zmq.POLLOUT) == 0
