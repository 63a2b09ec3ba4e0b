"""ZMQStream: callback-driven use of a socket from a tornado IOLoop.

::

    stream = ZMQStream(sock)            # current IOLoop unless io_loop= is given
    stream.on_recv(handle_msg)          # handle_msg(frames) for every incoming message
    stream.send_multipart([b"a", b"b"], callback=sent)

Needs the optional ``tornado`` package.

How readiness is detected: the loop watches the socket's FD for reads. That FD only says
"the socket's state may have changed" (edge style, as in libzmq): once it fired, the stream
reads EVENTS and handles what is ready, and afterwards checks EVENTS again, scheduling another
pass on the loop while messages remain, because the FD may stay quiet while they are queued.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import pickle
import warnings
from typing import Any, Callable, Sequence

from . import _import_tornado_ioloop

_import_tornado_ioloop()  # a clear ImportError when tornado is missing

from tornado.ioloop import IOLoop  # noqa: E402
from tornado.log import gen_log  # noqa: E402

import zmqfast as zmq  # noqa: E402
from zmqfast.utils import jsonapi  # noqa: E402

__all__ = ["ZMQStream"]

POLLIN = int(zmq.POLLIN)
POLLOUT = int(zmq.POLLOUT)
_EVENTS = int(zmq.EVENTS)
_NOBLOCK = int(zmq.NOBLOCK)
_EAGAIN = int(zmq.EAGAIN)

# Messages handled per wake-up before yielding to the loop (another pass is scheduled if more
# remain), so one busy socket cannot starve the rest of the loop.
_BATCH = 64


def _ignore(*args: Any) -> None:
    return None


class _NotCallable(TypeError, AssertionError):
    """A callback that is not callable: a TypeError, and an AssertionError as pyzmq raises
    (it asserts callable(callback)), so code catching either keeps working."""


class ZMQStream:
    """Registers callbacks for a socket's incoming messages and completed sends on a tornado
    IOLoop.

    * ``on_recv(cb, copy=True)``: ``cb(frames)`` for each message (``on_recv(None)`` stops);
      ``on_recv_stream(cb)`` calls ``cb(stream, frames)``.
    * ``on_send(cb)``: ``cb(msg, status)`` after each queued send goes out (``status`` is what
      ``socket.send_multipart`` returned, a MessageTracker or None, or the ZMQError);
      ``on_send_stream(cb)`` calls ``cb(stream, msg, status)``.
    * ``send``/``send_multipart``/``send_string``/``send_json``/``send_pyobj`` queue a message,
      sent when the socket can take it; ``callback=`` replaces the on_send callback.
    * ``flush()``, ``close()``, ``closed()``, ``receiving()``, ``sending()``,
      ``set_close_callback()``.

    Callbacks may be coroutine functions. ``bind``, ``connect``, ``setsockopt`` and friends are
    the socket's own methods.
    """

    socket: Any
    io_loop: IOLoop
    poller: Any

    def __init__(self, socket: Any, io_loop: IOLoop | None = None) -> None:
        from zmqfast.asyncio import Socket as _AsyncSocket

        if isinstance(socket, _AsyncSocket) or any(
                inspect.iscoroutinefunction(getattr(type(socket), name, None))
                for name in ("recv_multipart", "send_multipart")):
            # as pyzmq: the stream works on a plain shadow of an async socket
            warnings.warn("ZMQStream works with plain (blocking-API) sockets; it uses a plain "
                          f"shadow of the async socket {socket!r}", RuntimeWarning, stacklevel=2)
            socket = zmq.Socket.shadow(socket.underlying)
        self.socket = socket
        self.io_loop = io_loop or IOLoop.current()
        self.poller = zmq.Poller()
        self._fd: int = socket.getsockopt(zmq.FD)
        self._send_queue: collections.deque[Any] = collections.deque()
        self._recv_callback: Callable[..., Any] | None = None
        self._send_callback: Callable[..., Any] | None = None
        self._close_callback: Callable[..., Any] | None = None
        self._recv_copy = True
        self._flushed = False
        self._state = 0
        self._pass_scheduled = False
        # the socket itself, not its FD, as pyzmq: tornado's IOLoop.close(all_fds=True) then
        # closes the socket (ipykernel does that before term()), where it would close the FD
        # under the socket's feet and leave the socket open
        self.io_loop.add_handler(self.socket, self._handle_events, IOLoop.READ)

        self.bind = socket.bind
        self.bind_to_random_port = socket.bind_to_random_port
        self.connect = socket.connect
        self.setsockopt = socket.setsockopt
        self.getsockopt = socket.getsockopt
        self.setsockopt_string = socket.setsockopt_string
        self.getsockopt_string = socket.getsockopt_string
        self.setsockopt_unicode = socket.setsockopt_unicode
        self.getsockopt_unicode = socket.getsockopt_unicode

    def __repr__(self) -> str:
        return f"<ZMQStream({self.socket!r})>"

    # -- callbacks --

    def on_recv(self, callback: Callable[[list[Any]], Any] | None, copy: bool = True) -> None:
        """Call callback(frames) for every message received (frames are bytes, or Frames
        with copy=False). Replaces any previous callback; None stops receiving."""
        self._check_closed()
        if callback is not None and not callable(callback):
            raise _NotCallable(f"callback must be callable, not {type(callback).__name__}")
        self._recv_callback = callback
        self._recv_copy = copy
        if callback is None:
            self._drop_io_state(POLLIN)
        else:
            self._add_io_state(POLLIN)

    def on_recv_stream(self, callback: Callable[[ZMQStream, list[Any]], Any] | None,
                       copy: bool = True) -> None:
        """Like on_recv, with the stream as the callback's first argument."""
        if callback is None:
            self.stop_on_recv()
            return
        self.on_recv(lambda msg: callback(self, msg), copy=copy)

    def on_send(self, callback: Callable[[list[Any], Any], Any] | None) -> None:
        """Call callback(msg, status) after each queued message is sent. None stops that."""
        self._check_closed()
        if callback is not None and not callable(callback):
            raise _NotCallable(f"callback must be callable, not {type(callback).__name__}")
        self._send_callback = callback

    def on_send_stream(self, callback: Callable[[ZMQStream, list[Any], Any], Any] | None) -> None:
        """Like on_send, with the stream as the callback's first argument."""
        if callback is None:
            self.stop_on_send()
            return
        self.on_send(lambda msg, status: callback(self, msg, status))

    def stop_on_recv(self) -> None:
        """Stop receiving (messages stay queued in the socket)."""
        self.on_recv(None)

    def stop_on_send(self) -> None:
        """Stop calling the send callback."""
        self.on_send(None)

    def on_err(self, callback: Callable[..., Any] | None) -> None:
        """Deprecated; does nothing."""
        gen_log.warning("ZMQStream.on_err does nothing and will go away")

    def stop_on_err(self) -> None:
        """Deprecated; does nothing."""
        gen_log.warning("ZMQStream.stop_on_err does nothing and will go away")

    # -- sending --

    def send(self, msg: Any, flags: int = 0, copy: bool = True, track: bool = False,
             callback: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        """Queue a one-frame message (see send_multipart)."""
        self.send_multipart([msg], flags=flags, copy=copy, track=track, callback=callback,
                            **kwargs)

    def send_multipart(self, msg: Sequence[Any], flags: int = 0, copy: bool = True,
                       track: bool = False, callback: Callable[..., Any] | None = None,
                       **kwargs: Any) -> None:
        """Queue a multipart message; it is sent from the loop when the socket is writable.
        A callback given here becomes the stream's on_send callback."""
        self._check_closed()
        kwargs.update(flags=flags, copy=copy, track=track)
        self._send_queue.append((msg, kwargs))
        self.on_send(callback or self._send_callback or _ignore)
        self._add_io_state(POLLOUT)

    def send_string(self, u: str, flags: int = 0, encoding: str = "utf-8",
                    callback: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        """Queue a str, encoded."""
        if not isinstance(u, str):
            raise TypeError("send_string takes str only")
        self.send(u.encode(encoding), flags=flags, callback=callback, **kwargs)

    send_unicode = send_string

    def send_json(self, obj: Any, flags: int = 0, callback: Callable[..., Any] | None = None,
                  **kwargs: Any) -> None:
        """Queue obj as JSON."""
        self.send(jsonapi.dumps(obj), flags=flags, callback=callback, **kwargs)

    def send_pyobj(self, obj: Any, flags: int = 0, protocol: int = -1,
                   callback: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        """Queue obj, pickled."""
        self.send(pickle.dumps(obj, protocol), flags=flags, callback=callback, **kwargs)

    # -- state --

    def receiving(self) -> bool:
        """Whether a receive callback is set."""
        return self._recv_callback is not None

    def sending(self) -> bool:
        """Whether queued messages wait to be sent."""
        return bool(self._send_queue)

    def closed(self) -> bool:
        """Whether the stream (or its socket) is closed."""
        if self.socket is None:
            return True
        if self.socket.closed:
            self.close()
            return True
        return False

    def set_close_callback(self, callback: Callable[[], Any] | None) -> None:
        """Call callback() when the stream is closed."""
        self._close_callback = callback

    def close(self, linger: int | None = None) -> None:
        """Stop watching the socket and close it (with linger, if given)."""
        if self.socket is None:
            return
        if self.socket.closed:
            warnings.warn(f"Unregistering FD {self._fd} after closing socket: it may by now "
                          f"belong to something else. Close the ZMQStream rather than its "
                          f"socket.", stacklevel=2)
            self.io_loop.remove_handler(self._fd)
        else:
            self.io_loop.remove_handler(self.socket)
            self.socket.close(linger)
        self.socket = None
        if self._close_callback is not None:
            self._run_callback(self._close_callback)

    def flush(self, flag: int = POLLIN | POLLOUT, limit: int | None = None) -> int:
        """Handle pending incoming and/or outgoing messages now, without waiting for the loop;
        return how many were handled (at most limit, if given). Incoming messages are read even
        with no on_recv callback set (and then dropped)."""
        self._check_closed()
        already_flushed = self._flushed
        self._flushed = False
        count = 0
        try:
            while self.socket is not None and (not limit or count < limit):
                want = (flag & POLLIN) | (flag & POLLOUT if self.sending() else 0)
                if not want:
                    break
                ready = self.socket.getsockopt(_EVENTS) & want
                if not ready:
                    break
                if ready & POLLIN:
                    self._recv_one()
                    count += 1
                    if self.socket is None or (limit and count >= limit):
                        break
                if ready & POLLOUT and self.sending():
                    self._send_one()
                    count += 1
        finally:
            if count:
                # the loop may already hold a readiness report for this socket that the flush
                # made stale; skip handling until the loop's next iteration
                self._flushed = True
                if not already_flushed:
                    self.io_loop.add_callback(self._finish_flush)
            elif already_flushed:
                self._flushed = True
            self._rebuild_io_state()
        return count

    def _finish_flush(self) -> None:
        self._flushed = False

    # -- internals --

    def _check_closed(self) -> None:
        if self.socket is None:
            raise OSError("Stream is closed")

    def _run_callback(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            result = callback(*args)
        except Exception:
            gen_log.error("Uncaught exception in ZMQStream callback", exc_info=True)
            raise
        if inspect.isawaitable(result):
            fut = asyncio.ensure_future(result)

            def _report(f: asyncio.Future[Any]) -> None:
                if not f.cancelled() and f.exception() is not None:
                    gen_log.error("Uncaught exception in ZMQStream callback",
                                  exc_info=f.exception())

            fut.add_done_callback(_report)

    def _recv_one(self) -> bool:
        """Receive one message and hand it to the callback; False if none was there."""
        try:
            msg = self.socket.recv_multipart(_NOBLOCK, copy=self._recv_copy)
        except zmq.ZMQError as e:
            if e.errno == _EAGAIN:
                return False
            raise
        if self._recv_callback is not None:
            self._run_callback(self._recv_callback, msg)
        return True

    def _send_one(self) -> None:
        msg, kwargs = self._send_queue.popleft()
        try:
            status = self.socket.send_multipart(msg, **kwargs)
        except zmq.ZMQError as e:
            gen_log.error("ZMQStream send error: %s", e)
            status = e
        if self._send_callback is not None:
            self._run_callback(self._send_callback, msg, status)

    def _handle_events(self, fd: Any = None, events: int = 0) -> None:
        """The loop's handler: the FD fired (or a pass was scheduled); do what is ready."""
        self._pass_scheduled = False
        if self.socket is None:
            gen_log.warning("Got events for closed stream %s", self)
            return
        try:
            for _ in range(_BATCH):
                if self._flushed:
                    break
                try:
                    ready = self.socket.getsockopt(_EVENTS)
                except zmq.ContextTerminated:
                    gen_log.warning("Got events for stream %s after its context ended", self)
                    self.closed()
                    return
                except zmq.ZMQError as e:
                    if self.closed():
                        gen_log.warning("Got events for stream %s attached to closed socket: %s",
                                        self, e)
                    else:
                        gen_log.error("Error reading EVENTS for %s: %s", self, e)
                    return
                did = False
                if ready & POLLIN and self.receiving():
                    did = self._recv_one()
                    if self.socket is None:
                        return
                if ready & POLLOUT and self.sending():
                    self._send_one()
                    did = True
                    if self.socket is None:
                        return
                if not did:
                    break
        finally:
            # the FD may not fire again for what is still queued: look at EVENTS once more
            self._rebuild_io_state()

    def _rebuild_io_state(self) -> None:
        if self.socket is None:
            return
        state = 0
        if self.receiving():
            state |= POLLIN
        if self.sending():
            state |= POLLOUT
        self._state = state
        self._update_handler(state)

    def _add_io_state(self, state: int) -> None:
        self._state |= state
        self._update_handler(self._state)

    def _drop_io_state(self, state: int) -> None:
        self._state &= ~state
        self._update_handler(self._state)

    def _update_handler(self, state: int) -> None:
        """Schedule a pass on the loop if something wanted is ready already (the FD will not
        report it)."""
        if self.socket is None or self._pass_scheduled or not state:
            return
        try:
            ready = self.socket.getsockopt(_EVENTS)
        except zmq.ZMQError:
            return
        if ready & state:
            self._pass_scheduled = True
            self.io_loop.add_callback(self._handle_events, self._fd, 0)
