"""``zmq.sugar.socket``: the Socket class (zmqfast.socket)."""

from ..socket import Socket, _SocketContext  # noqa: F401

SyncSocket = Socket

__all__ = ["Socket", "SyncSocket"]
