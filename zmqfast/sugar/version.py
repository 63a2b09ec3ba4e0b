"""``zmq.sugar.version``: zmqfast's version and the libzmq version it follows.

The values live in the zmqfast package itself; they are looked up when used, so this module
can be imported while zmqfast is still initialising.
"""

from __future__ import annotations

__all__ = ["zmq_version", "zmq_version_info", "pyzmq_version", "pyzmq_version_info",
           "__version__", "__revision__", "VERSION_EXTRA"]

__revision__ = ""

# pyzmq's pre-release suffix ("dev", "b1"...) of its version; zmqfast's releases carry none
VERSION_EXTRA = ""


def zmq_version() -> str:
    """The libzmq version zmqfast follows, as "x.y.z"."""
    import zmqfast

    return zmqfast.zmq_version()


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq version zmqfast follows, as a tuple."""
    import zmqfast

    return zmqfast.zmq_version_info()


def pyzmq_version() -> str:
    """zmqfast's version string."""
    import zmqfast

    return zmqfast.__version__


def pyzmq_version_info() -> tuple[int, ...]:
    """zmqfast's version as a tuple of ints."""
    import re

    return tuple(int(p) for p in re.findall(r"\d+", pyzmq_version())[:3])


def __getattr__(name: str) -> str:
    if name == "__version__":
        return pyzmq_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
