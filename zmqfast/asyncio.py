"""zmqfast.asyncio: pyzmq's asyncio API (awaitable send/recv) on zmqfast.

``await sock.recv()`` (and send, recv_multipart, send_multipart) awaits a small C object
(``_core._AioOp``, in _aio.pxi): when a message is queued, or a send fits, the operation is done
in C on the first step, with no Future, no loop round trip and no exception. Otherwise it arms the
socket's readiness fd and suspends on a Future-like waiter; the fd stays registered with the loop
(``add_reader``) while waiters come back, and each wake-up lets every waiter retry its own
operation (so one cancelled after its wake-up takes nothing from the socket), resuming the task
right from the fd callback rather than one loop iteration later."""

from __future__ import annotations

import asyncio
import errno as _errno
import pickle
from typing import Any, Callable

import zmqfast as _zmq
from zmqfast import _core
from zmqfast import error as _error
from zmqfast.constants import EVENTS, FD, POLLIN, POLLOUT
from zmqfast.utils import jsonapi

__all__ = ["Context", "Socket", "Poller", "ZMQEventLoop", "install"]

_on_fd = _core._aio_on_fd
_base_get = _zmq.Socket.get


async def _drive(op: Any) -> Any:
    """The coroutine of the Task behind an op used as a Future (see _core._AioOp)."""
    return await op


_core._aio_setup(asyncio.CancelledError, asyncio.current_task, asyncio.get_running_loop, _drive)


class Socket(_zmq.Socket):
    """A socket whose send/recv family returns awaitables."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._aio = _core._AioState()  # waiters and fd watch, read from C
        self._rwait: list = self._aio.rin  # suspended receivers (and pollers for POLLIN)
        self._wwait: list = self._aio.rout  # ... senders

    @classmethod
    def from_socket(cls, socket: Any) -> "Socket":
        """An asyncio socket sharing a sync socket's engine socket."""
        return cls.shadow(socket.underlying)

    # -- awaitable API (pyzmq's names and signatures); the four primitives are C functions --

    recv = _core._aio_recv
    recv_multipart = _core._aio_recv_multipart
    send = _core._aio_send
    send_multipart = _core._aio_send_multipart

    # -- the slow path (called from C when an operation would block) --

    def _aio_park(self, waiter: Any, want: int) -> asyncio.AbstractEventLoop:
        """Queue waiter (a Future of Poller.poll) for want (POLLIN/POLLOUT) and watch the fd;
        return the loop. The caller arms the fd; the watcher (_core._aio_on_fd) wakes it."""
        return _core._aio_park_waiter(self, waiter, want)

    def _rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        """First use, or use from another loop than before: watch from this one."""
        self._aio_unwatch()
        self._rwait.clear()
        self._wwait.clear()
        st = self._aio
        st.loop = loop
        st.fd = _base_get(self, FD)

    def _aio_unwatch(self) -> None:
        st = self._aio
        if st.watching:
            st.watching = False
            try:
                st.loop.remove_reader(st.fd)
            except (ValueError, OSError, RuntimeError):
                pass  # the loop is closed already

    def get(self, option: int) -> Any:
        """getsockopt. Reading EVENTS drains the fd this socket's waiters rely on: look for them."""
        v = _base_get(self, option)
        if option == EVENTS and self._aio.watching and (self._rwait or self._wwait):
            self._aio.loop.call_soon(_on_fd, self, self._rwait, self._wwait)
        return v

    getsockopt = get

    def close(self, linger: int | None = None) -> None:
        """Close the socket; pending awaiters get ZMQError(ENOTSOCK)."""
        pending = self._rwait + self._wwait
        self._rwait.clear()
        self._wwait.clear()
        self._aio_unwatch()
        super().close(linger)
        _core._aio_fail(pending, _error.ZMQError(_errno.ENOTSOCK))

    # -- the rest of the family, on top of the primitives --

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
        deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000.0
        while True:
            wake = loop.create_future()
            waits: list = []
            readers: list = []

            def fire(_f: Any = None) -> None:
                if not wake.done():
                    wake.set_result(None)

            try:
                for obj, flags in self.sockets:
                    if isinstance(obj, Socket):
                        # wait like a receiver/sender would: the socket's own watcher wakes us
                        # (a second add_reader on its fd would replace that watcher)
                        for kind in (POLLIN, POLLOUT):
                            if flags & kind:
                                f = loop.create_future()
                                f.add_done_callback(fire)
                                obj._aio_park(f, kind)
                                waits.append(f)
                        obj.get(EVENTS)  # arm (and let its other waiters look): a later change raises its fd
                    else:
                        fd = obj if isinstance(obj, int) else obj.fileno()
                        if isinstance(obj, _zmq.Socket):
                            fd = obj.get(FD)
                            obj.get(EVENTS)
                        loop.add_reader(fd, fire)
                        readers.append(fd)
                # the arming above came before this look: what it misses raises an fd
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
            finally:
                for f in waits:
                    if not f.done():
                        f.cancel()
                    elif not f.cancelled():
                        f.exception()  # seen (a close while polling): the next look raises it
                for fd in readers:
                    loop.remove_reader(fd)


class Context(_zmq.Context):
    """A Context whose sockets are asyncio sockets."""

    @property
    def _socket_class(self) -> type:
        return Socket


def _deprecated() -> None:
    import warnings

    warnings.warn("ZMQEventLoop and zmq.asyncio.install are deprecated (since pyzmq 17): "
                  "sockets work with any asyncio event loop", DeprecationWarning, stacklevel=3)


class ZMQEventLoop(asyncio.SelectorEventLoop):
    """DEPRECATED: a plain asyncio SelectorEventLoop (any event loop works with the sockets)."""

    def __init__(self, selector: Any = None) -> None:
        _deprecated()
        super().__init__(selector)


def install() -> None:
    """DEPRECATED: does nothing (no special event loop is needed)."""
    _deprecated()
