"""High-water marks, timeouts, DONTWAIT, and polling (Socket.poll, Poller, select)."""

import os
import sys
import time

import pytest

# Windows: a Poller (WSAPoll), like libzmq's zmq_poll there, takes sockets only; os.pipe() gives
# CRT file descriptors, which are not sockets
_PIPES_NOT_POLLABLE = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows polls sockets only (WSAPoll): os.pipe() fds are not sockets")


@pytest.fixture
def pipe_fds():
    r, w = os.pipe()
    yield r, w
    os.close(r)
    os.close(w)


def _fill(push, zmq, payload=b"x"):
    """Send with DONTWAIT until Again; return how many were accepted."""
    n = 0
    while n < 100_000:
        try:
            push.send(payload, zmq.DONTWAIT)
        except zmq.Again:
            return n
        n += 1
    pytest.fail("send never raised Again")


def test_option_defaults_match_libzmq(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    assert s.getsockopt(zmq.SNDHWM) == 1000
    assert s.getsockopt(zmq.RCVHWM) == 1000
    assert s.getsockopt(zmq.RCVTIMEO) == -1
    assert s.getsockopt(zmq.SNDTIMEO) == -1
    assert s.getsockopt(zmq.MAXMSGSIZE) == -1
    assert s.getsockopt(zmq.IMMEDIATE) == 0
    assert s.getsockopt(zmq.BACKLOG) == 100
    assert s.getsockopt(zmq.RECONNECT_IVL) == 100
    s.close(linger=0)


@pytest.mark.parametrize(
    "opt,value",
    [("SNDHWM", 7), ("RCVHWM", 0), ("LINGER", 0), ("LINGER", 1234), ("RCVTIMEO", 10),
     ("SNDTIMEO", 20), ("RECONNECT_IVL_MAX", 1000), ("MAXMSGSIZE", 4096), ("IMMEDIATE", 1),
     ("SNDBUF", 65536), ("RCVBUF", 65536), ("BACKLOG", 10)],
)
def test_integer_options_read_back_what_was_set(zmq, ctx, opt, value):
    s = ctx.socket(zmq.PULL)
    s.setsockopt(getattr(zmq, opt), value)
    assert s.getsockopt(getattr(zmq, opt)) == value
    assert getattr(s, opt.lower()) == value
    other = 0 if opt == "IMMEDIATE" else value + 1
    s.set(getattr(zmq, opt), other)
    assert s.get(getattr(zmq, opt)) == other
    s.close(linger=0)


def test_routing_id_and_identity_are_the_same_option(zmq, ctx):
    s = ctx.socket(zmq.PAIR)
    assert s.getsockopt(zmq.ROUTING_ID) == b""
    s.setsockopt(zmq.ROUTING_ID, b"me")
    assert s.getsockopt(zmq.IDENTITY) == b"me"
    s.identity = b"you"
    assert s.routing_id == b"you"
    s.close(linger=0)


def test_type_option_reports_the_socket_type(zmq, ctx):
    for t in (zmq.PUSH, zmq.PULL, zmq.PAIR):
        s = ctx.socket(t)
        assert s.getsockopt(zmq.TYPE) == t
        assert s.type == t
        s.close(linger=0)


def test_last_endpoint_reports_the_resolved_address(zmq, ctx, endpoint):
    s = ctx.socket(zmq.PULL)
    assert s.getsockopt(zmq.LAST_ENDPOINT) == b""
    s.bind("tcp://127.0.0.1:*")
    le = s.getsockopt(zmq.LAST_ENDPOINT).decode()
    host, port = le.rsplit(":", 1)
    assert host == "tcp://127.0.0.1" and 0 < int(port) < 65536
    addr = endpoint("ipc")
    s.bind(addr)
    assert s.last_endpoint == addr.encode()
    s.close(linger=0)


def test_bind_to_random_port_returns_a_connectable_port(zmq, ctx, fast):
    pull = fast(ctx.socket(zmq.PULL))
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    # default range: the OS picks an ephemeral port, so only its validity is checked
    assert pull.getsockopt(zmq.LAST_ENDPOINT) == b"tcp://127.0.0.1:%d" % port
    push = fast(ctx.socket(zmq.PUSH))
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"random")
    assert pull.recv() == b"random"
    port2 = pull.bind_to_random_port("tcp://127.0.0.1", min_port=20000, max_port=60000)
    assert 20000 <= port2 < 60000


