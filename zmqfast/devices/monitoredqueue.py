"""monitored_queue: a queue between two sockets that reports every message to a third."""

from __future__ import annotations

from typing import Any

import zmqfast
from zmqfast.constants import POLLIN, ROUTER


def _forward(src: Any, dst: Any, mon: Any, prefix: bytes, swap_ids: bool) -> None:
    msg = src.recv_multipart(copy=False)
    if swap_ids and len(msg) > 1:
        # ROUTER to ROUTER: the first frame named the sender; the destination wants its own
        # peer first, which the sender put second
        msg[0], msg[1] = msg[1], msg[0]
    mon.send_multipart([prefix] + msg, copy=False)
    dst.send_multipart(msg, copy=False)


def monitored_queue(in_socket: Any, out_socket: Any, mon_socket: Any, in_prefix: bytes = b"in",
                    out_prefix: bytes = b"out") -> None:
    """Forward messages both ways between in_socket and out_socket, sending each (prefixed with
    in_prefix or out_prefix as an extra first frame) to mon_socket. Runs until the context ends
    (ContextTerminated is raised)."""
    swap_ids = in_socket.socket_type == ROUTER and out_socket.socket_type == ROUTER
    poller = zmqfast.Poller()
    poller.register(in_socket, POLLIN)
    poller.register(out_socket, POLLIN)
    while True:
        for sock, _ in poller.poll():
            if sock is in_socket:
                _forward(in_socket, out_socket, mon_socket, in_prefix, swap_ids)
            else:
                _forward(out_socket, in_socket, mon_socket, out_prefix, swap_ids)
