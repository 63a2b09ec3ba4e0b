"""pyzmq's ``zmq.sugar`` module layout, for code that imports from it
(``from zmq.sugar.socket import Socket``). Everything lives in zmqfast's own modules; these
are re-exports."""

from __future__ import annotations

from .. import error
from ..error import *  # noqa: F401,F403
from ..proxy import device
from . import context, frame, poll, socket, tracker, version
from .context import *  # noqa: F401,F403
from .frame import *  # noqa: F401,F403
from .poll import *  # noqa: F401,F403
from .socket import *  # noqa: F401,F403
from .stopwatch import Stopwatch
from .tracker import *  # noqa: F401,F403
from .version import *  # noqa: F401,F403

__all__ = ["device"]
for _mod in (context, error, frame, poll, socket, tracker, version):
    __all__.extend(_mod.__all__)
__all__.append("Stopwatch")
del _mod


def __getattr__(name: str) -> object:  # the lazily resolved version names (see .version)
    return getattr(version, name)
