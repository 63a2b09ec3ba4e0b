"""Socket: pyzmq's Socket API. send/recv and their multipart forms are the engine binding's
own C-level methods; this module adds the sugar around them."""

from __future__ import annotations

import errno as _errno
import pickle
import random
import types
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from . import _core
from .constants import SocketOption, SocketType
from .error import ZMQBindError, ZMQError
from ._attrs import _declared
from .utils import jsonapi

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from ._core import Frame
    from .context import Context
    from .tracker import MessageTracker

__all__ = ["Socket"]

T = TypeVar("T", bound="Socket")
_R = TypeVar("_R")

DEFAULT_PROTOCOL = pickle.DEFAULT_PROTOCOL


class _SocketContext:
    """What bind()/connect() return: usable as a context manager that undoes them."""

    __slots__ = ("socket", "kind", "addr")

    def __init__(self, socket: Socket, kind: str, addr: str) -> None:
        self.socket = socket
        self.kind = kind
        self.addr = addr

    def __repr__(self) -> str:
        return f"<SocketContext({self.kind}={self.addr!r})>"

    def __enter__(self) -> Socket:
        return self.socket

    def __exit__(self, *args: Any) -> None:
        if self.socket.closed:
            return
        if self.kind == "bind":
            self.socket.unbind(self.addr)
        else:
            self.socket.disconnect(self.addr)


