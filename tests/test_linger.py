"""LINGER, close, term and destroy: nothing hangs, queued messages are delivered when asked."""

import os
import socket as pysocket
import threading
import time

import pytest

ZMQFAST = os.environ.get("ZMQFAST_IMPL", "zmqfast") == "zmqfast"


def absent_tcp_peer():
    """A tcp address nobody listens on (the port was free a moment ago)."""
    s = pysocket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"tcp://127.0.0.1:{port}"


def test_close_with_linger_zero_and_term_return_at_once_despite_unsent_messages(zmq):
    c = zmq.Context()
    push = c.socket(zmq.PUSH)
    push.connect(absent_tcp_peer())
    for i in range(10):
        push.send(b"never delivered %d" % i)
    t0 = time.monotonic()
    push.close(linger=0)
    assert push.closed
    c.term()
    assert time.monotonic() - t0 < 1.0
    assert c.closed


def test_term_returns_at_once_when_sockets_have_linger_zero(zmq):
    c = zmq.Context()
    socks = []
    for kind in (zmq.PUSH, zmq.PAIR):
        s = c.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(absent_tcp_peer())
        s.send(b"pending")
        s.close()
        socks.append(s)
    t0 = time.monotonic()
    c.term()
    assert time.monotonic() - t0 < 1.0


def test_term_with_default_linger_waits_until_queued_messages_are_delivered(zmq, fast):
    addr = absent_tcp_peer()
    n = 50
    sender_ctx = zmq.Context()
    push = sender_ctx.socket(zmq.PUSH)
    assert push.getsockopt(zmq.LINGER) == -1
    push.setsockopt(zmq.RECONNECT_IVL, 50)
    push.connect(addr)
    for i in range(n):
        push.send(b"%d" % i)
    push.close()  # default linger: the messages stay queued

    receiver_ctx = zmq.Context()
    pull = fast(receiver_ctx.socket(zmq.PULL))
    bound = threading.Event()

    def bind_late():
        time.sleep(0.3)
        pull.bind(addr)
        bound.set()

    t = threading.Thread(target=bind_late)
    t.start()
    try:
        t0 = time.monotonic()
        sender_ctx.term()  # blocks until the queue is flushed to the late PULL
        elapsed = time.monotonic() - t0
        t.join(5)
        assert bound.is_set()
        assert elapsed >= 0.25
        assert [pull.recv(zmq.DONTWAIT) if pull.poll(2000) else None for _ in range(n)] == [
            b"%d" % i for i in range(n)
        ]
    finally:
        t.join(5)
        receiver_ctx.destroy(linger=0)


def test_linger_bounds_how_long_term_waits_for_an_absent_peer(zmq):
    c = zmq.Context()
    push = c.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 200)
    push.connect(absent_tcp_peer())
    push.send(b"never delivered")
    push.close()
    t0 = time.monotonic()
    c.term()
    elapsed = time.monotonic() - t0
    assert 0.15 <= elapsed < 2.0


def test_close_linger_argument_overrides_the_option(zmq):
    c = zmq.Context()
    push = c.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 60_000)
    push.connect(absent_tcp_peer())
    push.send(b"never delivered")
    push.close(linger=0)
    t0 = time.monotonic()
    c.term()
    assert time.monotonic() - t0 < 1.0


@pytest.mark.parametrize("kind", ["recv", "send", "poll"])
def test_blocked_call_in_another_thread_gets_context_terminated_on_term(zmq, kind):
    c = zmq.Context()
    s = c.socket(zmq.PULL if kind in ("recv", "poll") else zmq.PUSH)
    s.bind("tcp://127.0.0.1:*")  # no peer: recv and send both block
    caught = []
    started = threading.Event()

    def blocked():
        started.set()
        try:
            if kind == "recv":
                s.recv()
            elif kind == "send":
                s.send(b"mute")
            else:
                # a poller also notices the context going away
                poller = zmq.Poller()
                poller.register(s, zmq.POLLIN)
                poller.poll()
        except zmq.ContextTerminated as e:
            caught.append(e)
        finally:
            s.close(linger=0)

    t = threading.Thread(target=blocked)
    t.start()
    started.wait(5)
    time.sleep(0.1)
    t0 = time.monotonic()
    c.term()
    assert time.monotonic() - t0 < 3
    t.join(5)
    assert not t.is_alive()
    assert len(caught) == 1
    assert caught[0].errno == zmq.ETERM
    assert isinstance(caught[0], zmq.ZMQError)


