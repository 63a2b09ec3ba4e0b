"""Proxies (steerable, with statistics) and polling (Poller, select, the FD/EVENTS contract)."""

import os
import select as _select
import struct
import sys
import threading
import time

import pytest

# Windows: a Poller (WSAPoll), like libzmq's zmq_poll there, takes sockets only; os.pipe() gives
# CRT file descriptors, which are not sockets
_PIPES_NOT_POLLABLE = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows polls sockets only (WSAPoll): os.pipe() fds are not sockets")


def _steerable(zmq, ctx, fast, name):
    """A proxy_steerable PULL -> PUSH in a thread; returns (thread, source, sink, control)."""
    fe = fast(ctx.socket(zmq.PULL))
    fe.bind(f"inproc://{name}-fe")
    be = fast(ctx.socket(zmq.PUSH))
    be.bind(f"inproc://{name}-be")
    ctl = fast(ctx.socket(zmq.PAIR))
    ctl.bind(f"inproc://{name}-ctl")
    t = threading.Thread(target=zmq.proxy_steerable, args=(fe, be, None, ctl))
    t.start()
    src, dst, control = (fast(ctx.socket(k), 300) for k in (zmq.PUSH, zmq.PULL, zmq.PAIR))
    src.connect(f"inproc://{name}-fe")
    dst.connect(f"inproc://{name}-be")
    control.connect(f"inproc://{name}-ctl")
    return t, src, dst, control


def _statistics(control):
    control.send(b"STATISTICS")
    return [struct.unpack("=Q", f)[0] for f in control.recv_multipart()]


# libzmq 4.3.5 was seen forwarding a message sent 100 ms after PAUSE; zmqfast holds it back
@pytest.mark.zmqfast_only
def test_steerable_proxy_pauses_and_resumes(zmq, ctx, fast):
    t, src, dst, control = _steerable(zmq, ctx, fast, "pause")
    src.send(b"one")
    assert dst.recv() == b"one"
    control.send(b"PAUSE")
    time.sleep(0.1)
    src.send(b"two")
    with pytest.raises(zmq.Again):
        dst.recv()
    control.send(b"RESUME")
    assert dst.recv() == b"two"
    control.send(b"TERMINATE")
    t.join(5)
    assert not t.is_alive()


def test_steerable_proxy_statistics_and_terminate(zmq, ctx, fast):
    t, src, dst, control = _steerable(zmq, ctx, fast, "stats")
    src.send(b"one")
    src.send(b"two")
    assert [dst.recv(), dst.recv()] == [b"one", b"two"]
    # frontend: 2 msgs in, 6 bytes in, 0 out; backend: 0 in, 2 out, 6 bytes out
    assert _statistics(control) == [2, 6, 0, 0, 0, 0, 2, 6]
    control.send(b"TERMINATE")
    t.join(5)
    assert not t.is_alive()


def test_proxy_ends_with_context_terminated(zmq):
    c = zmq.Context()
    fe = c.socket(zmq.ROUTER)
    fe.bind("inproc://p-fe")
    be = c.socket(zmq.DEALER)
    be.bind("inproc://p-be")
    errors = []

    def run():
        try:
            zmq.proxy(fe, be)
        except zmq.ContextTerminated as e:
            errors.append(e)
        fe.close(linger=0)
        be.close(linger=0)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.1)
    c.term()
    t.join(5)
    assert len(errors) == 1


def test_proxy_copies_to_capture(zmq, ctx, fast):
    fe = fast(ctx.socket(zmq.PULL))
    fe.bind("inproc://c-fe")
    be = fast(ctx.socket(zmq.PUSH))
    be.bind("inproc://c-be")
    cap = fast(ctx.socket(zmq.PUSH))
    cap.bind("inproc://c-cap")
    ctl = fast(ctx.socket(zmq.PAIR))
    ctl.bind("inproc://c-ctl")
    ctl_client = fast(ctx.socket(zmq.PAIR))
    ctl_client.connect("inproc://c-ctl")
    t = threading.Thread(target=zmq.proxy_steerable, args=(fe, be, cap, ctl))
    t.start()
    src, dst, mon = (fast(ctx.socket(t_)) for t_ in (zmq.PUSH, zmq.PULL, zmq.PULL))
    src.connect("inproc://c-fe")
    dst.connect("inproc://c-be")
    mon.connect("inproc://c-cap")
    src.send_multipart([b"a", b"b"])
    assert dst.recv_multipart() == [b"a", b"b"]
    assert mon.recv_multipart() == [b"a", b"b"]
    ctl_client.send(b"TERMINATE")
    t.join(5)


