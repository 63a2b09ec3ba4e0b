"""Tornado integration (needs the optional ``tornado`` package).

``zmqfast.eventloop.zmqstream.ZMQStream`` drives a socket from a tornado IOLoop with callbacks;
``IOLoop`` here is tornado's own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IOLoop"]


def _import_tornado_ioloop() -> Any:
    try:
        import tornado.ioloop
    except ImportError as e:
        raise ImportError(
            "zmqfast.eventloop needs tornado, which is not installed (pip install tornado)"
        ) from e
    return tornado.ioloop


def __getattr__(name: str) -> Any:
    if name == "IOLoop":
        return _import_tornado_ioloop().IOLoop
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
