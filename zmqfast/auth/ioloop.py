"""Deprecated in pyzmq 25: tornado runs on asyncio, so AsyncioAuthenticator serves it."""

import warnings

from .asyncio import AsyncioAuthenticator

warnings.warn("zmq.auth.ioloop.IOLoopAuthenticator is deprecated. Use zmq.auth.asyncio.AsyncioAuthenticator",
              DeprecationWarning, stacklevel=2)

__all__ = ["IOLoopAuthenticator"]


class IOLoopAuthenticator(AsyncioAuthenticator):
    """ZAP authentication for use in the tornado IOLoop."""