def test_inproc_hwm_is_sndhwm_plus_rcvhwm(zmq, ctx, endpoint, fast):
    addr = endpoint("inproc")
    pull = fast(ctx.socket(zmq.PULL))
    pull.setsockopt(zmq.RCVHWM, 5)
    pull.bind(addr)
    push = fast(ctx.socket(zmq.PUSH))
    push.setsockopt(zmq.SNDHWM, 5)
    push.connect(addr)
    assert _fill(push, zmq) == 10
    # reading makes room again (a blocking send, with a timeout, waits for the credit)
    assert [pull.recv() for _ in range(10)] == [b"x"] * 10
    push.send(b"room again")
    assert pull.recv() == b"room again"


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_hwm_bounds_what_a_stalled_pull_can_absorb_over_a_network(zmq, ctx, bind, fast, transport):
    pull = fast(ctx.socket(zmq.PULL))
    pull.setsockopt(zmq.RCVHWM, 5)
    addr = bind(pull, transport)
    push = fast(ctx.socket(zmq.PUSH))
    push.setsockopt(zmq.SNDHWM, 5)
    push.connect(addr)
    push.send(b"sync")
    assert pull.recv() == b"sync"
    # keep sending for a while: kernel buffers absorb some, but not without bound
    payload = b"p" * 10_000
    accepted = 0
    deadline = time.monotonic() + 0.5
    again = 0
    while time.monotonic() < deadline:
        try:
            push.send(payload, zmq.DONTWAIT)
            accepted += 1
        except zmq.Again:
            again += 1
            time.sleep(0.01)
    assert again > 0
    assert 5 <= accepted <= 2000
    # everything accepted is delivered
    for _ in range(accepted):
        assert pull.recv() == payload
    assert pull.poll(100) == 0


def test_send_timeout_raises_again_after_the_timeout(zmq, ctx, endpoint):
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.bind(endpoint("tcp"))  # no peer: mute
    push.setsockopt(zmq.SNDTIMEO, 100)
    t0 = time.monotonic()
    with pytest.raises(zmq.Again):
        push.send(b"nobody")
    elapsed = time.monotonic() - t0
    assert 0.09 <= elapsed < 2


def test_send_timeout_applies_when_the_queue_is_full(zmq, ctx, endpoint, fast):
    addr = endpoint("inproc")
    pull = fast(ctx.socket(zmq.PULL))
    pull.setsockopt(zmq.RCVHWM, 1)
    pull.bind(addr)
    push = fast(ctx.socket(zmq.PUSH), timeout_ms=100)
    push.setsockopt(zmq.SNDHWM, 1)
    push.connect(addr)
    _fill(push, zmq)
    t0 = time.monotonic()
    with pytest.raises(zmq.Again):
        push.send(b"full")
    assert 0.09 <= time.monotonic() - t0 < 2


def test_receive_timeout_raises_again_after_the_timeout(zmq, ctx, endpoint):
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.bind(endpoint("inproc"))
    pull.rcvtimeo = 100
    t0 = time.monotonic()
    with pytest.raises(zmq.Again) as info:
        pull.recv()
    assert 0.09 <= time.monotonic() - t0 < 2
    assert info.value.errno == zmq.EAGAIN
    assert isinstance(info.value, zmq.ZMQError)


def test_receive_timeout_zero_is_nonblocking(zmq, ctx, endpoint):
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.bind(endpoint("inproc"))
    pull.rcvtimeo = 0
    with pytest.raises(zmq.Again):
        pull.recv()


def test_bind_only_push_is_mute(zmq, ctx, endpoint):
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.bind(endpoint("tcp"))
    with pytest.raises(zmq.Again):
        push.send(b"x", zmq.DONTWAIT)
    with pytest.raises(zmq.Again):
        push.send(b"x", zmq.NOBLOCK)
    assert push.poll(0, zmq.POLLOUT) == 0
    assert push.poll(50, zmq.POLLOUT) == 0


def test_recv_with_dontwait_on_empty_raises_again(zmq, ctx, endpoint):
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.bind(endpoint("inproc"))
    with pytest.raises(zmq.Again):
        pull.recv(zmq.DONTWAIT)
    with pytest.raises(zmq.Again):
        pull.recv_multipart(zmq.NOBLOCK)


