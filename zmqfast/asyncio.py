"""zmqfast.asyncio: pyzmq's asyncio API (awaitable send/recv) on zmqfast.

``sock.recv()`` (and send, recv_multipart, send_multipart) returns a small C object
(``_core._AioOp``, in _aio.pxi) and starts the operation right away, as pyzmq's Futures do: when a
message is queued, or a send fits, it is done in C there and then, and awaiting it costs no Future,
no loop round trip and no exception. Otherwise the operation queues behind the ones of its
direction called before it and arms the socket's readiness fd; the fd stays registered with the
loop (``add_reader``) while waiters come back, and its callback performs the queued operations in
call order (so results follow call order whatever order they are awaited in, a send nobody awaits
still goes out, and a cancelled operation takes nothing), resuming each task right from that
callback rather than one loop iteration later."""

from __future__ import annotations

import asyncio
import pickle
import threading
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

import zmqfast as _zmq
from zmqfast import _core
from zmqfast import error as _error
from zmqfast.constants import ENOTSOCK, ENOTSUP, EVENTS, FD, POLLIN, POLLOUT
from zmqfast.utils import jsonapi

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Literal

    from typing_extensions import Buffer

    from zmqfast._core import Frame, _AioOp
    from zmqfast.tracker import MessageTracker

__all__ = ["Context", "Socket", "Poller", "ZMQEventLoop", "install"]

_R = TypeVar("_R")
_SocketT = TypeVar("_SocketT")

_on_fd = _core._aio_on_fd
_base_get = _zmq.Socket.get


async def _drive(op: Any) -> Any:
    """The coroutine of the Task behind an op used as a Future (see _core._AioOp)."""
    return await op


# ---- loops without add_reader (Windows' ProactorEventLoop) ---------------------------------------
#
# The sockets are watched through their FD with the loop's add_reader. The Proactor loop, the
# default on Windows, has none (IOCP completes operations; it does not report readiness). As
# pyzmq does (with tornado's selector thread), such a loop gets a helper thread that waits in
# select() on the watched fds (zmq.FD is a SOCKET on Windows, which select() takes) and runs
# their callbacks on the loop, through call_soon_threadsafe. After each wake-up the thread waits
# until the loop has run the callbacks before it selects again: the callbacks are what drain a
# ready fd, so it never spins on one the loop has not served yet. Cost, only on such loops: a
# thread per loop and a cross-thread hop per wake-up; selector loops (every loop elsewhere, and
# WindowsSelectorEventLoopPolicy's) are used directly, as before.


