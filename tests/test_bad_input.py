"""Misbehaving peers lose their connection without harming the socket; invalid endpoints and
options raise the errors libzmq raises."""

import errno
import os
import struct
import time

import pytest

from zmtp_peer import frame, greeting, read_exact, ready, wait_closed

ZMQFAST = os.environ.get("ZMQFAST_IMPL", "zmqfast") == "zmqfast"
LONG_IPC = "ipc:///tmp/" + "x" * 120  # longer than sun_path (107 bytes + NUL)


def make_guarded_pull(zmq, pyzmq, ctx, pctx, fast, maxmsgsize=None):
    """(impl PULL bound on tcp, its port, a pyzmq PUSH connected to it and already delivering)."""
    pull = fast(ctx.socket(zmq.PULL))
    if maxmsgsize is not None:
        pull.setsockopt(zmq.MAXMSGSIZE, maxmsgsize)  # before bind: a listener copies options
    pull.bind("tcp://127.0.0.1:*")
    addr = pull.getsockopt(zmq.LAST_ENDPOINT).decode()
    good = fast(pctx.socket(pyzmq.PUSH))
    good.connect(addr)
    good.send(b"good before")
    assert pull.recv() == b"good before"
    return pull, int(addr.rsplit(":", 1)[1]), good


@pytest.fixture
def guarded_pull(zmq, pyzmq, ctx, pctx, fast):
    return make_guarded_pull(zmq, pyzmq, ctx, pctx, fast)


@pytest.fixture
def small_guarded_pull(zmq, pyzmq, ctx, pctx, fast):
    """guarded_pull with MAXMSGSIZE=100."""
    return make_guarded_pull(zmq, pyzmq, ctx, pctx, fast, maxmsgsize=100)


def _still_delivers(pull, good):
    for i in range(3):
        good.send(b"good after %d" % i)
    assert [pull.recv() for _ in range(3)] == [b"good after %d" % i for i in range(3)]


GARBAGE = {
    "all-0xff": b"\xff" * 64,
    "all-zero": b"\x00" * 64,
    "bad-signature": b"\xff" + b"\x00" * 8 + b"\x00" + b"\x03\x01NULL" + b"\x00" * 48,
}


