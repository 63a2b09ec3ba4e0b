"""Poller and select: wait on several sockets and file descriptors at once."""

from __future__ import annotations

from typing import Any

from . import _core
from ._core import zmq_poll
from .constants import POLLERR, POLLIN, POLLOUT

__all__ = ["Poller", "select", "zmq_poll"]


class Poller(_core.Poller):
    """pyzmq's Poller: register sockets or fds with event masks, then poll(timeout_ms).

    The engine keeps the poll set between calls; register/modify/unregister mark it for a
    rebuild at the next poll.
    """


def select(rlist: list[Any], wlist: list[Any], xlist: list[Any], timeout: float | None = None
           ) -> tuple[list[Any], list[Any], list[Any]]:
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
