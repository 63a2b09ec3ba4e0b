"""Green Poller: poll() suspends the current greenlet, not the thread."""

from __future__ import annotations

import time
from typing import Any

import zmqfast as _zmq
from zmqfast.constants import EVENTS, FD, POLLERR, POLLIN, POLLOUT

from ._gevent import Event, get_hub

__all__: list[str] = []  # _Poller is exported by zmqfast.green as Poller

_base_get = _zmq.Socket.get
_RECHECK = 5.0  # see core._RECHECK
_READ, _WRITE = 1, 2  # gevent io watcher events


class _Poller(_zmq.Poller):
    """Replacement for :class:`zmq.Poller`

    poll() waits on the gevent hub: green sockets wake it as they wake their own waiters; other
    zmqfast sockets, and plain fds or objects with fileno(), through hub watchers on their fds.
    """

    def poll(self, timeout: int | None = None) -> list:
        """Poll the registered sockets and fds for up to timeout ms (None or -1: for ever),
        suspending only the current greenlet; returns [(socket or fd, events)]."""
        if timeout is None or timeout < 0:
            timeout = -1
        ready = super().poll(0)
        if ready or timeout == 0:
            return ready
        deadline = None if timeout < 0 else time.monotonic() + timeout / 1000.0
        while True:
            event = Event()
            parked: list = []
            watchers: list = []
            try:
                hub = get_hub()
                for obj, flags in self.sockets:
                    self._arm(hub, obj, flags, event, parked, watchers)
                ready = super().poll(0)  # after arming: a later change wakes the hub
                if ready:
                    return ready
                if deadline is None:
                    wait = _RECHECK
                else:
                    wait = deadline - time.monotonic()
                    if wait <= 0:
                        return []
                    wait = min(wait, _RECHECK)
                if not event.is_set():
                    event.wait(wait)
            finally:
                for sock, w in parked:
                    sock._gunpark(w)
                for io in watchers:
                    io.stop()
                    io.close()

    @staticmethod
    def _arm(hub: Any, obj: Any, flags: int, event: Event, parked: list, watchers: list) -> None:
        if hasattr(obj, "_gpark"):  # a green socket: wait as its own greenlets do
            want = flags & (POLLIN | POLLOUT)
            if want:
                parked.append((obj, obj._gpark(want, event)))
            return
        if isinstance(obj, _zmq.Socket):  # a plain zmqfast socket: arm and watch its FD
            _base_get(obj, EVENTS)
            fd, mask = _base_get(obj, FD), _READ
        else:
            fd = obj if isinstance(obj, int) else obj.fileno()
            mask = (_READ if flags & (POLLIN | POLLERR) else 0) | (_WRITE if flags & POLLOUT else 0)
        if not mask:
            return
        io = hub.loop.io(fd, mask)
        io.start(event.set)
        watchers.append(io)
