"""ZMTP 3.1 on the wire (RFC 37), checked byte by byte against a raw Python socket peer.

libzmq sends only the first bytes of its greeting until it has seen the peer's, so the raw
peer always sends its whole 64-byte greeting before reading one.
"""

import socket as pysocket
import time

import pytest
from zmtp_peer import (CMD, LONG, MORE, accept, check_greeting, command, frame, greeting,
                       parse_command, read_exact, read_frame, read_ready, ready, wait_closed)

TYPES = ["PAIR", "PUSH", "PULL"]
PEER_TYPE = {"PAIR": "PAIR", "PUSH": "PULL", "PULL": "PUSH"}

# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def impl_connected(zmq, ctx, fast, raw_listener):
    """impl_connected(type, minor=1, peer_type=None) -> (impl socket, raw conn) past the
    handshake; the impl socket connected to the raw listener."""

    def make(type_name, minor=1, peer_type=None):
        s = fast(ctx.socket(getattr(zmq, type_name)))
        s.connect("tcp://127.0.0.1:%d" % raw_listener.getsockname()[1])
        conn = accept(raw_listener)
        conn.sendall(greeting(minor))
        check_greeting(read_exact(conn, 64))
        conn.sendall(ready(peer_type or PEER_TYPE[type_name]))
        assert read_ready(conn) == {"Socket-Type": type_name.encode()}
        return s, conn

    return make


@pytest.fixture
def impl_bound(zmq, ctx, fast, bind, raw_connect):
    """impl_bound(type, minor=1) -> (impl socket, raw conn) past the handshake; the raw
    client connected to the impl socket's bind."""

    def make(type_name, minor=1):
        s = fast(ctx.socket(getattr(zmq, type_name)))
        conn = raw_connect(bind(s, "tcp"))
        conn.sendall(greeting(minor))
        check_greeting(read_exact(conn, 64))
        conn.sendall(ready(PEER_TYPE[type_name]))
        assert read_ready(conn) == {"Socket-Type": type_name.encode()}
        return s, conn

    return make


@pytest.fixture(params=["impl_connects", "impl_binds"])
def handshaken(request, impl_connected, impl_bound):
    return impl_connected if request.param == "impl_connects" else impl_bound


# -- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", TYPES)
def test_greeting_and_ready_when_impl_connects(impl_connected, type_name):
    impl_connected(type_name)  # the checks are in the fixture


@pytest.mark.parametrize("type_name", TYPES)
def test_greeting_and_ready_when_impl_binds(impl_bound, type_name):
    impl_bound(type_name)


def test_greeting_starts_before_the_peer_sends_anything(zmq, ctx, fast, bind, raw_connect):
    # the first ten bytes (signature) come unprompted, whatever comes after waits for ours
    s = fast(ctx.socket(zmq.PULL))
    conn = raw_connect(bind(s, "tcp"))
    sig = read_exact(conn, 10)
    assert sig[0] == 0xFF and sig[9] == 0x7F


def test_impl_sends_255_bytes_as_a_short_frame_and_256_as_a_long_one(handshaken):
    s, conn = handshaken("PUSH")
    s.send(b"s" * 255)
    assert read_exact(conn, 2 + 255) == b"\x00\xff" + b"s" * 255
    s.send(b"L" * 256)
    assert read_exact(conn, 9 + 256) == b"\x02\x00\x00\x00\x00\x00\x00\x01\x00" + b"L" * 256
    s.send(b"")
    assert read_exact(conn, 2) == b"\x00\x00"


def test_impl_sets_more_on_all_but_the_last_frame(handshaken):
    s, conn = handshaken("PUSH")
    s.send_multipart([b"one", b"L" * 300, b"", b"last"])
    assert read_frame(conn) == (MORE, b"one")
    assert read_frame(conn) == (MORE | LONG, b"L" * 300)
    assert read_frame(conn) == (MORE, b"")
    assert read_frame(conn) == (0, b"last")


def test_pair_impl_frames_match_on_the_wire(handshaken):
    s, conn = handshaken("PAIR")
    s.send(b"hi")
    assert read_exact(conn, 4) == b"\x00\x02hi"
    conn.sendall(frame(b"back"))
    assert s.recv() == b"back"


