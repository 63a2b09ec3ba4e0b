"""zmqfast: a fast ZeroMQ implementation with pyzmq's API.

``import zmqfast as zmq`` and existing pyzmq code keeps working; it talks ZMTP 3.1 to any libzmq
peer. The engine is zmqfast's own (C, in csrc/); libzmq is not used.
"""

from __future__ import annotations

# "name as name": the explicit re-exports type checkers want (mypy --strict, pyright)
from . import constants as constants, error as error
from ._core import Frame as Frame, zmq_poll as zmq_poll
from .constants import *  # noqa: F401,F403
from .constants import (COPY_THRESHOLD as COPY_THRESHOLD, DRAFT_API as DRAFT_API,
                        IPC_PATH_MAX_LEN as IPC_PATH_MAX_LEN, PYZMQ_DRAFT_API as PYZMQ_DRAFT_API)
from .context import Context as Context
from .error import *  # noqa: F401,F403
from .error import strerror as strerror
from .poll import Poller as Poller, select as select
from .proxy import device as device, proxy as proxy, proxy_steerable as proxy_steerable
from .backend import curve_keypair as curve_keypair, curve_public as curve_public
from .socket import Socket as Socket
from .tracker import _FINISHED_TRACKER, MessageTracker as MessageTracker  # noqa: F401

# in pyzmq's zmq.__all__ (through zmq.sugar): the enum base classes of the constants
from enum import Enum as Enum, IntEnum as IntEnum, IntFlag as IntFlag  # noqa: E402,F401

__version__ = "0.1.0"
__revision__ = ""

Message = Frame
SyncContext = Context
SyncSocket = Socket

# The libzmq release whose behaviour (and version-gated code paths) zmqfast follows.
_ZMQ_VERSION_INFO = (4, 3, 5)


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq version zmqfast emulates, as a tuple."""
    return _ZMQ_VERSION_INFO


def zmq_version() -> str:
    """The libzmq version zmqfast emulates, as a string."""
    return "%i.%i.%i" % _ZMQ_VERSION_INFO


def pyzmq_version_info() -> tuple[int, ...]:
    """zmqfast's own version, as a tuple."""
    return tuple(int(p) for p in __version__.split(".")[:3])


def pyzmq_version() -> str:
    """zmqfast's own version."""
    return __version__


_CAPABILITIES = {"ipc": True, "pgm": False, "tipc": False, "norm": False, "curve": True,
                 "gssapi": False, "draft": False, "vmci": False, "ws": False}


def has(capability: str) -> bool:
    """Whether this build supports capability ("ipc", "curve", "draft", ...)."""
    return _CAPABILITIES.get(capability, False)


def zmq_errno() -> int:
    """libzmq's last error; zmqfast raises errors directly, so there is none to report."""
    return 0


def get_includes() -> list[str]:
    """Directories with the engine's C headers."""
    import os

    here = os.path.dirname(__file__)
    return [here]


def get_library_dirs() -> list[str]:
    """Directories with the engine's compiled extension."""
    import os

    return [os.path.dirname(__file__)]


from .sugar.stopwatch import Stopwatch as Stopwatch  # noqa: E402  (deprecated, as in pyzmq)
from .tracker import _FINISHED_TRACKER  # noqa: E402
from . import devices as devices  # noqa: E402  (pyzmq code reaches zmq.devices through the top module)

# pyzmq's zmq.__all__ is every public name of the package (constants, errors, the sugar
# classes, the backend functions), so `from zmq import *` and tools that walk it see the API.
__all__: list[str] = sorted(
    _name for _name, _value in list(globals().items())
    if not _name.startswith("_") and type(_value).__name__ not in ("module", "_Feature")
) + ["__version__", "__revision__", "_FINISHED_TRACKER"]  # these three too, as pyzmq's
