"""A program using pyzmq's common API through zmqfast, for tests/test_typing.py to type-check
with mypy (strict). Not a test module: pytest does not collect it (no test_ prefix), and it is
never run, only checked. Every assert_type states what the stubs must say."""

from __future__ import annotations

import asyncio
from typing import Any

from typing_extensions import assert_type

import zmqfast as zmq
import zmqfast.asyncio as zmq_asyncio
from zmqfast.utils import z85


def sync_api() -> None:
    ctx = zmq.Context()
    assert_type(ctx, zmq.Context)
    assert_type(zmq.Context.instance(), zmq.Context)
    with zmq.Context(io_threads=1) as ctx2:
        assert_type(ctx2, zmq.Context)
    ctx.linger = 0  # context options as attributes
    ctx.set(zmq.IO_THREADS, 1)
    assert_type(ctx.get(zmq.ContextOption.MAX_SOCKETS), int)

    push = ctx.socket(zmq.PUSH)
    assert_type(push, zmq.Socket)
    pull = ctx.socket(zmq.PULL, socket_class=zmq.Socket)
    assert_type(pull, zmq.Socket)
    assert_type(push.context, zmq.Context)
    assert_type(push.closed, bool)
    assert_type(push.socket_type, int)
    assert_type(push.underlying, int)

    port = pull.bind_to_random_port("tcp://127.0.0.1")
    assert_type(port, int)
    with push.connect(f"tcp://127.0.0.1:{port}") as same:
        assert_type(same, zmq.Socket)
    push.connect(f"tcp://127.0.0.1:{port}")
    pull.bind("inproc://typing-sample")

    # options: as attributes, and by get/set with their types
    push.linger = 0
    push.sndhwm = 1000
    push.setsockopt(zmq.LINGER, 0)
    push.set(zmq.SocketOption.ROUTING_ID, b"me")
    assert_type(push.get(zmq.SocketOption.LAST_ENDPOINT), bytes)
    assert_type(push.getsockopt(zmq.SocketOption.LINGER), int)
    assert_type(push.get(zmq.LINGER), "int | bytes")
    assert_type(push.get_string(zmq.LAST_ENDPOINT), str)
    assert_type(push.hwm, int)
    assert_type(push.fileno(), int)
    rcvmore: Any = pull.rcvmore
    del rcvmore

    # send: None, or a MessageTracker with copy=False
    assert_type(push.send(b"x"), None)
    assert_type(push.send(b"x", zmq.SNDMORE), None)
    assert_type(push.send(bytearray(b"x"), copy=True), None)
    assert_type(push.send(memoryview(b"x"), 0, False), zmq.MessageTracker)
    tracker = push.send(b"x" * 100000, copy=False, track=True)
    assert_type(tracker, zmq.MessageTracker)
    assert_type(tracker.done, bool)
    tracker.wait(1)
    push.send(zmq.Frame(b"frame"))
    assert_type(push.send_multipart([b"a", bytearray(b"b"), zmq.Frame(b"c")]), None)
    assert_type(push.send_multipart([b"a"], copy=False), zmq.MessageTracker)
    push.send_string("text")
    push.send_json({"a": 1})
    push.send_pyobj(object())

    # recv: bytes, or Frame with copy=False
    assert_type(pull.recv(), bytes)
    assert_type(pull.recv(zmq.NOBLOCK), bytes)
    assert_type(pull.recv(copy=True), bytes)
    assert_type(pull.recv(copy=False), zmq.Frame)
    assert_type(pull.recv(0, False), zmq.Frame)
    flag = bool(port)
    assert_type(pull.recv(copy=flag), "bytes | zmq.Frame")
    assert_type(pull.recv_multipart(), list[bytes])
    assert_type(pull.recv_multipart(copy=False), list[zmq.Frame])
    assert_type(pull.recv_string(), str)
    pyobj = pull.recv_pyobj()
    json = pull.recv_json()
    del pyobj, json
    assert_type(pull.try_recv(), "bytes | None")
    assert_type(pull.try_recv(copy=False), "zmq.Frame | None")
    buf = bytearray(64)
    assert_type(pull.recv_into(buf), int)
    assert_type(pull.recv_into(memoryview(buf), nbytes=10, flags=zmq.DONTWAIT), int)
    assert_type(pull.recv_serialized(lambda frames: len(frames)), int)
    push.send_serialized({"k": 1}, lambda m: [str(m).encode()])

    # Frame
    frame = pull.recv(copy=False)
    assert_type(frame.bytes, bytes)
    assert_type(frame.buffer, memoryview)
    assert_type(frame.more, bool)
    assert_type(frame.get(zmq.MORE), int)
    assert_type(frame.get("Peer-Address"), str)
    assert_type(len(frame), int)
    assert_type(bytes(frame), bytes)
    memoryview(frame)
    assert_type(zmq.Message(b"m"), zmq.Frame)

    # polling
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    poller.register(0, zmq.POLLIN | zmq.POLLOUT)
    poller.modify(pull, zmq.POLLIN)
    events = dict(poller.poll(100))
    if pull in events and events[pull] & zmq.POLLIN:
        pull.recv()
    poller.unregister(0)
    assert_type(pull.poll(10), int)
    assert_type(pull.poll(timeout=None, flags=zmq.POLLOUT), int)
    assert_type(zmq.zmq_poll([(pull, zmq.POLLIN)], 0), "list[tuple[Any, int]]")
    r, w, x = zmq.select([pull], [], [], 0.1)

    # errors
    try:
        pull.recv(zmq.DONTWAIT)
    except zmq.Again as e:
        assert_type(e.errno, int)  # Again's errno is always EAGAIN
    except zmq.ContextTerminated:
        pass
    except zmq.ZMQError as e:
        assert_type(e.strerror, str)
        if e.errno == zmq.EAGAIN or e.errno == zmq.Errno.ETERM:
            pass

    # constants and enums
    assert_type(zmq.PUSH, zmq.SocketType)
    router: zmq.SocketType = zmq.SocketType.ROUTER
    assert_type(router.value, int)
    assert_type(zmq.SocketType(5), zmq.SocketType)
    assert_type(zmq.POLLIN, zmq.PollEvent)
    assert_type(zmq.EVENT_CONNECTED, zmq.Event)
    kind: int = zmq.REQ
    del kind

    # module functions
    assert_type(zmq.zmq_version_info(), "tuple[int, int, int]")
    assert_type(zmq.zmq_version(), str)
    assert_type(zmq.pyzmq_version(), str)
    assert_type(zmq.has("curve"), bool)
    public, secret = zmq.curve_keypair()
    assert_type(public, bytes)
    assert_type(zmq.curve_public(secret), bytes)
    assert_type(z85.decode(public), bytes)
    assert_type(zmq.strerror(zmq.EAGAIN), str)

    monitor = push.get_monitor_socket()
    assert_type(monitor, zmq.Socket)
    push.disable_monitor()
    monitor.close()

    shadow = zmq.Socket.shadow(push.underlying)
    assert_type(shadow, zmq.Socket)
    assert_type(zmq.Context.shadow(ctx.underlying), zmq.Context)

    for s in (push, pull, shadow):
        s.close(linger=0)
    ctx.destroy(linger=0)
    ctx.term()


