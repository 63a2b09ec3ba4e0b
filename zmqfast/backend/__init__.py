"""``zmq.backend``: the layer under pyzmq's sugar. In zmqfast that is the engine binding
(zmqfast._core): Socket and Context here are the base classes of zmqfast.Socket and
zmqfast.Context, without the Python conveniences, as in pyzmq."""

from __future__ import annotations

from typing import Any

from .._core import Context, Frame, Socket, zmq_poll
from ..constants import IPC_PATH_MAX_LEN, PYZMQ_DRAFT_API
from ..error import strerror
from ..proxy import device, proxy, proxy_steerable

Message = Frame

__all__ = ["Context", "Socket", "Frame", "Message", "proxy", "proxy_steerable", "zmq_poll",
           "strerror", "zmq_errno", "has", "curve_keypair", "curve_public",
           "zmq_version_info", "IPC_PATH_MAX_LEN", "PYZMQ_DRAFT_API"]


def has(capability: str) -> bool:
    """Whether the engine supports capability ("ipc", "curve", "draft", ...)."""
    import zmqfast

    return zmqfast.has(capability)


def zmq_errno() -> int:
    """The engine's last error number (zmqfast raises errors directly: always 0)."""
    import zmqfast

    return zmqfast.zmq_errno()


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq version zmqfast follows."""
    import zmqfast

    return zmqfast.zmq_version_info()


def _no_curve() -> Any:
    from ..error import ZMQError

    import errno

    return ZMQError(errno.ENOTSUP if hasattr(errno, "ENOTSUP") else 95)


def curve_keypair() -> tuple[bytes, bytes]:
    """A new CURVE key pair (public, secret), Z85-encoded; ZMQError(ENOTSUP) if this build
    has no CURVE support (as libzmq without a crypto library)."""
    import zmqfast

    impl = zmqfast.__dict__.get("curve_keypair")
    if impl is None:
        raise _no_curve()
    return impl()


def curve_public(secret_key: bytes | str) -> bytes:
    """The Z85 public key for a Z85 secret key; ZMQError(ENOTSUP) without CURVE support."""
    import zmqfast

    impl = zmqfast.__dict__.get("curve_public")
    if impl is None:
        raise _no_curve()
    return impl(secret_key)
