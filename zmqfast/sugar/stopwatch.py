"""``zmq.sugar.stopwatch``: the deprecated Stopwatch (use time.monotonic instead)."""

from __future__ import annotations

import time
import warnings

__all__ = ["Stopwatch"]


class Stopwatch:
    """Deprecated timer: ``start()``, then ``stop()`` returns the elapsed microseconds."""

    def __init__(self) -> None:
        warnings.warn("Stopwatch is deprecated; use time.monotonic() and friends",
                      DeprecationWarning, stacklevel=2)
        self._t0 = 0.0

    def start(self) -> None:
        """Start (or restart) timing."""
        self._t0 = time.monotonic()

    def stop(self) -> int:
        """Microseconds since start(), as an int."""
        return int((time.monotonic() - self._t0) * 1e6)
