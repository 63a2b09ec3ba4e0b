"""zmqfast.asyncio: pyzmq's asyncio API (awaitable send/recv) on zmqfast.

The fast path allocates nothing: when a message is already queued, ``await sock.recv()`` takes it
at once (``try_recv``) and never yields to the loop. Only when nothing is there does a waiter get
a Future, and the socket's fd is watched with ``loop.add_reader`` while any waiter exists. Each
wake-up serves as many waiters as there are messages.
"""

from __future__ import annotations

import asyncio
import collections
import errno as _errno
import pickle
from typing import Any, Callable

import zmqfast as _zmq
from zmqfast import error as _error
from zmqfast.constants import DONTWAIT, EVENTS, FD, POLLIN, POLLOUT, RCVTIMEO, SNDTIMEO
from zmqfast.utils import jsonapi

__all__ = ["Context", "Socket", "Poller"]


class _Op:
    """An awaitable socket operation: tried at once, queued on the socket only if it would block."""

    __slots__ = ("sock", "kind", "fn", "args")

    def __init__(self, sock: "Socket", kind: int, fn: Callable[..., Any], args: tuple) -> None:
        self.sock = sock
        self.kind = kind  # POLLIN or POLLOUT: what the operation waits for
        self.fn = fn
        self.args = args

    def __await__(self) -> Any:
        try:
            return self.fn(*self.args)  # the common case: done without touching the loop
        except _error.Again:
            pass
        fut = self.sock._wait(self)
        return (yield from fut.__await__())


_base_recv = _zmq.Socket.recv
_base_recv_multipart = _zmq.Socket.recv_multipart
_base_send = _zmq.Socket.send
_base_send_multipart = _zmq.Socket.send_multipart


def _send_kw(sock: Any, data: Any, flags: int, copy: bool, track: bool, kw: dict) -> Any:
    return _base_send(sock, data, flags, copy, track, **kw)


class _Recv:
    """await sock.recv(): a queued message is taken with try_recv (no exception, no Future, no
    loop round trip); otherwise the socket queues a waiter."""

    __slots__ = ("sock", "flags", "copy")

    def __init__(self, sock: "Socket", flags: int, copy: bool) -> None:
        self.sock = sock
        self.flags = flags
        self.copy = copy

    def __await__(self) -> Any:
        sock = self.sock
        if not self.flags:
            msg = sock.try_recv(self.copy)
            if msg is not None:
                return msg
        op = _Op(sock, POLLIN, _base_recv, (sock, self.flags | DONTWAIT, self.copy, False))
        return (yield from op.__await__())


