"""``zmq.sugar.tracker``: MessageTracker (zmqfast.tracker) and the always-done tracker."""

from .. import tracker as _tracker
from ..tracker import MessageTracker

# A tracker with nothing to watch: ``done`` is always True (what a copying, tracked send returns).
_FINISHED_TRACKER: MessageTracker = getattr(_tracker, "_FINISHED_TRACKER", None) or MessageTracker()

__all__ = ["MessageTracker", "_FINISHED_TRACKER"]
