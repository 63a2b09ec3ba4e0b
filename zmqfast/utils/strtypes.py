"""Old string-type helpers (deprecated in pyzmq 23); kept so that older code still imports."""

from __future__ import annotations

import warnings

__all__ = ["asbytes", "bytes", "unicode", "basestring", "b", "u", "cast_bytes", "cast_unicode"]

bytes = bytes
unicode = str
basestring = (str,)


def _warn() -> None:
    warnings.warn("zmq.utils.strtypes is deprecated (since pyzmq 23)", DeprecationWarning,
                  stacklevel=3)


def cast_bytes(s: str | bytes, encoding: str = "utf8", errors: str = "strict") -> bytes:
    """s as bytes (str is encoded)."""
    _warn()
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode(encoding, errors)
    raise TypeError(f"expected str or bytes, not {type(s).__name__}")


def cast_unicode(s: str | bytes, encoding: str = "utf8", errors: str = "strict") -> str:
    """s as str (bytes are decoded)."""
    _warn()
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode(encoding, errors)
    raise TypeError(f"expected str or bytes, not {type(s).__name__}")


asbytes = b = cast_bytes
u = cast_unicode
