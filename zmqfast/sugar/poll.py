"""``zmq.sugar.poll``: Poller and select (zmqfast.poll)."""

from ..poll import Poller, select

__all__ = ["Poller", "select"]
