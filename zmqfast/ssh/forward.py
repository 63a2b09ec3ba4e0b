"""Local port forwarding over a paramiko transport (what ``ssh -L`` does), for paramiko_tunnel.

A thread per accepted connection opens a ``direct-tcpip`` channel to the destination through
the transport and copies bytes both ways until either side closes.
"""

from __future__ import annotations

import logging
import select
import socketserver
from typing import Any

__all__ = ["forward_tunnel"]

logger = logging.getLogger("ssh")

_CHUNK = 65536


class ForwardServer(socketserver.ThreadingTCPServer):
    """The local listener: one handler thread per connection."""

    daemon_threads = True
    allow_reuse_address = True


class Handler(socketserver.BaseRequestHandler):
    """Copies one local connection to a channel opened through ssh_transport."""

    ssh_transport: Any
    chain_host: str
    chain_port: int

    def handle(self) -> None:
        dest = (self.chain_host, self.chain_port)
        try:
            chan = self.ssh_transport.open_channel("direct-tcpip", dest, self.request.getpeername())
        except Exception as e:
            logger.debug("Incoming request to %s:%d failed: %r", *dest, e)
            return
        if chan is None:
            logger.debug("Incoming request to %s:%d was rejected by the SSH server.", *dest)
            return
        logger.debug("Tunnel open %r -> %r", self.request.getpeername(), dest)
        try:
            _pump(self.request, chan)
        finally:
            chan.close()
            self.request.close()
        logger.debug("Tunnel closed %r -> %r", self.request, dest)


def _pump(a: Any, b: Any) -> None:
    """Copy bytes between a and b (sockets or channels) until one of them reaches EOF."""
    peer = {a: b, b: a}
    while True:
        readable, _, _ = select.select([a, b], [], [])
        for src in readable:
            data = src.recv(_CHUNK)
            if not data:
                return
            peer[src].sendall(data)


def _forward_server(local_port: int, remote_host: str, remote_port: int, transport: Any,
                    local_host: str = "127.0.0.1") -> ForwardServer:
    """A bound ForwardServer for the tunnel (not serving yet: call serve_forever)."""
    handler = type("TunnelHandler", (Handler,), {"chain_host": remote_host,
                                                 "chain_port": remote_port,
                                                 "ssh_transport": transport})
    return ForwardServer((local_host, local_port), handler)


def forward_tunnel(local_port: int, remote_host: str, remote_port: int, transport: Any) -> None:
    """Forward connections to 127.0.0.1:local_port, through the paramiko transport, to
    remote_host:remote_port as seen from the ssh server. Serves until the process ends."""
    _forward_server(local_port, remote_host, remote_port, transport).serve_forever()
