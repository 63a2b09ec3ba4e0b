"""A connecting socket reconnects when its peer goes away and a new one binds the same port."""

import errno
import time

import pytest


def _bind_retry(sock, addr, zmq_mod):
    # the old listener is closed in the background: its port may take a moment to free up
    deadline = time.monotonic() + 3
    while True:
        try:
            sock.bind(addr)
            return
        except zmq_mod.ZMQError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _send_until_received(push, pull, zmq_mod, within=5.0):
    """Keep sending numbered messages with DONTWAIT until one arrives; return it."""
    deadline = time.monotonic() + within
    i = 0
    while time.monotonic() < deadline:
        try:
            push.send(b"after %d" % i, zmq_mod.DONTWAIT)
            i += 1
        except zmq_mod.Again:
            pass
        if pull.poll(50):
            return pull.recv()
    pytest.fail("no message arrived after the peer came back")


def _make_pull(kind, ctx, pctx, zmq, pyzmq, fast):
    if kind == "impl":
        return fast(ctx.socket(zmq.PULL)), zmq
    return fast(pctx.socket(pyzmq.PULL)), pyzmq


@pytest.mark.parametrize("peer", ["impl", "libzmq"])
def test_impl_push_reconnects_to_a_pull_rebound_on_the_same_port(
    zmq, pyzmq, ctx, pctx, fast, peer
):
    pull, pmod = _make_pull(peer, ctx, pctx, zmq, pyzmq, fast)
    pull.bind("tcp://127.0.0.1:*")
    addr = pull.getsockopt(pmod.LAST_ENDPOINT).decode()
    push = fast(ctx.socket(zmq.PUSH))
    push.setsockopt(zmq.RECONNECT_IVL, 50)
    push.connect(addr)
    push.send(b"before")
    assert pull.recv() == b"before"

    pull.close(linger=0)
    time.sleep(0.1)  # let the push notice the disconnection
    new_pull, _ = _make_pull(peer, ctx, pctx, zmq, pyzmq, fast)
    _bind_retry(new_pull, addr, pmod)
    got = _send_until_received(push, new_pull, zmq)
    assert got.startswith(b"after ")
    # and the link is fully working again, in order
    first = int(got.split()[1])
    push.send(b"tail")
    rest = []
    while True:
        m = new_pull.recv()
        if m == b"tail":
            break
        rest.append(int(m.split()[1]))
    assert rest == list(range(first + 1, first + 1 + len(rest)))


def test_libzmq_push_reconnects_to_an_impl_pull_rebound_on_the_same_port(
    zmq, pyzmq, ctx, pctx, fast
):
    pull = fast(ctx.socket(zmq.PULL))
    pull.bind("tcp://127.0.0.1:*")
    addr = pull.getsockopt(zmq.LAST_ENDPOINT).decode()
    push = fast(pctx.socket(pyzmq.PUSH))
    push.setsockopt(pyzmq.RECONNECT_IVL, 50)
    push.connect(addr)
    push.send(b"before")
    assert pull.recv() == b"before"

    pull.close(linger=0)
    time.sleep(0.1)
    new_pull = fast(ctx.socket(zmq.PULL))
    _bind_retry(new_pull, addr, zmq)
    assert _send_until_received(push, new_pull, pyzmq).startswith(b"after ")


def test_impl_pair_reconnects_after_its_peer_is_replaced(zmq, ctx, fast):
    a = fast(ctx.socket(zmq.PAIR))
    a.bind("tcp://127.0.0.1:*")
    addr = a.getsockopt(zmq.LAST_ENDPOINT).decode()
    b = fast(ctx.socket(zmq.PAIR))
    b.setsockopt(zmq.RECONNECT_IVL, 50)
    b.connect(addr)
    b.send(b"1")
    assert a.recv() == b"1"
    a.close(linger=0)
    time.sleep(0.1)
    a2 = fast(ctx.socket(zmq.PAIR))
    _bind_retry(a2, addr, zmq)
    assert _send_until_received(b, a2, zmq).startswith(b"after ")
    a2.send(b"back")
    assert b.recv() == b"back"


def test_reconnect_interval_options_are_settable_and_readable(zmq, ctx):
    s = ctx.socket(zmq.PUSH)
    assert s.getsockopt(zmq.RECONNECT_IVL) == 100  # libzmq's default
    assert s.getsockopt(zmq.RECONNECT_IVL_MAX) == 0
    s.setsockopt(zmq.RECONNECT_IVL, 250)
    assert s.getsockopt(zmq.RECONNECT_IVL) == 250
    s.reconnect_ivl = -1  # -1: no reconnection
    assert s.reconnect_ivl == -1
    s.reconnect_ivl_max = 5000
    assert s.getsockopt(zmq.RECONNECT_IVL_MAX) == 5000
    s.close(linger=0)


def test_connect_before_any_listener_exists_succeeds_once_it_appears(zmq, ctx, fast):
    probe = fast(ctx.socket(zmq.PULL))
    probe.bind("tcp://127.0.0.1:*")
    addr = probe.getsockopt(zmq.LAST_ENDPOINT).decode()
    probe.close(linger=0)
    push = fast(ctx.socket(zmq.PUSH))
    push.setsockopt(zmq.RECONNECT_IVL, 50)
    push.connect(addr)  # nobody listens yet: connect still succeeds, retried in the background
    time.sleep(0.2)
    pull = fast(ctx.socket(zmq.PULL))
    _bind_retry(pull, addr, zmq)
    push.send(b"eventually")
    assert pull.recv() == b"eventually"
