"""``zmq.backend.cython`` under zmqfast: the one backend zmqfast has (its engine binding,
zmqfast._core, is written in Cython), the same objects as ``zmqfast.backend``."""

from .. import (IPC_PATH_MAX_LEN, PYZMQ_DRAFT_API, Context, Frame, Message, Socket,  # noqa: F401
                curve_keypair, curve_public, has, proxy, proxy_steerable, strerror, zmq_errno,
                zmq_poll, zmq_version_info)
from ...devices.monitoredqueue import monitored_queue  # noqa: F401  (not in __all__, as pyzmq)
from ..select import public_api

__all__ = list(public_api)
