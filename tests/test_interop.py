"""Live interop with libzmq (through pyzmq): the implementation under test talks to pyzmq
sockets over tcp and ipc, binding or connecting."""

import threading

import pytest

TRANSPORTS = ["tcp", "ipc"]
# (impl socket type, pyzmq socket type) as attribute names
PAIRS = [("PUSH", "PULL"), ("PULL", "PUSH"), ("PAIR", "PAIR")]


@pytest.fixture
def link(zmq, pyzmq, ctx, pctx, endpoint, fast):
    """link(impl_type, py_type, transport, impl_binds) -> (impl socket, pyzmq socket)."""

    def make(impl_type, py_type, transport, impl_binds):
        s = fast(ctx.socket(getattr(zmq, impl_type)))
        p = fast(pctx.socket(getattr(pyzmq, py_type)))
        if impl_binds:
            s.bind(endpoint(transport))
            p.connect(s.getsockopt(zmq.LAST_ENDPOINT).decode())
        else:
            p.bind(endpoint(transport))
            s.connect(p.getsockopt(pyzmq.LAST_ENDPOINT).decode())
        return s, p

    return make


def _sender_receiver(s, p, impl_type):
    """(sender, receiver) for one direction of the link."""
    return (s, p) if impl_type in ("PUSH", "PAIR") else (p, s)


ALL = [
    pytest.param(it, pt, tr, ib, id=f"{it}-{pt}-{tr}-{'impl_binds' if ib else 'impl_connects'}")
    for it, pt in PAIRS
    for tr in TRANSPORTS
    for ib in (True, False)
]


@pytest.mark.parametrize("impl_type,py_type,transport,impl_binds", ALL)
def test_messages_flow_between_impl_and_libzmq(link, impl_type, py_type, transport, impl_binds):
    s, p = link(impl_type, py_type, transport, impl_binds)
    snd, rcv = _sender_receiver(s, p, impl_type)
    snd.send(b"hello")
    assert rcv.recv() == b"hello"
    snd.send(b"")
    assert rcv.recv() == b""
    if impl_type == "PAIR":  # and back
        p.send(b"from libzmq")
        assert s.recv() == b"from libzmq"
        s.send(b"from impl")
        assert p.recv() == b"from impl"


@pytest.mark.parametrize("impl_type,py_type,transport,impl_binds", ALL)
def test_multipart_and_one_mebibyte_messages_cross_to_libzmq(
    link, impl_type, py_type, transport, impl_binds
):
    s, p = link(impl_type, py_type, transport, impl_binds)
    snd, rcv = _sender_receiver(s, p, impl_type)
    big = bytes(range(256)) * 4096
    parts = [b"a", b"", b"c" * 255, b"d" * 256, b"e" * 70000]
    snd.send_multipart(parts)
    assert rcv.recv_multipart() == parts
    snd.send(big)
    assert rcv.recv() == big
    snd.send_multipart([big, b"tail"])
    assert rcv.recv_multipart() == [big, b"tail"]
    if impl_type == "PAIR":
        p.send_multipart([b"x", big])
        assert s.recv_multipart() == [b"x", big]


@pytest.mark.parametrize("impl_type,py_type,transport,impl_binds", ALL)
def test_thousand_messages_arrive_in_order_across_implementations(
    link, impl_type, py_type, transport, impl_binds
):
    s, p = link(impl_type, py_type, transport, impl_binds)
    snd, rcv = _sender_receiver(s, p, impl_type)
    n = 1000
    errors = []

    def sender():
        try:
            for i in range(n):
                snd.send(b"%d" % i)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=sender)
    t.start()
    got = [int(rcv.recv()) for _ in range(n)]
    t.join(10)
    assert not errors
    assert got == list(range(n))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_impl_pull_fair_queues_impl_and_libzmq_pushes(zmq, pyzmq, ctx, pctx, bind, fast, transport):
    pull = fast(ctx.socket(zmq.PULL))
    addr = bind(pull, transport)
    a = fast(ctx.socket(zmq.PUSH))
    b = fast(pctx.socket(pyzmq.PUSH))
    a.connect(addr)
    b.connect(addr)
    for i in range(5):
        a.send(b"impl %d" % i)
        b.send(b"libzmq %d" % i)
    got = sorted(pull.recv() for _ in range(10))
    assert got == sorted([b"impl %d" % i for i in range(5)] + [b"libzmq %d" % i for i in range(5)])
