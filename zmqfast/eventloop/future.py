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


class Socket(_aio.Socket):
    """A Socket whose send/recv family returns Futures, for tornado coroutines."""

    _poller_class = Poller


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