@pytest.mark.parametrize("data", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_greeting_loses_the_connection_but_the_socket_keeps_working(
    guarded_pull, raw_connect, data
):
    pull, port, good = guarded_pull
    conn = raw_connect(port)
    conn.sendall(data)
    assert wait_closed(conn)
    _still_delivers(pull, good)


@pytest.mark.parametrize("cut", [1, 10, 11, 40, 63])
def test_truncated_greeting_then_close_does_not_harm_the_socket(guarded_pull, raw_connect, cut):
    pull, port, good = guarded_pull
    conn = raw_connect(port)
    conn.sendall(greeting()[:cut])
    time.sleep(0.05)
    conn.close()
    _still_delivers(pull, good)


def test_truncated_frame_then_close_delivers_nothing_partial(guarded_pull, raw_connect):
    pull, port, good = guarded_pull
    conn = raw_connect(port)
    conn.sendall(greeting())
    read_exact(conn, 64)
    conn.sendall(ready("PUSH"))
    conn.sendall(frame(b"part", flags=0x01) + frame(b"x" * 1000)[:300])  # multipart cut short
    time.sleep(0.1)
    conn.close()
    _still_delivers(pull, good)
    assert pull.poll(100) == 0


def test_frame_larger_than_maxmsgsize_loses_the_connection(zmq, small_guarded_pull, raw_connect):
    pull, port, good = small_guarded_pull
    assert pull.getsockopt(zmq.MAXMSGSIZE) == 100
    conn = raw_connect(port)
    conn.sendall(greeting())
    read_exact(conn, 64)
    conn.sendall(ready("PUSH"))
    conn.sendall(frame(b"a" * 100))  # at the limit: fine
    assert pull.recv() == b"a" * 100
    conn.sendall(frame(b"b" * 101))
    assert wait_closed(conn)
    _still_delivers(pull, good)
    assert pull.poll(100) == 0


def test_huge_declared_frame_size_loses_the_connection_under_maxmsgsize(small_guarded_pull,
                                                                      raw_connect):
    pull, port, good = small_guarded_pull
    conn = raw_connect(port)
    conn.sendall(greeting())
    read_exact(conn, 64)
    conn.sendall(ready("PUSH"))
    conn.sendall(b"\x02" + struct.pack(">Q", 1 << 62))  # 4 EiB promised, nothing follows
    assert wait_closed(conn)
    _still_delivers(pull, good)


def test_data_before_ready_loses_the_connection_but_the_socket_keeps_working(guarded_pull, raw_connect):
    pull, port, good = guarded_pull
    conn = raw_connect(port)
    conn.sendall(greeting())
    read_exact(conn, 64)
    conn.sendall(frame(b"too early"))
    assert wait_closed(conn)
    _still_delivers(pull, good)
    assert pull.poll(100) == 0


def test_many_bad_peers_in_a_row_do_not_harm_the_socket(guarded_pull, raw_connect):
    pull, port, good = guarded_pull
    for i in range(20):
        conn = raw_connect(port)
        conn.sendall(GARBAGE["all-0xff"][: 1 + i * 3])
        conn.close()
    _still_delivers(pull, good)


# -- invalid endpoints: the same errno as libzmq ------------------------------------------

ENDPOINT_CASES = [
    ("bind", "foo://x"),
    ("connect", "foo://x"),
    ("bind", "tcp://127.0.0.1:notaport"),
    ("connect", "tcp://127.0.0.1:notaport"),
    ("bind", "tcp://127.0.0.1"),
    ("connect", "tcp://127.0.0.1"),
    ("bind", "inproc://"),
    ("connect", "inproc://"),
    ("bind", LONG_IPC),
    ("connect", LONG_IPC),
    ("bind", "tcp://nohost.invalid:1"),
    ("connect", "tcp://*:*"),
    ("bind", "tcp://"),
    ("bind", "ipc://"),
    ("bind", "no-scheme"),
]


def _outcome(mod, ctx, op, addr):
    s = ctx.socket(mod.PUSH)
    s.setsockopt(mod.LINGER, 0)
    try:
        getattr(s, op)(addr)
        return None
    except mod.ZMQError as e:
        return e.errno
    finally:
        s.close()


@pytest.mark.parametrize("op,addr", ENDPOINT_CASES, ids=[f"{o}-{a[:30]}" for o, a in ENDPOINT_CASES])
def test_invalid_endpoint_raises_the_errno_libzmq_raises(zmq, pyzmq, ctx, pctx, op, addr):
    expected = _outcome(pyzmq, pctx, op, addr)
    assert expected is not None  # every case here is invalid for libzmq
    assert _outcome(zmq, ctx, op, addr) == expected


def test_binding_an_address_in_use_raises_eaddrinuse(zmq, ctx):
    a = ctx.socket(zmq.PULL)
    a.bind("tcp://127.0.0.1:*")
    addr = a.getsockopt(zmq.LAST_ENDPOINT).decode()
    b = ctx.socket(zmq.PULL)
    with pytest.raises(zmq.ZMQError) as info:
        b.bind(addr)
    assert info.value.errno == zmq.EADDRINUSE
    b.bind("inproc://dup-name")
    with pytest.raises(zmq.ZMQError) as info:
        a.bind("inproc://dup-name")
    assert info.value.errno == zmq.EADDRINUSE


def test_unbind_or_disconnect_of_an_unknown_endpoint_raises_enoent(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(zmq.ZMQError) as info:
        s.unbind("tcp://127.0.0.1:1")
    assert info.value.errno == errno.ENOENT
    with pytest.raises(zmq.ZMQError) as info:
        s.disconnect("tcp://127.0.0.1:1")
    assert info.value.errno == errno.ENOENT


# -- invalid options ------------------------------------------------------------------------


def test_unknown_option_raises_einval_on_set_and_get(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(zmq.ZMQError) as info:
        s.setsockopt(9999, 1)
    assert info.value.errno == zmq.EINVAL
    with pytest.raises(zmq.ZMQError) as info:
        s.getsockopt(9999)
    assert info.value.errno == zmq.EINVAL


@pytest.mark.parametrize("opt,value", [("LINGER", -2), ("SNDHWM", -1), ("RCVHWM", -1),
                                        ("IMMEDIATE", 2), ("RECONNECT_IVL", -2)])
def test_out_of_range_option_value_raises_einval(zmq, ctx, opt, value):
    s = ctx.socket(zmq.PUSH)
    before = s.getsockopt(getattr(zmq, opt))
    with pytest.raises(zmq.ZMQError) as info:
        s.setsockopt(getattr(zmq, opt), value)
    assert info.value.errno == zmq.EINVAL
    assert s.getsockopt(getattr(zmq, opt)) == before


def test_bytes_for_an_integer_option_raises_typeerror(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(TypeError):
        s.setsockopt(zmq.LINGER, b"not an int")


def test_int_for_a_bytes_option_raises_typeerror(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(TypeError):
        s.setsockopt(zmq.ROUTING_ID, 5)