def test_destroy_with_linger_zero_closes_every_socket_and_returns_at_once(zmq):
    c = zmq.Context()
    socks = [c.socket(zmq.PUSH) for _ in range(3)]
    for s in socks:
        s.connect(absent_tcp_peer())
        s.send(b"pending")
    t0 = time.monotonic()
    c.destroy(linger=0)
    assert time.monotonic() - t0 < 1.0
    assert all(s.closed for s in socks)
    assert c.closed


def test_context_manager_destroys_the_context(zmq):
    with zmq.Context() as c:
        s = c.socket(zmq.PUSH)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(absent_tcp_peer())
        s.send(b"pending")
        assert not c.closed
    assert c.closed
    assert s.closed


def test_socket_context_manager_closes_the_socket(zmq, ctx):
    with ctx.socket(zmq.PAIR) as s:
        s.setsockopt(zmq.LINGER, 0)
        s.bind("inproc://cm-socket")
        assert not s.closed
    assert s.closed


def test_bind_context_manager_unbinds_a_wildcard_port_bind(zmq, ctx, fast):
    pull = fast(ctx.socket(zmq.PULL))
    with pull.bind("tcp://127.0.0.1:*"):
        addr = pull.getsockopt(zmq.LAST_ENDPOINT).decode()
    # unbound: the same address can be bound again by another socket
    other = fast(ctx.socket(zmq.PULL))
    deadline = time.monotonic() + 3
    while True:
        try:
            other.bind(addr)
            break
        except zmq.ZMQError:
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_bind_and_connect_context_managers_unbind_and_disconnect(zmq, ctx, fast, endpoint):
    addr = endpoint("ipc")
    pull = fast(ctx.socket(zmq.PULL))
    push = fast(ctx.socket(zmq.PUSH))
    with pull.bind(addr):
        with push.connect(addr):
            push.send(b"inside")
            assert pull.recv() == b"inside"
        # disconnected: the push has no peer left
        with pytest.raises(zmq.Again):
            push.send(b"x", zmq.DONTWAIT)
    # unbound: the address can be bound again
    other = fast(ctx.socket(zmq.PULL))
    other.bind(addr)


def test_close_twice_is_harmless(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    s.close()
    s.close()
    assert s.closed


@pytest.mark.parametrize(
    "op",
    [
        lambda s, zmq: s.send(b"x"),
        lambda s, zmq: s.recv(),
        lambda s, zmq: s.send_multipart([b"a", b"b"]),
        lambda s, zmq: s.recv_multipart(),
        lambda s, zmq: s.bind("inproc://closed"),
        lambda s, zmq: s.connect("inproc://closed"),
        lambda s, zmq: s.setsockopt(zmq.LINGER, 0),
        lambda s, zmq: s.getsockopt(zmq.LINGER),
        lambda s, zmq: s.recv_into(bytearray(4)),
    ],
    ids=["send", "recv", "send_multipart", "recv_multipart", "bind", "connect", "setsockopt",
         "getsockopt", "recv_into"],
)
def test_operations_on_a_closed_socket_raise_enotsock(zmq, ctx, op):
    s = ctx.socket(zmq.PAIR)
    s.close()
    with pytest.raises(zmq.ZMQError) as info:
        op(s, zmq)
    assert info.value.errno == zmq.ENOTSOCK


def test_poll_on_a_closed_socket_raises_the_errno_pyzmq_raises(zmq, ctx, pctx, pyzmq):
    ps = pctx.socket(pyzmq.PAIR)
    ps.close()
    with pytest.raises(pyzmq.ZMQError) as expected:
        ps.poll(0)
    s = ctx.socket(zmq.PAIR)
    s.close()
    with pytest.raises(zmq.ZMQError) as info:
        s.poll(0)
    assert info.value.errno == expected.value.errno
