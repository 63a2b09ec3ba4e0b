"""ZMQStream for green sockets (pyzmq's zmq.green.eventloop.zmqstream)."""

from __future__ import annotations

from typing import Any

from zmqfast.eventloop import zmqstream

from .ioloop import IOLoop

__all__ = ["ZMQStream"]


class ZMQStream(zmqstream.ZMQStream):
    """zmqfast.eventloop.zmqstream.ZMQStream, on the current IOLoop unless io_loop is given."""

    def __init__(self, socket: Any, io_loop: IOLoop | None = None) -> None:
        super().__init__(socket, io_loop=io_loop or IOLoop.current())