class Socket(_core.Socket):
    """A ZeroMQ socket. Made by ``Context.socket(type)``; options are also attributes
    (``s.linger = 0``, ``s.rcvmore``)."""

    # Socket[bytes] is a generic alias at run time, as pyzmq's Socket is Generic
    def __class_getitem__(cls, item: Any) -> types.GenericAlias:  # implicitly a classmethod
        return types.GenericAlias(cls, item)

    if TYPE_CHECKING:
        # _core.Socket.context is the engine's Context; a Socket's is always a zmqfast.Context
        @property
        def context(self) -> Context: ...

    def __init__(self, ctx_or_socket: Context | _core.Socket | None = None, socket_type: int = 0,
                 *, shadow: _core.Socket | int = 0, copy_threshold: int | None = None) -> None:
        """``Socket(ctx, socket_type)``, ``Socket(other_socket)`` or ``Socket(shadow=address)``;
        the engine socket is made before this runs, so subclasses may call it with pyzmq's
        arguments whatever their own take."""

    def __del__(self) -> None:
        if not self._shadow and not self.closed:
            # warnings is imported at module level: at interpreter exit an import here fails
            # ("sys.meta_path is None") and the socket would never be closed.
            warnings.warn(f"Unclosed socket {self}", ResourceWarning, stacklevel=2, source=self)
            self.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    _repr_cls = "zmq.Socket"

    def __repr__(self) -> str:
        cls = self.__class__
        # pyzmq's form: the class's own _repr_cls (not an inherited one), else its path
        name = cls.__dict__.get("_repr_cls") or f"{cls.__module__}.{cls.__name__}"
        try:
            tname = SocketType(self.socket_type).name
        except ValueError:
            tname = str(self.socket_type)
        closed = " closed" if self.closed else ""
        return f"<{name}(zmq.{tname}) at {hex(id(self))}{closed}>"

    # -- endpoints --

    def bind(self, addr: str) -> _SocketContext:  # type: ignore[override]
        """Bind to addr; returns a context manager that unbinds."""
        super().bind(addr)
        # the context manager unbinds what was really bound (a wildcard port resolved)
        bound = self.get(SocketOption.LAST_ENDPOINT).decode()
        return _SocketContext(self, "bind", bound or addr)

    def connect(self, addr: str) -> _SocketContext:  # type: ignore[override]
        """Connect to addr; returns a context manager that disconnects."""
        super().connect(addr)
        return _SocketContext(self, "connect", addr)

    def bind_to_random_port(self, addr: str, min_port: int = 49152, max_port: int = 65536,
                            max_tries: int = 100) -> int:
        """Bind to a random port of addr ("tcp://host"); return the port."""
        if min_port == 49152 and max_port == 65536:
            # the OS picks a free ephemeral port: no retry loop, no collisions
            super().bind(f"{addr}:*")
            return int(self.last_endpoint.decode().rsplit(":", 1)[1])
        for _ in range(max_tries):
            port = random.randrange(min_port, max_port)
            try:
                super().bind(f"{addr}:{port}")
            except ZMQError as e:
                if e.errno not in (_errno.EADDRINUSE, _errno.EACCES):
                    raise
            else:
                return port
        raise ZMQBindError("Could not bind socket to random port.")

    # -- options --

    setsockopt = _core.Socket.set
    getsockopt = _core.Socket.get

    def set_string(self, option: int, optval: str, encoding: str = "utf-8") -> None:
        """Set a bytes option from a str."""
        if not isinstance(optval, str):
            raise TypeError(f"strings only, not {type(optval)}")
        self.set(option, optval.encode(encoding))

    setsockopt_string = set_string
    setsockopt_unicode = set_string

    def get_string(self, option: int, encoding: str = "utf-8") -> str:
        """Get a bytes option as str."""
        value = self.get(option)
        if not isinstance(value, bytes):
            raise TypeError(f"option {option} is not a bytes option: it has no string form")
        return value.decode(encoding)

    getsockopt_string = get_string
    getsockopt_unicode = get_string

    def get_hwm(self) -> int:
        """SNDHWM (the same as the hwm property)."""
        return self.get(SocketOption.SNDHWM)

    def set_hwm(self, value: int) -> None:
        """Set SNDHWM and RCVHWM."""
        self.hwm = value

    @property
    def hwm(self) -> int:
        """SNDHWM (setting it sets SNDHWM and RCVHWM)."""
        return self.get(SocketOption.SNDHWM)

    @hwm.setter
    def hwm(self, value: int) -> None:
        self.set(SocketOption.SNDHWM, value)
        self.set(SocketOption.RCVHWM, value)

    def __setattr__(self, key: str, value: Any) -> None:
        # `sock.subscribe = topic` sets the option, as on pyzmq, though subscribe is a method
        if key in ("subscribe", "unsubscribe") and key not in self.__dict__:
            if isinstance(value, str):
                value = value.encode("utf8")
            self.set(SocketOption.SUBSCRIBE if key == "subscribe" else SocketOption.UNSUBSCRIBE,
                     value)
            return
        if _declared(self, key):
            object.__setattr__(self, key, value)
            return
        name = key.upper()
        if name not in SocketOption.__members__:
            raise AttributeError(f"{self.__class__.__name__} has no such option: {name}")
        self.set(SocketOption[name], value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(SocketOption.__members__))

    def __copy__(self: T, memo: Any = None) -> T:
        """A copy is a shadow: the same engine socket, not closed by the copy's collection."""
        return self.__class__.shadow(self.underlying)

    __deepcopy__ = __copy__

    def __getattr__(self, key: str) -> Any:
        name = key.upper()
        if not key.startswith("_") and name in SocketOption.__members__:
            try:
                return self.get(SocketOption[name])
            except ZMQError as e:
                # as pyzmq: an option that cannot be read (write-only ones, the CURVE keys) is a
                # write-only attribute
                if e.errno == _errno.EINVAL:
                    raise AttributeError(f"{key} attribute is write-only") from None
                raise
        raise AttributeError(f"{self.__class__.__name__} has no attribute {key!r}")

    def subscribe(self, topic: str | bytes) -> None:
        """Subscribe to messages starting with topic (SUB/XSUB); str is utf-8 encoded."""
        if isinstance(topic, str):
            topic = topic.encode("utf8")
        self.set(SocketOption.SUBSCRIBE, topic)

    def unsubscribe(self, topic: str | bytes) -> None:
        """Drop one subscription to topic."""
        if isinstance(topic, str):
            topic = topic.encode("utf8")
        self.set(SocketOption.UNSUBSCRIBE, topic)

    # -- monitoring --

    _monitor_socket: Socket | None = None

    def get_monitor_socket(self, events: int | None = None, addr: str | None = None) -> Socket:
        """Start monitoring this socket; return the PAIR socket its events arrive on
        (read them with zmqfast.utils.monitor.recv_monitor_message)."""
        from .constants import EVENT_ALL, PAIR

        if self._monitor_socket is not None and not self._monitor_socket.closed:
            return self._monitor_socket
        if addr is None:
            addr = f"inproc://monitor.s-{self.fileno()}-{id(self):x}"
        if events is None:
            events = EVENT_ALL
        self.monitor(addr, events)
        self._monitor_socket = sock = self.context.socket(PAIR)
        sock.connect(addr)
        return sock

    def disable_monitor(self) -> None:
        """Stop monitoring (the monitor socket gets MONITOR_STOPPED)."""
        self._monitor_socket = None
        self.monitor(None, 0)

    # -- sugar --

    def send_string(self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8",
                    **kwargs: Any) -> MessageTracker | None:
        """Send a str, encoded (utf-8 by default)."""
        if not isinstance(u, str):
            raise TypeError("str objects only")
        return self.send(u.encode(encoding), flags=flags, copy=copy, **kwargs)

    send_unicode = send_string

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        """Receive a frame and decode it (utf-8 by default)."""
        return self.recv(flags=flags).decode(encoding)

    recv_unicode = recv_string

    def send_pyobj(self, obj: Any, flags: int = 0, protocol: int = DEFAULT_PROTOCOL,
                   **kwargs: Any) -> MessageTracker | None:
        """Send a Python object, pickled."""
        sent: MessageTracker | None = self.send(pickle.dumps(obj, protocol), flags=flags, **kwargs)
        return sent

    def recv_pyobj(self, flags: int = 0) -> Any:
        """Receive a pickled Python object. Only from peers you trust: unpickling runs code."""
        return pickle.loads(self.recv(flags))

    def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> MessageTracker | None:
        """Send an object as JSON."""
        send_kwargs = {k: kwargs.pop(k) for k in ("routing_id", "group") if k in kwargs}
        sent: MessageTracker | None = self.send(jsonapi.dumps(obj, **kwargs), flags=flags, **send_kwargs)
        return sent

    def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        """Receive a JSON message."""
        return jsonapi.loads(self.recv(flags), **kwargs)

    def send_serialized(self, msg: Any, serialize: Callable[[Any], Iterable[Buffer | Frame]],
                        flags: int = 0, copy: bool = True, **kwargs: Any) -> MessageTracker | None:
        """Send serialize(msg), a list of frames, as one multipart message."""
        return self.send_multipart(serialize(msg), flags=flags, copy=copy, **kwargs)

    def recv_serialized(self, deserialize: Callable[[list[Any]], _R], flags: int = 0,
                        copy: bool = True) -> _R:
        """Receive a multipart message and return deserialize(frames)."""
        return deserialize(self.recv_multipart(flags, copy=copy))
