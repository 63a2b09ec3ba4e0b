"""Future-returning sockets for tornado coroutines (pyzmq's zmq.eventloop.future).

Tornado (5 and later) runs on asyncio, and its Future *is* asyncio.Future, so these are
zmqfast.asyncio's sockets under pyzmq's tornado names: ``await sock.recv()`` in a tornado
coroutine, or ``IOLoop.current().add_future(sock.recv(), callback)``. Cancelling an operation
raises ``CancelledError`` (asyncio's) in whoever awaits it. Needs tornado.

Deprecated in pyzmq (since 2.3), where :mod:`zmq.asyncio` is recommended; the same goes here.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from .. import asyncio as _aio

__all__ = ["CancelledError", "Context", "Future", "IOLoop", "Poller", "Socket"]

CancelledError = asyncio.CancelledError


class Poller(_aio.Poller):
    """A Poller whose poll() returns a Future, for tornado coroutines."""


def _ignore_events(fileobj: Any, events: int) -> None:
    """Never called: tornado only reads the table entry (see Socket._enter_ioloop)."""


class Socket(_aio.Socket):
    """A Socket whose send/recv family returns Futures, for tornado coroutines."""

    _poller_class = Poller
    _ioloop_entry: Any = None

    def _enter_ioloop(self) -> IOLoop:
        """Enter this socket in the current IOLoop's handler table, as pyzmq's tornado sockets
        are, so that ``IOLoop.close(all_fds=True)`` closes it (ipykernel and jupyter_client
        close their loops so). Only the table entry: tornado registers no reader for it, so
        the socket's own fd watcher stays the one (a second reader on the fd would replace it).
        Tornado's asyncio IOLoop keeps the table as ``handlers``; without one, nothing is
        entered."""
        io_loop = IOLoop.current()
        handlers = getattr(io_loop, "handlers", None)
        if isinstance(handlers, dict) and self._ioloop_entry is None and not self.closed:
            fd = _aio._base_get(self, _aio.FD)
            if fd not in handlers:
                handlers[fd] = (self, _ignore_events)
                self._ioloop_entry = (handlers, fd)
        return io_loop

    def _get_loop(self) -> IOLoop:
        """The IOLoop this socket's operations run on (pyzmq's name)."""
        return self._enter_ioloop()

    def _rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        super()._rebind(loop)
        self._enter_ioloop()  # first use (from a loop): as pyzmq's sockets register then

    def close(self, linger: int | None = None) -> None:
        entry, self._ioloop_entry = self._ioloop_entry, None
        if entry is not None:
            handlers, fd = entry
            if handlers.get(fd, (None,))[0] is self:
                del handlers[fd]
        super().close(linger)


class Context(_aio.Context):
    """A Context whose sockets return Futures, for tornado coroutines."""

    _instance = None  # not the plain Context's shared instance
    io_loop = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.pop("io_loop", None) is not None:
            warnings.warn(f"{self.__class__.__name__}(io_loop) argument is deprecated in pyzmq"
                          " 22.2. The currently active loop will always be used.",
                          DeprecationWarning, stacklevel=2)
        super().__init__(*args, **kwargs)

    _socket_class = Socket
