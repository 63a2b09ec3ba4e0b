"""Poller and select: wait on several sockets and file descriptors at once."""

from __future__ import annotations

from typing import Any

from ._core import zmq_poll
from .constants import POLLERR, POLLIN, POLLOUT

__all__ = ["Poller", "select", "zmq_poll"]


class Poller:
    """pyzmq's Poller: register sockets or fds with event masks, then poll(timeout_ms)."""

    def __init__(self) -> None:
        self.sockets: list[tuple[Any, int]] = []
        self._map: dict[Any, int] = {}

    def __contains__(self, socket: Any) -> bool:
        return socket in self._map

    def register(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        """Watch socket (or fd) for flags; flags 0 unregisters."""
        if flags:
            if socket in self._map:
                self.sockets[self._map[socket]] = (socket, flags)
            else:
                self._map[socket] = len(self.sockets)
                self.sockets.append((socket, flags))
        elif socket in self._map:
            self.unregister(socket)

    def modify(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        """Change the flags watched for socket."""
        self.register(socket, flags)

    def unregister(self, socket: Any) -> None:
        """Stop watching socket."""
        idx = self._map.pop(socket)
        self.sockets.pop(idx)
        for s, _ in self.sockets[idx:]:
            self._map[s] -= 1

    def poll(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        """Wait up to timeout ms (None: for ever); return [(socket, events)] that are ready."""
        if timeout is None or timeout < 0:
            timeout = -1
        elif isinstance(timeout, float):
            timeout = int(timeout)
        return zmq_poll(self.sockets, timeout)


def select(rlist: list, wlist: list, xlist: list, timeout: float | None = None) -> tuple:
    """select.select for sockets and fds: timeout in seconds; returns (rlist, wlist, xlist)."""
    if timeout is None:
        timeout = -1
    timeout = int(timeout * 1000.0) if timeout >= 0 else -1
    sockets: list[tuple[Any, int]] = []
    for s in set(rlist + wlist + xlist):
        flags = 0
        if s in rlist:
            flags |= POLLIN
        if s in wlist:
            flags |= POLLOUT
        if s in xlist:
            flags |= POLLERR
        sockets.append((s, flags))
    ready = zmq_poll(sockets, timeout)
    r, w, x = [], [], []
    for s, ev in ready:
        if ev & POLLIN:
            r.append(s)
        if ev & POLLOUT:
            w.append(s)
        if ev & POLLERR:
            x.append(s)
    return r, w, x
