"""``zmq.sugar.frame``: Frame (a.k.a. Message), the engine's message object."""

from .._core import Frame

Message = Frame

__all__ = ["Frame", "Message"]
