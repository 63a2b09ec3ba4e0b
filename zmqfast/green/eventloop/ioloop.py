"""tornado's IOLoop, under pyzmq's name zmq.green.eventloop.ioloop (see zmqfast.eventloop.ioloop)."""

from zmqfast.eventloop.ioloop import *  # noqa: F401,F403
from zmqfast.eventloop.ioloop import IOLoop, ZMQIOLoop, install  # noqa: F401