def test_impl_pull_receives_short_long_and_small_long_frames(handshaken):
    s, conn = handshaken("PULL")
    conn.sendall(frame(b"short"))
    conn.sendall(frame(b"x" * 1000))
    conn.sendall(frame(b"tiny", force_long=True))  # a long frame is valid for any size
    conn.sendall(frame(b"", force_long=True))
    conn.sendall(frame(b"", flags=MORE) + frame(b"m" * 256, flags=MORE) + frame(b"end"))
    assert s.recv() == b"short"
    assert s.recv() == b"x" * 1000
    assert s.recv() == b"tiny"
    assert s.recv() == b""
    assert s.recv_multipart() == [b"", b"m" * 256, b"end"]


def test_impl_pull_reassembles_frames_split_across_tcp_segments(handshaken):
    s, conn = handshaken("PULL")
    conn.setsockopt(pysocket.IPPROTO_TCP, pysocket.TCP_NODELAY, 1)
    data = frame(b"a" * 300, flags=MORE) + frame(b"bc")
    for i in range(0, len(data), 7):
        conn.sendall(data[i:i + 7])
        time.sleep(0.001)
    assert s.recv_multipart() == [b"a" * 300, b"bc"]


@pytest.mark.parametrize("type_name", TYPES)
def test_ping_is_answered_with_a_pong_carrying_the_context(handshaken, type_name):
    s, conn = handshaken(type_name)
    conn.sendall(command(b"PING", b"\x00\x00" + b"ab"))
    flags, body = read_frame(conn)
    assert flags == CMD
    assert parse_command(body) == (b"PONG", b"ab")


def test_data_frame_before_ready_closes_the_connection(zmq, ctx, fast, bind, raw_connect):
    s = fast(ctx.socket(zmq.PULL))
    addr = bind(s, "tcp")
    conn = raw_connect(addr)
    conn.sendall(greeting())
    check_greeting(read_exact(conn, 64))
    conn.sendall(frame(b"too early"))
    assert wait_closed(conn)
    # the socket still serves a proper peer
    push = fast(ctx.socket(zmq.PUSH))
    push.connect(addr)
    push.send(b"proper")
    assert s.recv() == b"proper"
    assert s.poll(100) == 0  # and the early frame was never delivered


@pytest.mark.parametrize("type_name", TYPES)
def test_incompatible_socket_type_closes_the_connection(zmq, ctx, fast, bind, raw_connect, type_name):
    s = fast(ctx.socket(getattr(zmq, type_name)))
    conn = raw_connect(bind(s, "tcp"))
    conn.sendall(greeting())
    check_greeting(read_exact(conn, 64))
    conn.sendall(ready(type_name if type_name != "PAIR" else "PUSH"))  # PUSH-PUSH, PAIR-PUSH...
    assert wait_closed(conn)


def test_incompatible_socket_type_closes_the_connection_when_impl_connects(
    zmq, ctx, fast, raw_listener
):
    s = fast(ctx.socket(zmq.PUSH))
    s.connect("tcp://127.0.0.1:%d" % raw_listener.getsockname()[1])
    conn = accept(raw_listener)
    conn.sendall(greeting())
    check_greeting(read_exact(conn, 64))
    conn.sendall(ready("PUSH"))
    assert wait_closed(conn)


def test_zmtp_3_0_peer_can_push_to_impl_pull(handshaken):
    s, conn = handshaken("PULL", minor=0)
    conn.sendall(frame(b"from a 3.0 peer"))
    assert s.recv() == b"from a 3.0 peer"


def test_impl_push_delivers_to_a_zmtp_3_0_peer(handshaken):
    s, conn = handshaken("PUSH", minor=0)
    s.send(b"to a 3.0 peer")
    assert read_frame(conn) == (0, b"to a 3.0 peer")


def test_unknown_mechanism_closes_the_connection(zmq, ctx, fast, bind, raw_connect):
    s = fast(ctx.socket(zmq.PULL))
    conn = raw_connect(bind(s, "tcp"))
    conn.sendall(greeting(mechanism=b"BOGUS"))
    assert wait_closed(conn)
