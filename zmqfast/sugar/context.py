"""``zmq.sugar.context``: the Context class (zmqfast.context)."""

from ..context import Context

SyncContext = Context

__all__ = ["Context", "SyncContext"]
