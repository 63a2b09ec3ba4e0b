"""Interoperability helpers: turning an address handed out by another library into an int."""

from __future__ import annotations

from typing import Any

__all__ = ["cast_int_addr"]


def cast_int_addr(n: Any) -> int:
    """Cast an address to a Python int

    This could be a Python integer or a CFFI pointer

    zmqfast itself only ever hands out ints (``Context.underlying``, ``Socket.underlying``); a
    cffi ``void *`` (what pyzmq's cffi backend uses) is converted when cffi is installed.
    """
    if isinstance(n, int):
        return n
    try:
        import cffi
    except ImportError:
        cffi = None
    if cffi is not None:
        ffi = cffi.FFI()
        if isinstance(n, ffi.CData):
            return int(ffi.cast("uintptr_t", n))
    raise ValueError(f"Cannot cast {n!r} to int")
