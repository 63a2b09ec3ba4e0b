"""Green Context and Socket: blocking calls suspend the current greenlet, not the thread.

A green socket never blocks in the engine. send/recv (and their multipart forms, recv_into and
poll) try the operation with DONTWAIT; when it would block, the greenlet waits on the gevent hub
for the socket's FD. The FD works as libzmq's: reading EVENTS arms it, and it turns readable
when the socket's state changes after that. Each socket keeps one hub watcher on its FD while
any greenlet waits on it, and a list of those greenlets with what each waits for (POLLIN or
POLLOUT); whenever EVENTS is read, by the watcher or after any operation on the socket while
someone waits, the waiters whose condition holds are woken. A wake-up consumed by one greenlet
therefore cannot be lost for another, so many greenlets can share a socket (one receiving while
another sends, say) and many sockets can share a thread.

Unlike pyzmq's zmq.green, RCVTIMEO and SNDTIMEO are honoured: a green recv or send that waits
longer raises zmq.Again, as a plain socket's would (pyzmq warns that they have no effect).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import zmqfast as _zmq
from zmqfast.constants import DONTWAIT, EVENTS, FD, POLLIN, POLLOUT, RCVTIMEO, SNDTIMEO
from zmqfast.error import Again

from ._gevent import Event, get_hub
from .poll import _Poller

__all__: list[str] = []  # _Context and _Socket are exported by zmqfast.green

# (typed loosely: the options read here are ints, which get's overloads cannot tell from a flat alias)
_base_get: Callable[[Any, int], Any] = _zmq.Socket.get

# The timeout options: green sockets apply them themselves, while waiting on the hub.
TIMEOS: tuple = (RCVTIMEO, SNDTIMEO)

# A safety net: a waiting greenlet looks at its socket again at least this often (seconds),
# even if no wake-up came. Wake-ups are not expected to go missing; this bounds the damage if
# one did, as pyzmq's green sockets do.
_RECHECK = 5.0

_ALL = -1  # "every condition holds": wakes every waiter (on close or error)


class _Waiter:
    """A greenlet (or a green Poller) waiting for want (POLLIN/POLLOUT) on a socket."""

    __slots__ = ("want", "event")

    def __init__(self, want: int, event: Event) -> None:
        self.want = want
        self.event = event


class _Socket(_zmq.Socket):
    """Green version of :class:`zmq.Socket`

    send, recv, send_multipart, recv_multipart, recv_into and poll only block the current
    greenlet; everything built on them (send_string, recv_json, ...) follows. Flags with
    DONTWAIT behave as on any socket.
    """

    _repr_cls = "zmq.green.Socket"

    _poller_class = _Poller
    _gw: list | None = None  # the waiters (set on first wait; also for shadow sockets)
    _gio: Any = None  # the hub's watcher on FD
    _ghub: Any = None  # whose loop _gio belongs to

    # -- waking --

    def _gnotify(self, events: int | None = None) -> None:
        """Wake the waiters whose condition events (read afresh when None) satisfies."""
        waiters = self._gw
        if not waiters:
            return
        if events is None:
            try:
                events = _ALL if self.closed else _base_get(self, EVENTS)
            except _zmq.ZMQError:
                events = _ALL  # let them retry, and meet the error themselves
        keep = []
        for w in waiters:
            if w.want & events:
                w.event.set()
            else:
                keep.append(w)
        if len(keep) != len(waiters):
            waiters[:] = keep
            if not keep:
                self._gunwatch()

    def _gon_fd(self) -> None:
        """The hub saw FD readable: the state may have changed."""
        self._gnotify()

    def _gwatch(self) -> None:
        hub = get_hub()
        if self._gio is not None and self._ghub is not hub:
            self._gclose_watcher()  # used from another thread's hub now
        if self._gio is None:
            self._gio = hub.loop.io(_base_get(self, FD), 1)
            self._ghub = hub
        if not self._gio.active:
            self._gio.start(self._gon_fd)

    def _gunwatch(self) -> None:
        if self._gio is not None and self._gio.active:
            self._gio.stop()

    def _gclose_watcher(self) -> None:
        io, self._gio, self._ghub = self._gio, None, None
        if io is not None:
            io.stop()
            io.close()

    def _gpark(self, want: int, event: Event) -> _Waiter | None:
        """Wait for want: arm FD, and return a waiter in the list (event is set when woken),
        or None (and event set) when want holds already."""
        events = _base_get(self, EVENTS)  # arms FD: a later change turns it readable
        self._gnotify(events)
        if events & want:
            event.set()
            return None
        if self._gw is None:
            self._gw = []
        w = _Waiter(want, event)
        self._gw.append(w)
        self._gwatch()
        return w

    def _gunpark(self, w: _Waiter | None) -> None:
        waiters = self._gw
        if w is not None and waiters and w in waiters:
            waiters.remove(w)
            if not waiters:
                self._gunwatch()

    def _gwait(self, want: int, timeout: float | None) -> None:
        """Suspend this greenlet until want may hold (or timeout seconds pass)."""
        event = Event()
        w = self._gpark(want, event)
        if w is None:
            return
        try:
            event.wait(_RECHECK if timeout is None else min(timeout, _RECHECK))
        finally:
            self._gunpark(w)

    def _green(self, call: Any, flags: int, want: int, timeo: int) -> Any:
        """Run call(flags) with DONTWAIT, waiting on the hub while it would block."""
        if flags & DONTWAIT:
            try:
                return call(flags)
            finally:
                if self._gw:
                    self._gnotify()
        ms = _base_get(self, timeo)
        deadline = None if ms < 0 else time.monotonic() + ms / 1000.0
        flags |= DONTWAIT
        while True:
            try:
                result = call(flags)
            except Again:
                pass
            except BaseException:
                if self._gw:
                    self._gnotify()
                raise
            else:
                if self._gw:
                    self._gnotify()  # what we did may be what someone else waits for
                return result
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Again()
            self._gwait(want, remaining)

    # -- the blocking calls --

    def send(self, data: Any, flags: int = 0, copy: bool = True, track: bool = False,  # type: ignore[override]
             **kwargs: Any) -> Any:
        """send, which will only block current greenlet"""
        send = super().send
        return self._green(lambda f: send(data, f, copy, track, **kwargs), flags, POLLOUT,
                           SNDTIMEO)

    def send_multipart(self, msg_parts: Any, flags: int = 0, copy: bool = True,
                       track: bool = False, **kwargs: Any) -> Any:
        """send_multipart, which will only block current greenlet"""
        if not isinstance(msg_parts, (list, tuple)):
            msg_parts = list(msg_parts)  # an iterator is consumed once: retries need a list
        send = super().send_multipart
        return self._green(lambda f: send(msg_parts, f, copy, track, **kwargs), flags, POLLOUT,
                           SNDTIMEO)

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """recv, which will only block current greenlet"""
        recv = super().recv
        return self._green(lambda f: recv(f, copy, track), flags, POLLIN, RCVTIMEO)

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list:
        """recv_multipart, which will only block current greenlet"""
        recv = super().recv_multipart
        return self._green(lambda f: recv(f, copy, track), flags, POLLIN, RCVTIMEO)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """recv_into, which will only block current greenlet"""
        recv = super().recv_into
        return self._green(lambda f: recv(buffer, nbytes, f), flags, POLLIN, RCVTIMEO)

    def poll(self, timeout: int | None = None, flags: int = POLLIN) -> int:
        """Poll the socket for events, blocking only the current greenlet.

        timeout in ms (None or -1: for ever); returns the events that are ready (0 on timeout).
        """
        if self.closed:
            raise _zmq.ZMQError(_zmq.ENOTSUP)
        p = self._poller_class()
        p.register(self, flags)
        return dict(p.poll(timeout)).get(self, 0)

    # -- options --

    def get(self, option: int) -> Any:
        """getsockopt. Reading EVENTS drains what the waiters rely on: it wakes those it
        satisfies."""
        value = _base_get(self, option)
        if option == EVENTS and self._gw:
            self._gnotify(value)
        return value

    getsockopt = get

    def close(self, linger: int | None = None) -> None:
        """Close the socket; greenlets waiting on it wake up (and get ENOTSOCK)."""
        super().close(linger)
        waiters, self._gw = self._gw, None
        for w in waiters or ():
            w.event.set()
        self._gclose_watcher()


class _Context(_zmq.Context):
    """Replacement for :class:`zmq.Context`

    Its sockets are green sockets (:class:`zmq.green.Socket`).
    """

    _repr_cls = "zmq.green.Context"

    _instance = None  # Context.instance() of the green class is a green context

    _socket_class = _Socket
