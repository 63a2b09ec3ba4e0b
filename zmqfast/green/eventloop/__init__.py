"""Tornado integration for green sockets (pyzmq's zmq.green.eventloop); needs tornado."""

from zmqfast.green.eventloop.ioloop import IOLoop

__all__ = ["IOLoop"]