class Socket(_zmq.Socket):
    """A socket whose send/recv family returns awaitables."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._waiters: dict[int, collections.deque] = {POLLIN: collections.deque(), POLLOUT: collections.deque()}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watching = False

    @classmethod
    def from_socket(cls, socket: Any) -> "Socket":
        """An asyncio socket sharing a sync socket's engine socket."""
        return cls.shadow(socket.underlying)

    # -- the slow path --

    def _wait(self, op: _Op) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        fut = loop.create_future()
        timeout = self.get(RCVTIMEO if op.kind == POLLIN else SNDTIMEO)
        entry = [fut, op, None]
        if timeout >= 0:
            entry[2] = loop.call_later(timeout / 1000.0, self._expire, entry, op.kind)
        self._waiters[op.kind].append(entry)
        fut.add_done_callback(lambda f, e=entry, k=op.kind: self._forget(e, k))
        self._watch()
        # Arming: reading EVENTS drains the fd and declares us parked, then looks. A message that
        # arrives after this look raises the fd (the engine writes it whenever a parked reader
        # exists); one that arrived before is seen by the look. So no wake-up is missed, and we
        # serve right away when the look already finds something.
        self._serve()
        return fut

    def _expire(self, entry: list, kind: int) -> None:
        fut = entry[0]
        if not fut.done():
            fut.set_exception(_error.Again())

    def _forget(self, entry: list, kind: int) -> None:
        if entry[2] is not None:
            entry[2].cancel()
        try:
            self._waiters[kind].remove(entry)
        except ValueError:
            pass
        if not self._waiters[POLLIN] and not self._waiters[POLLOUT]:
            self._unwatch()

    def _watch(self) -> None:
        if not self._watching and self._loop is not None:
            self._loop.add_reader(self.get(FD), self._serve)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching and self._loop is not None:
            self._watching = False
            try:
                self._loop.remove_reader(self.get(FD))
            except (_error.ZMQError, ValueError, OSError):
                pass

    def _serve(self) -> None:
        """Complete every waiter the socket can satisfy now, in order; re-arm for the rest."""
        if self.closed:
            err = _error.ZMQError(_errno.ENOTSOCK)
            for kind in (POLLIN, POLLOUT):
                for fut, _op, _t in list(self._waiters[kind]):
                    if not fut.done():
                        fut.set_exception(err)
            self._unwatch()
            return
        while True:
            events = self.get(EVENTS)  # arms the fd (see _wait)
            progressed = False
            for kind in (POLLIN, POLLOUT):
                q = self._waiters[kind]
                while q and events & kind:
                    fut, op, _t = q[0]
                    if fut.done():
                        q.popleft()
                        continue
                    try:
                        result = op.fn(*op.args)
                    except _error.Again:
                        break
                    except Exception as e:  # noqa: BLE001 - the awaiter gets it
                        q.popleft()
                        fut.set_exception(e)
                        progressed = True
                        continue
                    q.popleft()
                    fut.set_result(result)
                    progressed = True
            if not progressed:
                return

    def close(self, linger: int | None = None) -> None:
        """Close the socket; pending awaiters get ZMQError(ENOTSOCK)."""
        pending = [e for k in (POLLIN, POLLOUT) for e in self._waiters.get(k, ())]
        self._unwatch()
        super().close(linger)
        for fut, _op, _t in pending:
            if not fut.done():
                fut.set_exception(_error.ZMQError(_errno.ENOTSOCK))

    # -- awaitable API (pyzmq's names and signatures) --

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:  # type: ignore[override]
        return _Recv(self, flags, copy)

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:  # type: ignore[override]
        return _Op(self, POLLIN, _base_recv_multipart, (self, flags | DONTWAIT, copy, track))

    def send(self, data: Any, flags: int = 0, copy: bool = True, track: bool = False, **kw: Any) -> Any:  # type: ignore[override]
        if kw:
            return _Op(self, POLLOUT, _send_kw, (self, data, flags | DONTWAIT, copy, track, kw))
        return _Op(self, POLLOUT, _base_send, (self, data, flags | DONTWAIT, copy, track))

    def send_multipart(self, msg_parts: Any, flags: int = 0, copy: bool = True, track: bool = False, **kw: Any) -> Any:  # type: ignore[override]
        return _Op(self, POLLOUT, _base_send_multipart, (self, msg_parts, flags | DONTWAIT, copy, track))

    async def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:  # type: ignore[override]
        return (await self.recv(flags)).decode(encoding)

    async def send_string(self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8", **kw: Any) -> Any:  # type: ignore[override]
        return await self.send(u.encode(encoding), flags, copy, **kw)

    async def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:  # type: ignore[override]
        return jsonapi.loads(await self.recv(flags), **kwargs)

    async def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.send(jsonapi.dumps(obj, **kwargs), flags)

    async def recv_pyobj(self, flags: int = 0) -> Any:  # type: ignore[override]
        return pickle.loads(await self.recv(flags))

    async def send_pyobj(self, obj: Any, flags: int = 0, protocol: int = pickle.DEFAULT_PROTOCOL, **kw: Any) -> Any:  # type: ignore[override]
        return await self.send(pickle.dumps(obj, protocol), flags, **kw)

    async def recv_serialized(self, deserialize: Callable, flags: int = 0, copy: bool = True) -> Any:  # type: ignore[override]
        return deserialize(await self.recv_multipart(flags, copy=copy))

    async def send_serialized(self, msg: Any, serialize: Callable, flags: int = 0, copy: bool = True, **kw: Any) -> Any:  # type: ignore[override]
        return await self.send_multipart(serialize(msg), flags, copy=copy, **kw)

    async def poll(self, timeout: float | None = None, flags: int = POLLIN) -> int:  # type: ignore[override]
        """Wait until ready for flags (timeout in ms); return the ready events, 0 on timeout."""
        p = Poller()
        p.register(self, flags)
        ready = dict(await p.poll(timeout))
        return ready.get(self, 0)


class Poller(_zmq.Poller):
    """A Poller whose poll() is awaitable."""

    async def poll(self, timeout: float | None = None) -> list:  # type: ignore[override]
        """Wait up to timeout ms (None: for ever) for any registered socket or fd."""
        ready = _zmq.Poller.poll(self, 0)
        if ready or timeout == 0:
            return ready
        loop = asyncio.get_running_loop()
        wake = loop.create_future()
        fds = []
        for obj, flags in self.sockets:
            if isinstance(obj, _zmq.Socket):
                fds.append(obj.get(FD))
                obj.get(EVENTS)  # arm it: any change from here on raises its fd
            else:
                fds.append(obj if isinstance(obj, int) else obj.fileno())

        def fire() -> None:
            if not wake.done():
                wake.set_result(None)

        for fd in fds:
            loop.add_reader(fd, fire)
        try:
            deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000.0
            while True:
                ready = _zmq.Poller.poll(self, 0)
                if ready:
                    return ready
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return []
                try:
                    await asyncio.wait_for(asyncio.shield(wake), remaining)
                except asyncio.TimeoutError:
                    return []
                wake = loop.create_future()
                for obj, _ in self.sockets:
                    if isinstance(obj, _zmq.Socket):
                        obj.get(EVENTS)
        finally:
            for fd in fds:
                loop.remove_reader(fd)


class Context(_zmq.Context):
    """A Context whose sockets are asyncio sockets."""

    @property
    def _socket_class(self) -> type:
        return Socket
