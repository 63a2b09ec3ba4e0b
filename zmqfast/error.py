"""Exceptions raised by zmqfast, and libzmq-compatible error strings."""

from __future__ import annotations

import errno as _errno
import os
import sys
from typing import Callable

__all__ = [
    "strerror",
    "DraftFDWarning",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "NotDone",
    "ContextTerminated",
    "InterruptedSystemCall",
    "Again",
    "ZMQVersionError",
]

# ---------------------------------------------------------------------------
# Error numbers (kept local so this module does not depend on constants.py)
# ---------------------------------------------------------------------------

_HAUSNUMERO = 156384712

EAGAIN = _errno.EAGAIN
EINTR = _errno.EINTR
EFSM = _HAUSNUMERO + 51
ENOCOMPATPROTO = _HAUSNUMERO + 52
ETERM = _HAUSNUMERO + 53
EMTHREAD = _HAUSNUMERO + 54

# Windows: the C runtime's numbers for the socket errors (MSVC's <errno.h> since VS 2010, and
# mingw-w64's, which matches it). libzmq, and so pyzmq, reports these there, and so does the
# engine, which is compiled against the same header. Python's errno module on Windows gives
# Winsock's numbers for the same names instead (errno.EADDRINUSE == WSAEADDRINUSE == 10048), so
# on Windows the socket errors' numbers come from this table, not from the module.
_WINDOWS_CRT_ERRNO: dict[str, int] = {
    "EADDRINUSE": 100, "EADDRNOTAVAIL": 101, "EAFNOSUPPORT": 102, "ECONNABORTED": 106,
    "ECONNREFUSED": 107, "ECONNRESET": 108, "EHOSTUNREACH": 110, "EINPROGRESS": 112,
    "EMSGSIZE": 115, "ENETDOWN": 116, "ENETRESET": 117, "ENETUNREACH": 118, "ENOBUFS": 119,
    "ENOTCONN": 126, "ENOTSOCK": 128, "ENOTSUP": 129, "EPROTONOSUPPORT": 135, "ETIMEDOUT": 138,
}


def _socket_errno(name: str, offset: int) -> int:
    """The number libzmq gives errno ``name`` on this platform: the C runtime's on Windows, the
    C library's elsewhere (Python's errno module has it), or libzmq's own HAUSNUMERO + offset
    where the C library lacks the name."""
    if sys.platform == "win32" and name in _WINDOWS_CRT_ERRNO:
        return _WINDOWS_CRT_ERRNO[name]
    return getattr(_errno, name, _HAUSNUMERO + offset)


# Messages for 0MQ's own error numbers.
_ZMQ_MESSAGES: dict[int, str] = {
    EFSM: "Operation cannot be accomplished in current state",
    ENOCOMPATPROTO: "The protocol is not compatible with the socket type",
    ETERM: "Context was terminated",
    EMTHREAD: "No thread available",
    # libzmq overrides the C library's wording for this one, on every platform
    _socket_errno("EHOSTUNREACH", 17): "Host unreachable",
}

# Socket-related POSIX errors that libzmq numbers itself (HAUSNUMERO + n)
# when the platform's <errno.h> lacks them: (name, offset, message).  The
# first eight messages are libzmq's own; libzmq leaves the rest to the C
# library, which has no text for a private number, so give them a plain
# description instead.  The texts are only used where they are needed (the
# name is missing from ``errno``, or on Windows, whose CRT strerror() has no
# socket errors); elsewhere strerror() defers to the OS exactly as libzmq.
_POSIX_FALLBACKS = (
    ("ENOTSUP", 1, "Not supported"),
    ("EPROTONOSUPPORT", 2, "Protocol not supported"),
    ("ENOBUFS", 3, "No buffer space available"),
    ("ENETDOWN", 4, "Network is down"),
    ("EADDRINUSE", 5, "Address in use"),
    ("EADDRNOTAVAIL", 6, "Address not available"),
    ("ECONNREFUSED", 7, "Connection refused"),
    ("EINPROGRESS", 8, "Operation in progress"),
    ("ENOTSOCK", 9, "Not a socket"),
    ("EMSGSIZE", 10, "Message too long"),
    ("EAFNOSUPPORT", 11, "Address family not supported"),
    ("ENETUNREACH", 12, "Network is unreachable"),
    ("ECONNABORTED", 13, "Connection aborted"),
    ("ECONNRESET", 14, "Connection reset by peer"),
    ("ENOTCONN", 15, "Socket is not connected"),
    ("ETIMEDOUT", 16, "Operation timed out"),
    ("EHOSTUNREACH", 17, "Host is unreachable"),
    ("ENETRESET", 18, "Connection reset by network"),
)

_FALLBACK_MESSAGES: dict[int, str] = {}
for _name, _offset, _text in _POSIX_FALLBACKS:
    if not hasattr(_errno, _name) or sys.platform == "win32":
        _FALLBACK_MESSAGES[_socket_errno(_name, _offset)] = _text
del _name, _offset, _text


def strerror(errnum: int) -> str:
    """Return the message libzmq's zmq_strerror() gives for ``errnum``."""
    errnum = int(errnum)
    text = _ZMQ_MESSAGES.get(errnum)
    if text is None:
        text = _FALLBACK_MESSAGES.get(errnum)
    if text is None:
        try:
            text = os.strerror(errnum)
        except (ValueError, OverflowError):
            text = f"Unknown error {errnum}"
    return text