class _SelectorThread:
    """add_reader/remove_reader for one loop that lacks them, served by a select() thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import socket

        self._loop = loop
        self._readers: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self._lock = threading.Lock()
        self._served = threading.Event()
        self._closing = False
        # wakes select() when the set of fds changes or the loop closes
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="zmqfast-asyncio-selector",
                                        daemon=True)
        self._thread.start()

    def add_reader(self, fd: int, callback: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._readers[fd] = (callback, args)
        self._wake()

    def remove_reader(self, fd: int) -> bool:
        with self._lock:
            found = self._readers.pop(fd, None) is not None
        self._wake()
        return found

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._wake()
        self._served.set()
        if self._thread is not threading.current_thread():
            self._thread.join(5)
        self._wake_r.close()
        self._wake_w.close()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass  # its buffer is full (a wake-up is pending anyway) or it is closed

    def _run(self) -> None:
        import select

        wake = self._wake_r.fileno()
        while not self._closing:
            with self._lock:
                fds = list(self._readers)
            try:
                ready, _, _ = select.select([wake, *fds], [], [])
            except (OSError, ValueError):
                # an fd closed while watched: drop the ones select() refuses, then go on
                with self._lock:
                    for fd in fds:
                        try:
                            select.select([fd], [], [], 0)
                        except (OSError, ValueError):
                            self._readers.pop(fd, None)
                continue
            if self._closing:
                return
            if wake in ready:
                try:
                    while self._wake_r.recv(512):
                        pass
                except OSError:
                    pass  # drained
            ready = [fd for fd in ready if fd != wake]
            if not ready:
                continue
            self._served.clear()
            try:
                self._loop.call_soon_threadsafe(self._dispatch, ready)
            except RuntimeError:
                return  # the loop is closed
            self._served.wait()

    def _dispatch(self, ready: list[int]) -> None:
        """On the loop: run the callbacks of the fds select() found readable."""
        try:
            for fd in ready:
                with self._lock:
                    entry = self._readers.get(fd)
                if entry is None:
                    continue  # removed since
                try:
                    entry[0](*entry[1])
                except Exception as e:
                    self._loop.call_exception_handler(
                        {"message": "exception in a zmqfast.asyncio fd callback",
                         "exception": e})
        finally:
            self._served.set()


_selector_threads: Any = None  # weakref.WeakKeyDictionary: loop -> _SelectorThread


def _reader_host(loop: asyncio.AbstractEventLoop) -> Any:
    """What watches fds for loop: the loop itself, or its selector thread if it has no
    add_reader (Windows' ProactorEventLoop)."""
    global _selector_threads
    proactor = getattr(asyncio, "ProactorEventLoop", None)
    if proactor is None or not isinstance(loop, proactor):
        return loop
    if _selector_threads is None:
        import weakref

        _selector_threads = weakref.WeakKeyDictionary()
    host = _selector_threads.get(loop)
    if host is None:
        host = _selector_threads[loop] = _SelectorThread(loop)
        # stop the thread with the loop: wrap this loop's close (an instance attribute)
        loop_close = loop.close

        def close() -> None:
            host.close()
            _selector_threads.pop(loop, None)
            loop_close()

        loop.close = close  # type: ignore[method-assign]
    return host


_core._aio_setup(asyncio.CancelledError, asyncio.current_task, asyncio.get_running_loop, _drive,
                 _reader_host if hasattr(asyncio, "ProactorEventLoop") else None)


class Socket(_zmq.Socket):
    """A socket whose send/recv family returns awaitables."""

    _repr_cls = "zmq.asyncio.Socket"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._aio = _core._AioState()  # waiters and fd watch, read from C
        self._rwait: list[Any] = self._aio.rin  # suspended receivers (and pollers for POLLIN)
        self._wwait: list[Any] = self._aio.rout  # ... senders

    @classmethod
    def from_socket(cls, socket: _core.Socket) -> Socket:
        """An asyncio socket sharing a sync socket's engine socket."""
        return cls.shadow(socket.underlying)

    # -- awaitable API (pyzmq's names and signatures); the four primitives are C functions --

    if not TYPE_CHECKING:
        recv = _core._aio_recv
        recv_multipart = _core._aio_recv_multipart
        send = _core._aio_send
        send_multipart = _core._aio_send_multipart
    else:
        # The same signatures as _core.pyi's _aio_* functions: each returns an _AioOp[result],
        # awaitable and usable as a Future. Spelled out as methods: type checkers do not all
        # follow an overloaded function assigned in a class body.
        @overload  # type: ignore[override]
        def recv(self, flags: int = 0, copy: Literal[True] = True, track: bool = False
                 ) -> _AioOp[bytes]: ...
        @overload
        def recv(self, flags: int = 0, *, copy: Literal[False], track: bool = False
                 ) -> _AioOp[Frame]: ...
        @overload
        def recv(self, flags: int, copy: Literal[False], track: bool = False) -> _AioOp[Frame]: ...
        @overload
        def recv(self, flags: int = 0, copy: bool = True, track: bool = False
                 ) -> _AioOp[bytes | Frame]: ...
        def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any: ...

        @overload  # type: ignore[override]
        def recv_multipart(self, flags: int = 0, copy: Literal[True] = True, track: bool = False
                           ) -> _AioOp[list[bytes]]: ...
        @overload
        def recv_multipart(self, flags: int = 0, *, copy: Literal[False], track: bool = False
                           ) -> _AioOp[list[Frame]]: ...
        @overload
        def recv_multipart(self, flags: int, copy: Literal[False], track: bool = False
                           ) -> _AioOp[list[Frame]]: ...
        @overload
        def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False
                           ) -> _AioOp[list[bytes] | list[Frame]]: ...
        def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False
                           ) -> Any: ...

        @overload  # type: ignore[override]
        def send(self, data: Buffer | Frame, flags: int = 0, copy: Literal[True] = True,
                 track: bool = False, **kw: Any) -> _AioOp[None]: ...
        @overload
        def send(self, data: Buffer | Frame, flags: int = 0, *, copy: Literal[False],
                 track: bool = False, **kw: Any) -> _AioOp[MessageTracker]: ...
        @overload
        def send(self, data: Buffer | Frame, flags: int, copy: Literal[False],
                 track: bool = False, **kw: Any) -> _AioOp[MessageTracker]: ...
        @overload
        def send(self, data: Buffer | Frame, flags: int = 0, copy: bool = True,
                 track: bool = False, **kw: Any) -> _AioOp[MessageTracker | None]: ...
        def send(self, data: Buffer | Frame, flags: int = 0, copy: bool = True,
                 track: bool = False, **kw: Any) -> Any: ...

        @overload  # type: ignore[override]
        def send_multipart(self, msg_parts: Iterable[Buffer | Frame], flags: int = 0,
                           copy: Literal[True] = True, track: bool = False,
                           **kw: Any) -> _AioOp[None]: ...
        @overload
        def send_multipart(self, msg_parts: Iterable[Buffer | Frame], flags: int = 0, *,
                           copy: Literal[False], track: bool = False,
                           **kw: Any) -> _AioOp[MessageTracker]: ...
        @overload
        def send_multipart(self, msg_parts: Iterable[Buffer | Frame], flags: int,
                           copy: Literal[False], track: bool = False,
                           **kw: Any) -> _AioOp[MessageTracker]: ...
        @overload
        def send_multipart(self, msg_parts: Iterable[Buffer | Frame], flags: int = 0,
                           copy: bool = True, track: bool = False,
                           **kw: Any) -> _AioOp[MessageTracker | None]: ...
        def send_multipart(self, msg_parts: Iterable[Buffer | Frame], flags: int = 0,
                           copy: bool = True, track: bool = False, **kw: Any) -> Any: ...

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
        st.fd = _base_get(self, FD)  # type: ignore[assignment]

    def _aio_unwatch(self) -> None:
        st = self._aio
        if st.watching:
            st.watching = False
            try:
                _reader_host(st.loop).remove_reader(st.fd)  # type: ignore[arg-type]
            except (ValueError, OSError, RuntimeError):
                pass  # the loop is closed already

    def get(self, option: int) -> Any:
        """getsockopt. Reading EVENTS drains the fd this socket's waiters rely on: look for them."""
        v = _base_get(self, option)
        if option == EVENTS and self._aio.watching and (self._rwait or self._wwait):
            self._aio.loop.call_soon(_on_fd, self, self._rwait, self._wwait)  # type: ignore[union-attr]
        return v

    getsockopt = get  # type: ignore[assignment, unused-ignore]  # (mypy < 2)

    def close(self, linger: int | None = None) -> None:
        """Close the socket; pending awaiters get ZMQError(ENOTSOCK)."""
        pending = self._rwait + self._wwait
        self._rwait.clear()
        self._wwait.clear()
        self._aio_unwatch()
        super().close(linger)
        _core._aio_fail(pending, _error.ZMQError(ENOTSOCK))

    # -- the rest of the family, on top of the primitives: Futures, as pyzmq's --

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> asyncio.Future[str]:  # type: ignore[override]
        return _then(self.recv(flags), lambda b: b.decode(encoding))

    def send_string(self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8", **kw: Any) -> _AioOp[_zmq.MessageTracker | None]:  # type: ignore[override]
        if not isinstance(u, str):
            raise TypeError("str objects only")
        return self.send(u.encode(encoding), flags, copy, **kw)

    def recv_json(self, flags: int = 0, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return _then(self.recv(flags), lambda b: jsonapi.loads(b, **kwargs))

    def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> _AioOp[None]:  # type: ignore[override]
        send_kwargs = {k: kwargs.pop(k) for k in ("routing_id", "group") if k in kwargs}
        return self.send(jsonapi.dumps(obj, **kwargs), flags, **send_kwargs)

    def recv_pyobj(self, flags: int = 0) -> asyncio.Future[Any]:  # type: ignore[override]
        return _then(self.recv(flags), pickle.loads)

    def send_pyobj(self, obj: Any, flags: int = 0, protocol: int = pickle.DEFAULT_PROTOCOL, **kw: Any) -> _AioOp[_zmq.MessageTracker | None]:  # type: ignore[override]
        return self.send(pickle.dumps(obj, protocol), flags, **kw)

    def recv_serialized(self, deserialize: Callable[[list[Any]], _R], flags: int = 0, copy: bool = True) -> asyncio.Future[_R]:  # type: ignore[override]
        return _then(self.recv_multipart(flags, copy=copy), deserialize)

    def send_serialized(self, msg: Any, serialize: Callable[[Any], Any], flags: int = 0, copy: bool = True, **kw: Any) -> _AioOp[_zmq.MessageTracker | None]:  # type: ignore[override]
        return self.send_multipart(serialize(msg), flags, copy=copy, **kw)

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> asyncio.Future[int]:  # type: ignore[override]
        """Receive a frame into buffer; a Future of the frame's full size (the copy is cut to
        the buffer, or to nbytes)."""
        if nbytes < 0:
            raise ValueError("nbytes must be non-negative")
        view = memoryview(buffer)
        if view.readonly:
            raise BufferError("recv_into needs a writable buffer")
        if not view.contiguous:
            raise BufferError("recv_into needs a contiguous buffer")
        view = view.cast("B")

        def copy_in(frame: Frame) -> int:
            data = frame.buffer
            n = min(len(data), len(view), nbytes or len(view))
            view[:n] = data[:n]
            return len(data)

        return _then(self.recv(flags, copy=False), copy_in)

    def poll(self, timeout: float | None = None, flags: int = POLLIN) -> asyncio.Future[int]:  # type: ignore[override]
        """A Future of the ready events once ready for flags (timeout in ms; 0 on timeout)."""
        if self.closed:
            raise _error.ZMQError(ENOTSUP)
        if timeout == 0:  # answered now, as pyzmq's: the Future is done on return
            f: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            f.set_result(_zmq.Socket.poll(self, 0, flags))
            return f
        return asyncio.ensure_future(self._poll_one(timeout, flags))

    async def _poll_one(self, timeout: float | None, flags: int) -> int:
        p = Poller()
        p.register(self, flags)
        events: int = dict(await p._poll(timeout)).get(self, 0)
        return events

    @property
    def _recv_futures(self) -> list[Any]:
        """What waits to receive (pyzmq's name; its helpers and tests read it)."""
        return [w for w in self._rwait if not w.done()]

    @property
    def _send_futures(self) -> list[Any]:
        return [w for w in self._wwait if not w.done()]


def _then(op: Any, fn: Callable[[Any], _R]) -> asyncio.Future[_R]:
    """A Future of fn(op's result), as pyzmq's deserializing Futures: cancelling it cancels op
    (which then takes nothing from the socket); fn's exception becomes the Future's."""
    out: asyncio.Future[_R] = op.get_loop().create_future()

    def done(f: Any) -> None:
        if out.done():
            return
        if f.cancelled():
            out.cancel()
            return
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        try:
            out.set_result(fn(f.result()))
        except Exception as e:
            out.set_exception(e)

    op.add_done_callback(done)
    out.add_done_callback(lambda o: op.cancel() if o.cancelled() else None)
    return out


class Poller(_zmq.Poller):
    """A Poller whose poll() is awaitable."""

    def poll(self, timeout: float | None = None) -> asyncio.Future[list[tuple[Any, int]]]:  # type: ignore[override]
        """A Future of the ready (socket, events) pairs, waiting up to timeout ms (None: for
        ever) for any registered socket or fd. Closing a polled socket cancels it."""
        if timeout == 0:  # answered now, as pyzmq's: the Future is done on return
            f: asyncio.Future[list[tuple[Any, int]]] = asyncio.get_running_loop().create_future()
            try:
                f.set_result(_zmq.Poller.poll(self, 0))
            except Exception as e:
                f.set_exception(e)
            return f
        return asyncio.ensure_future(self._poll(timeout))

    async def _poll(self, timeout: float | None) -> list[tuple[Any, int]]:
        try:
            return await self._poll_inner(timeout)
        except _error.ZMQError as e:
            if e.errno in (ENOTSOCK, ENOTSUP) and any(
                    isinstance(obj, _zmq.Socket) and obj.closed for obj, _ in self.sockets):
                raise asyncio.CancelledError() from None  # a polled socket was closed
            raise

    async def _poll_inner(self, timeout: float | None) -> list[tuple[Any, int]]:
        ready = _zmq.Poller.poll(self, 0)
        if ready or timeout == 0:
            return ready
        loop = asyncio.get_running_loop()
        host = _reader_host(loop)  # the loop, or its selector thread (Proactor)
        deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000.0
        while True:
            wake = loop.create_future()
            waits: list[asyncio.Future[None]] = []
            readers: list[int] = []

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
                        host.add_reader(fd, fire)
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
                    host.remove_reader(fd)


class Context(_zmq.Context):
    """A Context whose sockets are asyncio sockets."""

    _repr_cls = "zmq.asyncio.Context"
    _socket_class = Socket

    if TYPE_CHECKING:
        @overload
        def socket(self, socket_type: int, socket_class: None = None, **kwargs: Any) -> Socket: ...
        @overload
        def socket(self, socket_type: int, socket_class: Callable[..., _SocketT],
                   **kwargs: Any) -> _SocketT: ...
        def socket(self, socket_type: int, socket_class: Callable[..., Any] | None = None,
                   **kwargs: Any) -> Any: ...


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
