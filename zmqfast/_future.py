"""The Future-returning socket base, under pyzmq's module name (zmq._future).

In pyzmq, ``_AsyncSocket`` and ``_AsyncPoller`` are the loop-neutral bases that zmq.asyncio and
zmq.eventloop.future specialise. zmqfast has a single implementation of awaitable sockets,
zmqfast.asyncio (its send/recv are C-level operations that behave as asyncio Futures), and it
serves both: the names here are that implementation's classes, so code that imports or
subclasses ``zmq._future._AsyncSocket`` (or tests ``isinstance`` against it) keeps working.
"""

from __future__ import annotations

from .asyncio import Poller as _AsyncPoller
from .asyncio import Socket as _AsyncSocket

__all__: list[str] = []  # private, as in pyzmq
