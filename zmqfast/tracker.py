"""MessageTracker: learn when the engine is done with a zero-copy send's buffer."""

from __future__ import annotations

import time
import weakref
from typing import Any

from . import _core
from .error import NotDone

__all__ = ["MessageTracker"]



class MessageTracker:
    """Tracks zero-copy sends: ``done`` turns true once the engine has released every buffer.

    The engine hands buffers back through a lock-free release stack that the application side
    drains; checking ``done`` drains it, so no background thread is involved.
    """

    def __init__(self, *towatch: Any) -> None:
        self._holds: list[Any] = []
        self._contexts: list[Any] = []
        self._trackers: list[MessageTracker] = []
        self._frames: list[weakref.ref[Any]] = []  # tracked Frames: done when they are gone
        for obj in towatch:
            if isinstance(obj, MessageTracker):
                self._trackers.append(obj)
            elif isinstance(obj, _core.Frame):
                tr = obj.tracker
                if tr is None:
                    raise ValueError("Not a tracked message: make the Frame with track=True")
                self._trackers.append(tr)
            else:
                raise TypeError(f"Require MessageTracker or Frame, not {type(obj)}")

    @classmethod
    def _from_hold(cls, hold: Any, context: Any) -> MessageTracker:
        if hold is None:
            # the message was copied (under copy_threshold): nothing to wait for, and pyzmq
            # hands out its one finished tracker here
            return _FINISHED_TRACKER
        tr = cls()
        tr._holds.append(hold)
        tr._contexts.append(context)
        return tr

    def _watch_frame(self, frame: Any) -> None:
        # A tracked Frame's data is in use while the Frame lives, and a send of it keeps the
        # Frame alive until the engine hands it back: so gone means done.
        self._frames.append(weakref.ref(frame))

    def _add(self, hold: Any, context: Any) -> None:
        self._holds.append(hold)
        self._contexts.append(context)

    @property
    def done(self) -> bool:
        """Whether every tracked buffer has been released by the engine."""
        for ctx in self._contexts:
            _core._drain(ctx)
        return (all(_core._hold_done(h) for h in self._holds)
                and all(r() is None for r in self._frames)
                and all(t.done for t in self._trackers))

    def wait(self, timeout: float | int = -1) -> None:
        """Wait until done; raise NotDone after timeout seconds (-1: wait for ever)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        delay = 0.0001
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise NotDone
            time.sleep(delay)
            delay = min(delay * 2, 0.01)


# What a send that copied (or was below copy_threshold) returns: already done.
_FINISHED_TRACKER = MessageTracker()