@pytest.mark.parametrize("call", ["recv", "recv_multipart", "send"])
def test_again_from_a_nonblocking_call_carries_what_pyzmqs_does(zmq, pyzmq, call):
    """errno, strerror, args and str of the Again a DONTWAIT call raises are pyzmq's."""
    seen = []
    for mod in (zmq, pyzmq):
        c = mod.Context()
        s = c.socket(mod.PUSH if call == "send" else mod.PULL)
        s.setsockopt(mod.LINGER, 0)
        try:
            with pytest.raises(mod.Again) as info:
                if call == "send":
                    s.send(b"x", mod.DONTWAIT)
                else:
                    getattr(s, call)(mod.DONTWAIT)
            e = info.value
            assert isinstance(e, mod.ZMQError)
            seen.append((e.errno, e.strerror, tuple(int(a) for a in e.args), str(e), repr(e)))
        finally:
            s.close()
            c.term()
    assert seen[0] == seen[1]


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_socket_poll_reports_pollin_only_when_a_message_waits(zmq, ctx, bind, fast, transport):
    pull = fast(ctx.socket(zmq.PULL))
    addr = bind(pull, transport)
    push = fast(ctx.socket(zmq.PUSH))
    push.connect(addr)
    assert pull.poll(0) == 0
    t0 = time.monotonic()
    assert pull.poll(100) == 0
    assert time.monotonic() - t0 >= 0.09
    push.send(b"m")
    assert pull.poll(5000) == zmq.POLLIN
    assert pull.poll(0) == zmq.POLLIN  # polling does not consume
    assert pull.recv() == b"m"
    assert pull.poll(0) == 0
    assert push.poll(5000, zmq.POLLOUT) == zmq.POLLOUT
    assert push.poll(0, zmq.POLLIN | zmq.POLLOUT) == zmq.POLLOUT


@_PIPES_NOT_POLLABLE
def test_poller_reports_the_ready_sockets_and_fds(zmq, ctx, endpoint, fast, pipe_fds):
    r, w = pipe_fds
    a_addr, b_addr = endpoint("inproc"), endpoint("tcp")
    a = fast(ctx.socket(zmq.PULL))
    a.bind(a_addr)
    b = fast(ctx.socket(zmq.PULL))
    b.bind(b_addr)
    b_addr = b.getsockopt(zmq.LAST_ENDPOINT).decode()
    pa = fast(ctx.socket(zmq.PUSH))
    pa.connect(a_addr)
    pb = fast(ctx.socket(zmq.PUSH))
    pb.connect(b_addr)

    poller = zmq.Poller()
    poller.register(a, zmq.POLLIN)
    poller.register(b, zmq.POLLIN)
    poller.register(r, zmq.POLLIN)
    assert poller.poll(0) == []
    t0 = time.monotonic()
    assert poller.poll(100) == []
    assert time.monotonic() - t0 >= 0.09

    os.write(w, b"!")
    assert dict(poller.poll(1000)) == {r: zmq.POLLIN}
    os.read(r, 1)

    pb.send(b"to b")
    assert dict(poller.poll(5000)) == {b: zmq.POLLIN}
    pa.send(b"to a")
    os.write(w, b"!")
    deadline = time.monotonic() + 5
    events = {}
    while len(events) < 3 and time.monotonic() < deadline:
        events = dict(poller.poll(100))
    assert events == {a: zmq.POLLIN, b: zmq.POLLIN, r: zmq.POLLIN}
    assert a.recv() == b"to a"
    assert b.recv() == b"to b"
    os.read(r, 1)
    assert poller.poll(0) == []

    # unregister / modify
    poller.unregister(r)
    os.write(w, b"!")
    assert poller.poll(50) == []
    poller.modify(a, zmq.POLLIN | zmq.POLLOUT)
    poller.register(pa, zmq.POLLOUT)
    assert dict(poller.poll(1000)) == {pa: zmq.POLLOUT}


@_PIPES_NOT_POLLABLE
def test_select_reports_readable_sockets_and_fds(zmq, ctx, endpoint, fast, pipe_fds):
    r, w = pipe_fds
    addr = endpoint("inproc")
    pull = fast(ctx.socket(zmq.PULL))
    pull.bind(addr)
    push = fast(ctx.socket(zmq.PUSH))
    push.connect(addr)
    assert zmq.select([pull, r], [], [], 0) == ([], [], [])
    push.send(b"x")
    rl, wl, xl = zmq.select([pull, r], [push], [], 1.0)
    assert rl == [pull] and wl == [push] and xl == []
    os.write(w, b"!")
    rl, _, _ = zmq.select([pull, r], [], [], 1.0)
    assert set(rl) == {pull, r}
    t0 = time.monotonic()
    pull.recv()
    os.read(r, 1)
    assert zmq.select([pull, r], [], [], 0.1) == ([], [], [])
    assert time.monotonic() - t0 >= 0.09
