"""Deprecated: tornado's IOLoop under its old pyzmq name. Sockets need no special event
loop any more; use ``tornado.ioloop`` directly."""

import warnings

from . import _import_tornado_ioloop

_tornado_ioloop = _import_tornado_ioloop()

warnings.warn("zmq.eventloop.ioloop is deprecated (since pyzmq 17): use tornado.ioloop",
              DeprecationWarning, stacklevel=2)

from tornado.ioloop import *  # noqa: E402,F401,F403
from tornado.ioloop import IOLoop  # noqa: E402

ZMQIOLoop = IOLoop


def install() -> None:
    """Does nothing (deprecated): tornado's default IOLoop already works with sockets."""
    warnings.warn("zmq.eventloop.ioloop.install() is deprecated and does nothing",
                  DeprecationWarning, stacklevel=2)