def _last_errno() -> int:
    """errno of the most recent failed call; used when ZMQError gets none.

    The binding may replace this (``zmqfast.error._last_errno = fn``) with
    its own ``zmq_errno``.  Without one there is no "last error", so 0.
    """
    return 0


# ---------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------


class ZMQBaseError(Exception):
    """Base of every exception zmqfast raises."""


class ZMQError(ZMQBaseError):
    """An error reported by (lib)zmq, carrying an errno.

    ``ZMQError(errno=None, msg=None)``: with no errno, the last error is
    used; with no msg, the text comes from :func:`strerror`.  A string
    passed as the first argument is taken as the message, with no errno.
    """

    errno: int | None = None
    strerror: str

    def __init__(self, errno: int | None = None, msg: str | None = None) -> None:
        # Exception.__init__ is deliberately not called: BaseException.__new__
        # has already recorded the constructor arguments in self.args.
        if isinstance(errno, str):
            # ZMQError("message")
            self.errno = None
            self.strerror = errno if msg is None else msg
            return
        if errno is None:
            errno = _last_errno()
        self.errno = errno
        self.strerror = msg if msg is not None else strerror(errno)

    def __str__(self) -> str:
        return self.strerror

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('{self}')"


class ZMQBindError(ZMQBaseError):
    """Raised when a socket cannot bind to any port in a requested range."""


class NotDone(ZMQBaseError):
    """Raised when a pending operation (e.g. a tracker) has not finished in time."""


class ContextTerminated(ZMQError):
    """The context was terminated while the call was in progress (ETERM)."""

    def __init__(self, errno: int | str = "ignored", msg: str = "ignored") -> None:
        super().__init__(ETERM)


class Again(ZMQError):
    """The operation would block (EAGAIN)."""

    # Class attributes, so the engine can raise an Again without running __init__ or giving
    # it an instance dict (the cost of a recv(DONTWAIT) that finds nothing).
    errno = EAGAIN
    strerror = strerror(EAGAIN)

    def __init__(self, errno: int | str = "ignored", msg: str = "ignored") -> None:
        super().__init__(EAGAIN)


class InterruptedSystemCall(ZMQError, InterruptedError):  # type: ignore[misc]
    """A call was interrupted by a signal (EINTR).

    zmqfast retries interrupted calls itself, so seeing this is a bug.
    """

    errno = EINTR

    def __init__(self, errno: int | str = "ignored", msg: str = "ignored") -> None:
        super().__init__(EINTR)

    def __str__(self) -> str:
        # same text as pyzmq, so that code matching on it keeps working
        return (
            self.strerror
            + ": This call should have been retried. Please report this to pyzmq."
        )


def _libzmq_version() -> str:
    """Version string of the libzmq we emulate, for error messages."""
    try:
        from zmqfast import zmq_version

        return zmq_version()
    except Exception:
        return "4.3.5"


def _libzmq_version_info() -> tuple[int, ...]:
    try:
        from zmqfast import zmq_version_info

        return tuple(zmq_version_info())
    except Exception:
        return tuple(int(part) for part in _libzmq_version().split("."))


class ZMQVersionError(NotImplementedError):
    """A feature needs a newer libzmq than the one (emulated) in use."""

    min_version: str | tuple[int, ...]
    msg: str

    def __init__(self, min_version: str | tuple[int, ...], msg: str = "Feature") -> None:
        # as with ZMQError, keep the constructor arguments as self.args
        self.min_version = min_version
        self.msg = msg

    def __str__(self) -> str:
        return f"{self.msg} requires libzmq >= {self.min_version}, have {_libzmq_version()}"

    def __repr__(self) -> str:
        return f"ZMQVersionError('{self}')"


def _check_version(min_version_info: tuple[int, ...], msg: str = "Feature") -> None:
    """Raise ZMQVersionError unless the emulated libzmq is >= min_version_info."""
    if _libzmq_version_info() < tuple(min_version_info):
        raise ZMQVersionError(min_version_info, msg)


class DraftFDWarning(RuntimeWarning):
    """Warns that socket.FD on a thread-safe (draft) socket is experimental."""

    def __init__(self, msg: str = "") -> None:
        if not msg:
            msg = (
                "socket.FD on thread-safe sockets is emulated by zmqfast and is "
                "experimental; it may change or be removed. Silence this with "
                "`warnings.simplefilter('ignore', zmq.error.DraftFDWarning)`"
            )
        super().__init__(msg)


# ---------------------------------------------------------------------------
# Helper for the binding
# ---------------------------------------------------------------------------

_ERROR_CLASSES: dict[int, Callable[[], ZMQError]] = {
    EAGAIN: Again,
    ETERM: ContextTerminated,
    EINTR: InterruptedSystemCall,
}


def _error_for(errnum: int, msg: str | None = None) -> ZMQError:
    """The exception instance to raise for a failed call with ``errnum``.

    EAGAIN, ETERM and EINTR map to their dedicated subclasses (which always
    use the standard message); anything else is a plain ZMQError.
    """
    cls = _ERROR_CLASSES.get(errnum)
    if cls is not None:
        return cls()
    return ZMQError(errnum, msg)