def test_capture_at_hwm_holds_the_proxy_instead_of_losing_copies(zmq, ctx, fast):
    # A capture PUSH with a tiny HWM and nobody reading yet: libzmq's proxy waits for it, so
    # the capture reader later sees every message, whole, in order.
    fe = fast(ctx.socket(zmq.PULL))
    fe.bind("inproc://ch-fe")
    be = fast(ctx.socket(zmq.PUSH))
    be.bind("inproc://ch-be")
    cap = ctx.socket(zmq.PUSH)
    cap.linger = 0
    cap.sndhwm = 2
    cap.bind("inproc://ch-cap")
    ctl = fast(ctx.socket(zmq.PAIR))
    ctl.bind("inproc://ch-ctl")
    ctl_client = fast(ctx.socket(zmq.PAIR))
    ctl_client.connect("inproc://ch-ctl")
    src, dst = fast(ctx.socket(zmq.PUSH)), fast(ctx.socket(zmq.PULL))
    mon = ctx.socket(zmq.PULL)
    mon.linger = 0
    mon.rcvhwm = 2
    mon.connect("inproc://ch-cap")
    src.connect("inproc://ch-fe")
    dst.connect("inproc://ch-be")
    t = threading.Thread(target=zmq.proxy_steerable, args=(fe, be, cap, ctl))
    t.start()
    n = 50
    for i in range(n):
        src.send_multipart([b"k%d" % i, b"v%d" % i])
    time.sleep(0.2)
    mon.rcvtimeo = 5000
    got = [mon.recv_multipart() for _ in range(n)]
    assert got == [[b"k%d" % i, b"v%d" % i] for i in range(n)]
    assert [dst.recv_multipart() for _ in range(n)] == got
    ctl_client.send(b"TERMINATE")
    t.join(5)
    assert not t.is_alive()


def test_poll_with_nothing_registered_returns_at_once(zmq):
    # pyzmq returns [] immediately whatever the timeout; code that polls an empty Poller in a
    # loop with a timeout would otherwise sleep.
    t = time.monotonic()
    assert zmq.Poller().poll(2000) == []
    assert zmq.select([], [], [], 2.0) == ([], [], [])
    assert time.monotonic() - t < 1.0


@_PIPES_NOT_POLLABLE
def test_poller_with_sockets_and_raw_fds(zmq, ctx, fast):
    a = fast(ctx.socket(zmq.PAIR))
    a.bind("inproc://poller")
    b = fast(ctx.socket(zmq.PAIR))
    b.connect("inproc://poller")
    r, w = os.pipe()
    try:
        p = zmq.Poller()
        p.register(a, zmq.POLLIN)
        p.register(r, zmq.POLLIN)
        assert p.poll(0) == []
        t0 = time.monotonic()
        assert p.poll(100) == []
        assert 0.08 <= time.monotonic() - t0 < 1.0
        b.send(b"x")
        os.write(w, b"y")
        assert dict(p.poll(1000)) == {a: zmq.POLLIN, r: zmq.POLLIN}
        p.modify(a, zmq.POLLOUT)
        p.unregister(r)
        assert dict(p.poll(0)) == {a: zmq.POLLOUT}
        rl, wl, xl = zmq.select([a], [b], [], 0)
        assert rl == [a] and wl == [b]
    finally:
        os.close(r)
        os.close(w)


def test_fd_turns_readable_after_events_reported_nothing(zmq, ctx, fast):
    a = fast(ctx.socket(zmq.PAIR))
    a.bind("inproc://fd")
    b = fast(ctx.socket(zmq.PAIR))
    b.connect("inproc://fd")
    fd = b.getsockopt(zmq.FD)
    assert not (b.getsockopt(zmq.EVENTS) & zmq.POLLIN)  # nothing yet: this arms the fd
    threading.Timer(0.1, a.send, args=(b"late",)).start()
    readable, _, _ = _select.select([fd], [], [], 5)
    assert readable == [fd]
    assert b.getsockopt(zmq.EVENTS) & zmq.POLLIN
    assert b.recv() == b"late"


@_PIPES_NOT_POLLABLE
def test_poller_takes_objects_with_fileno(zmq, ctx):
    class Wrapped:
        def __init__(self, fd):
            self.fd = fd

        def fileno(self):
            return self.fd

    r, w = os.pipe()
    try:
        obj = Wrapped(r)
        p = zmq.Poller()
        p.register(obj, zmq.POLLIN)
        assert p.poll(0) == []
        os.write(w, b"!")
        assert p.poll(1000) == [(r, zmq.POLLIN)]  # pyzmq reports the fd, not the object
    finally:
        os.close(r)
        os.close(w)
