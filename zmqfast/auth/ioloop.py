"""Deprecated in pyzmq 25: tornado runs on asyncio, so AsyncioAuthenticator serves it."""

import warnings
from typing import Any

from .asyncio import AsyncioAuthenticator

warnings.warn("zmq.auth.ioloop.IOLoopAuthenticator is deprecated. Use zmq.auth.asyncio.AsyncioAuthenticator",
              DeprecationWarning, stacklevel=2)

__all__ = ["IOLoopAuthenticator"]


class IOLoopAuthenticator(AsyncioAuthenticator):
    """ZAP authentication for use in the tornado IOLoop."""

    def __init__(self, context: Any = None, encoding: str = "utf-8", log: Any = None,
                 io_loop: Any = None) -> None:
        if io_loop is not None:
            warnings.warn(f"{self.__class__.__name__}(io_loop) is deprecated and ignored: "
                          "tornado's IOLoop runs on the asyncio loop", DeprecationWarning,
                          stacklevel=2)
        super().__init__(context, encoding=encoding, log=log)