def proxies(front: zmq.Socket, back: zmq.Socket, ctl: zmq.Socket) -> None:
    zmq.proxy(front, back)
    zmq.proxy_steerable(front, back, None, ctl)


async def asyncio_api() -> None:
    ctx = zmq_asyncio.Context()
    sock = ctx.socket(zmq.DEALER)
    assert_type(sock, zmq_asyncio.Socket)
    other = zmq_asyncio.Context.instance().socket(zmq.ROUTER)
    assert_type(other, zmq_asyncio.Socket)
    sock.connect("inproc://typing-sample-aio")

    assert_type(await sock.send(b"x"), None)
    assert_type(await sock.send(b"x", copy=False), zmq.MessageTracker)
    assert_type(await sock.send_multipart([b"a", b"b"]), None)
    await sock.send_string("s")
    await sock.send_json([1, 2])
    await sock.send_pyobj(None)

    assert_type(await sock.recv(), bytes)
    assert_type(await sock.recv(copy=False), zmq.Frame)
    assert_type(await sock.recv_multipart(), list[bytes])
    assert_type(await sock.recv_multipart(copy=False), list[zmq.Frame])
    assert_type(await sock.recv_string(), str)
    assert_type(await sock.poll(100), int)

    # an op is also a Future: it works with asyncio.wait_for, gather, ...
    data = await asyncio.wait_for(sock.recv(), 1.0)
    assert_type(data, bytes)
    both = await asyncio.gather(sock.recv(), other.recv_multipart())
    assert_type(both, "tuple[bytes, list[bytes]]")
    assert asyncio.isfuture(sock.recv())

    poller = zmq_asyncio.Poller()
    poller.register(sock, zmq.POLLIN)
    ready = await poller.poll(10)
    assert_type(ready, "list[tuple[Any, int]]")

    sock.close()
    other.close()
    ctx.term()
