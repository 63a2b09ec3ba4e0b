"""``zmq.backend``: the layer under pyzmq's sugar. In zmqfast that is the engine binding
(zmqfast._core): Socket and Context here are the base classes of zmqfast.Socket and
zmqfast.Context, without the Python conveniences, as in pyzmq."""

from __future__ import annotations


from .._core import Context, Frame, Socket, zmq_poll
from ..constants import IPC_PATH_MAX_LEN, PYZMQ_DRAFT_API
from ..error import strerror
from ..proxy import device, proxy, proxy_steerable
from .select import public_api, select_backend  # noqa: F401  (as pyzmq's zmq.backend)

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


def curve_keypair() -> tuple[bytes, bytes]:
    """A new CURVE key pair, ``(public, secret)``, each 32 bytes encoded as 40 Z85 characters.

    The keys are real X25519 keys (zmqfast's own implementation, csrc/crypto.c) and interoperate
    with libzmq's.
    """
    from .._core import _curve_keypair
    from ..utils import z85

    public, secret = _curve_keypair()
    return z85.encode(public), z85.encode(secret)


def curve_public(secret_key: str | bytes | bytearray) -> bytes:
    """The CURVE public key (40 Z85 characters) that belongs to secret_key (40 Z85 characters).

    As pyzmq: ValueError unless secret_key is 40 bytes (str is UTF-8 encoded first), TypeError
    unless it is bytes or bytearray (or str), ZMQError(EINVAL) when it is not valid Z85.
    (See curve_keypair on the CURVE mechanism itself.)
    """
    import errno

    from .._core import _curve_public
    from ..error import ZMQError
    from ..utils import z85

    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf8")
    if not len(secret_key) == 40:
        raise ValueError("secret key must be a 40 byte z85 encoded string")
    if not isinstance(secret_key, (bytes, bytearray)):
        raise TypeError(f"expected bytes, {type(secret_key).__name__} found")
    try:
        raw = z85.decode(secret_key)
    except ValueError:
        raise ZMQError(errno.EINVAL) from None
    return z85.encode(_curve_public(raw))
