"""zmqfast.green: zmqfast for gevent programs.

``import zmqfast.green as zmq`` in place of ``import zmqfast as zmq``: a call that would block
then suspends only the calling greenlet, and the others of the thread go on.

Every zmqfast name is here; Context, Socket and Poller are the green versions (see
:mod:`zmqfast.green.core`), and device (and proxy) forward messages without blocking the
thread. Needs gevent.
"""

from __future__ import annotations

from . import _gevent  # noqa: F401  (ImportError without gevent)

import zmqfast as _zmq
from zmqfast import *  # noqa: F401,F403
from zmqfast import _FINISHED_TRACKER, __revision__, __version__  # noqa: F401

from .core import _Context, _Socket
from .poll import _Poller

Context = _Context  # type: ignore[misc]
Socket = _Socket  # type: ignore[misc]
Poller = _Poller  # type: ignore[misc]
SyncContext = _zmq.Context  # type: ignore[misc]  # the plain classes, as zmqfast names them
SyncSocket = _zmq.Socket  # type: ignore[misc]

from .device import device, proxy  # type: ignore[assignment]  # noqa: E402

__all__: list[str] = sorted(
    name for name, value in vars(_zmq).items()
    if not name.startswith("_") and type(value).__name__ not in ("module", "_Feature")
) + ["__version__", "__revision__", "_FINISHED_TRACKER"]  # as in pyzmq's
