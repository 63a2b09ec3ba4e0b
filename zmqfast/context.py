"""Context: pyzmq's Context on the zmqfast engine."""

from __future__ import annotations

import atexit
import errno as _errno
import os
import threading
import types
import weakref
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload
from warnings import warn

from . import _core
from .constants import ContextOption, SocketOption
from .error import ZMQError
from ._attrs import _declared
from .socket import Socket

__all__ = ["Context"]

_exiting = False


def _notice_atexit() -> None:
    global _exiting
    _exiting = True


atexit.register(_notice_atexit)

# Contexts alive in this process, so a forked child can disown them (see _after_fork).
_live_contexts: "weakref.WeakSet[Context]" = weakref.WeakSet()

T = TypeVar("T", bound="Context")
_SocketT = TypeVar("_SocketT")


class Context(_core.Context):
    """A ZeroMQ context: makes sockets and owns their I/O thread(s).

    ``Context(io_threads=1)``. Use as a context manager, or call ``term()``/``destroy()``.
    """

    # Context[SocketClass] is a generic alias at run time, as pyzmq's Context is Generic:
    # annotations such as ipykernel's zmq.Context[Any] are evaluated when a module loads
    def __class_getitem__(cls, item: Any) -> types.GenericAlias:  # implicitly a classmethod
        return types.GenericAlias(cls, item)

    # what socket() makes; a plain attribute, which jupyter_client swaps on a context it owns
    _socket_class: type[Socket] = Socket

    _instance: Context | None = None
    _instance_lock = threading.Lock()
    _instance_pid: int | None = None
    _warn_destroy_close = False

    def __init__(self, io_threads: int = 1, shadow: _core.Context | int = 0, **kwargs: Any) -> None:
        super().__init__(io_threads, shadow=shadow)
        self._sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
        self.sockopts: dict[int, Any] = {}
        self._made_in_pid = os.getpid()
        _live_contexts.add(self)

    def __del__(self) -> None:
        if not getattr(self, "_shadow", False) and not _exiting and not self.closed:
            self._warn_destroy_close = True
            if getattr(self, "_sockets", None) is not None:
                warn(f"Unclosed context {self}", ResourceWarning, stacklevel=2, source=self)
            self.destroy()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *args: Any) -> None:
        self._warn_destroy_close = True
        self.destroy()

    _repr_cls = "zmq.Context"

    def __repr__(self) -> str:
        cls = self.__class__
        # pyzmq's form: the class's own _repr_cls (not an inherited one), else its path
        name = cls.__dict__.get("_repr_cls") or f"{cls.__module__}.{cls.__name__}"
        n = sum(1 for sock in getattr(self, "_sockets", ()) if not sock.closed)
        sockets = f"{n} socket{'s' if n > 1 else ''}" if n else ""
        closed = " closed" if self.closed else ""
        return f"<{name}({sockets}) at {hex(id(self))}{closed}>"

    def __copy__(self: T, memo: Any = None) -> T:
        """A copy is a shadow: the same engine context, not terminated by the copy."""
        return self.__class__.shadow(self.underlying)

    __deepcopy__ = __copy__

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(ContextOption.__members__))

    @classmethod
    def shadow(cls: type[T], address: _core.Context | int) -> T:
        """A Context object sharing the context at address (an int from .underlying, or a
        Context); it does not terminate the context when garbage-collected."""
        return cls(shadow=address)

    @classmethod
    def instance(cls: type[T], io_threads: int = 1) -> T:
        """The process-wide shared context (made fresh after fork)."""
        if cls._instance is None or cls._instance.closed or cls._instance_pid != os.getpid():
            with cls._instance_lock:
                if cls._instance is None or cls._instance.closed or cls._instance_pid != os.getpid():
                    cls._instance = cls(io_threads=io_threads)
                    cls._instance_pid = os.getpid()
        return cls._instance  # type: ignore[return-value]

    def _pid_forked(self) -> bool:
        return getattr(self, "_made_in_pid", os.getpid()) != os.getpid()

    # socket() makes a zmqfast.Socket (a zmqfast.asyncio.Socket from zmqfast.asyncio.Context),
    # or an instance of socket_class, called as socket_class(context, socket_type, **kwargs)
    @overload
    def socket(self, socket_type: int, socket_class: None = None, **kwargs: Any) -> Socket: ...
    @overload
    def socket(self, socket_type: int, socket_class: Callable[..., _SocketT],
               **kwargs: Any) -> _SocketT: ...

    def socket(self, socket_type: int, socket_class: Callable[..., Any] | None = None,
               **kwargs: Any) -> Any:
        """Create a socket of socket_type (zmq.PUSH, zmq.PULL, ...)."""
        if self.closed:
            if self._pid_forked():
                raise _core._fork_error()
            if self._shadow:
                raise ZMQError(_errno.EFAULT)  # what libzmq says of a context gone under a shadow
            raise ZMQError(_errno.ENOTSUP)  # what pyzmq raises for socket() after term()
        cls = socket_class or self._socket_class
        s = cls(self, socket_type, **kwargs)
        for opt, value in self.sockopts.items():
            try:
                s.setsockopt(opt, value)
            except ZMQError:
                pass  # an option meant for other socket types, as pyzmq does
        self._sockets.add(s)
        return s

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket of this context (with linger, if given), then term()."""
        if self.closed:
            return
        for s in list(getattr(self, "_sockets", None) or []):
            if s is not None and not s.closed:
                if self._warn_destroy_close:
                    warn(f"Destroying context with unclosed socket {s}", ResourceWarning,
                         stacklevel=3, source=s)
                if linger is not None:
                    s.setsockopt(SocketOption.LINGER, linger)
                s.close()
        self.term()

    # options: context options go to the engine; socket options become defaults for new sockets

    def setsockopt(self, opt: int, value: Any) -> None:
        """Set a default socket option for sockets made from now on."""
        self.sockopts[opt] = value

    def getsockopt(self, opt: int) -> Any:
        """A default socket option set with setsockopt."""
        return self.sockopts[opt]

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "sockopts" or _declared(self, key):
            object.__setattr__(self, key, value)
            return
        name = key.upper()
        if name in ContextOption.__members__:
            self.set(ContextOption[name], value)
        elif name in SocketOption.__members__:
            self.sockopts[int(SocketOption[name])] = value
        else:
            raise AttributeError(f"{self.__class__.__name__} has no such option: {name}")

    def __getattr__(self, key: str) -> Any:
        name = key.upper()
        if name in ContextOption.__members__:
            try:
                return self.get(ContextOption[name])
            except ZMQError as e:
                # as pyzmq: an option that cannot be read is a write-only attribute (so getattr
                # with a default, hasattr and mock's spec see an AttributeError)
                if e.errno in (_errno.EINVAL, _errno.EFAULT):
                    raise AttributeError(f"{key} attribute is write-only") from None
                raise
        if name in SocketOption.__members__:
            opt = int(SocketOption[name])
            if opt in self.sockopts:
                return self.sockopts[opt]
        raise AttributeError(f"{self.__class__.__name__} has no such option: {name}")

    def __delattr__(self, key: str) -> None:
        name = key.upper()
        if name in SocketOption.__members__ and int(SocketOption[name]) in self.sockopts:
            del self.sockopts[int(SocketOption[name])]
        else:
            object.__delattr__(self, key)


def _after_fork() -> None:
    # The child inherits the parent's contexts but not their I/O threads.
    _core._mark_forked()
    for ctx in list(_live_contexts):
        ctx._forget()
    Context._instance = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
