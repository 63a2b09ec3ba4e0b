"""SSH tunnels for zmq connections (pyzmq's zmq.ssh): see zmqfast.ssh.tunnel."""

from zmqfast.ssh.tunnel import *  # noqa: F401,F403
from zmqfast.ssh.tunnel import __all__  # noqa: F401
