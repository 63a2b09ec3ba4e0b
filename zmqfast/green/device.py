"""A green device: forwarding between two sockets without blocking the thread."""

from __future__ import annotations

from typing import Any, NoReturn

import zmqfast as _zmq
from zmqfast.constants import POLLIN

__all__ = ["device", "proxy"]


def device(device_type: int, isocket: Any, osocket: Any) -> NoReturn:
    """Start a zeromq device (gevent-compatible).

    Unlike the true zmq.device, this does not release the GIL.

    Parameters
    ----------
    device_type : (QUEUE, FORWARDER, STREAMER)
        The type of device to start (ignored).
    isocket : Socket
        The Socket instance for the incoming traffic.
    osocket : Socket
        The Socket instance for the outbound traffic.
    """
    proxy(isocket, osocket)


def proxy(frontend: Any, backend: Any, capture: Any = None) -> NoReturn:
    """Forward messages both ways between frontend and backend (and a copy of each to capture,
    when given), suspending only the current greenlet while nothing moves. Runs until an
    error (ContextTerminated when the context ends, ENOTSOCK when a socket is closed).
    Pass backend=-1 to echo frontend's messages back to it."""
    from .poll import _Poller

    if isinstance(backend, int) and backend == -1:
        backend = frontend
    poller = _Poller()
    poller.register(frontend, POLLIN)
    if backend is not frontend:
        poller.register(backend, POLLIN)
    while True:
        for sock, _ in poller.poll():
            dst = backend if sock is frontend else frontend
            msg = sock.recv_multipart(_zmq.DONTWAIT, copy=False)
            if capture is not None:
                capture.send_multipart(msg, copy=False)
            dst.send_multipart(msg, copy=False)
