"""Type stub for zmqfast._core, the compiled binding (_core.pyx, _aio.pxi, _crypto.pxi).

Keep in step with the extension: tests/test_typing.py checks that every name the module
exports (private ones too), every member of its classes and every parameter name of its
functions is declared here, and that the option lists below match zmqfast.constants. A new
socket option goes in _BytesOption or _IntOption; a new function or class of _core.pyx or an
.pxi file goes in the section of its file below.
"""

import asyncio
import contextvars
import weakref as _weakref
from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import Any, Generic, Literal, Protocol, TypeVar, overload, type_check_only

from typing_extensions import Buffer, Self, TypeAlias

from zmqfast import constants as _constants
from zmqfast import error as _error
from zmqfast.constants import SocketOption
from zmqfast.tracker import MessageTracker

_T_co = TypeVar("_T_co", covariant=True)

@type_check_only
class _HasFileno(Protocol):
    def fileno(self) -> int: ...

# Anything a Poller (or zmq_poll) watches: a Socket, an fd, or an object with fileno().
_Pollable: TypeAlias = Socket | int | _HasFileno

# Socket options by the type get() returns for them (zmqfast.constants.bytes_sockopts and the
# rest). An option given as a SocketOption member picks its overload; a plain int, or a flat
# alias such as zmq.LINGER (typed SocketOption, not a literal), gets int | bytes, as in pyzmq.
# New options go in one of these lists.
_BytesOption: TypeAlias = Literal[
    SocketOption.BINDTODEVICE,
    SocketOption.CONNECT_RID,
    SocketOption.CONNECT_ROUTING_ID,
    SocketOption.CURVE_PUBLICKEY,
    SocketOption.CURVE_SECRETKEY,
    SocketOption.CURVE_SERVERKEY,
    SocketOption.DISCONNECT_MSG,
    SocketOption.GSSAPI_PRINCIPAL,
    SocketOption.GSSAPI_SERVICE_PRINCIPAL,
    SocketOption.HELLO_MSG,
    SocketOption.HICCUP_MSG,
    SocketOption.IDENTITY,
    SocketOption.LAST_ENDPOINT,
    SocketOption.METADATA,
    SocketOption.PLAIN_PASSWORD,
    SocketOption.PLAIN_USERNAME,
    SocketOption.ROUTING_ID,
    SocketOption.SOCKS_PASSWORD,
    SocketOption.SOCKS_PROXY,
    SocketOption.SOCKS_USERNAME,
    SocketOption.SUBSCRIBE,
    SocketOption.TCP_ACCEPT_FILTER,
    SocketOption.UNSUBSCRIBE,
    SocketOption.WSS_CERT_PEM,
    SocketOption.WSS_HOSTNAME,
    SocketOption.WSS_KEY_PEM,
    SocketOption.WSS_TRUST_PEM,
    SocketOption.XPUB_WELCOME_MSG,
    SocketOption.ZAP_DOMAIN,
]
_IntOption: TypeAlias = Literal[
    SocketOption.AFFINITY,
    SocketOption.BACKLOG,
    SocketOption.BLOCKY,
    SocketOption.BUSY_POLL,
    SocketOption.CONFLATE,
    SocketOption.CONNECT_TIMEOUT,
    SocketOption.CURVE_SERVER,
    SocketOption.DELAY_ATTACH_ON_CONNECT,
    SocketOption.EVENTS,
    SocketOption.FAIL_UNROUTABLE,
    SocketOption.FD,
    SocketOption.GSSAPI_PLAINTEXT,
    SocketOption.GSSAPI_PRINCIPAL_NAMETYPE,
    SocketOption.GSSAPI_SERVER,
    SocketOption.GSSAPI_SERVICE_PRINCIPAL_NAMETYPE,
    SocketOption.HANDSHAKE_IVL,
    SocketOption.HEARTBEAT_IVL,
    SocketOption.HEARTBEAT_TIMEOUT,
    SocketOption.HEARTBEAT_TTL,
    SocketOption.HWM,
    SocketOption.IMMEDIATE,
    SocketOption.INVERT_MATCHING,
    SocketOption.IN_BATCH_SIZE,
    SocketOption.IPC_FILTER_GID,
    SocketOption.IPC_FILTER_PID,
    SocketOption.IPC_FILTER_UID,
    SocketOption.IPV4ONLY,
    SocketOption.IPV6,
    SocketOption.LINGER,
    SocketOption.LOOPBACK_FASTPATH,
    SocketOption.MAXMSGSIZE,
    SocketOption.MECHANISM,
    SocketOption.MULTICAST_HOPS,
    SocketOption.MULTICAST_LOOP,
    SocketOption.MULTICAST_MAXTPDU,
    SocketOption.NORM_BLOCK_SIZE,
    SocketOption.NORM_BUFFER_SIZE,
    SocketOption.NORM_MODE,
    SocketOption.NORM_NUM_AUTOPARITY,
    SocketOption.NORM_NUM_PARITY,
    SocketOption.NORM_PUSH,
    SocketOption.NORM_SEGMENT_SIZE,
    SocketOption.NORM_UNICAST_NACK,
    SocketOption.ONLY_FIRST_SUBSCRIBE,
    SocketOption.OUT_BATCH_SIZE,
    SocketOption.PLAIN_SERVER,
    SocketOption.PRIORITY,
    SocketOption.PROBE_ROUTER,
    SocketOption.RATE,
    SocketOption.RCVBUF,
    SocketOption.RCVHWM,
    SocketOption.RCVMORE,
    SocketOption.RCVTIMEO,
    SocketOption.RECONNECT_IVL,
    SocketOption.RECONNECT_IVL_MAX,
    SocketOption.RECONNECT_STOP,
    SocketOption.RECOVERY_IVL,
    SocketOption.REQ_CORRELATE,
    SocketOption.REQ_RELAXED,
    SocketOption.ROUTER_BEHAVIOR,
    SocketOption.ROUTER_HANDOVER,
    SocketOption.ROUTER_MANDATORY,
    SocketOption.ROUTER_NOTIFY,
    SocketOption.ROUTER_RAW,
    SocketOption.SNDBUF,
    SocketOption.SNDHWM,
    SocketOption.SNDTIMEO,
    SocketOption.STREAM_NOTIFY,
    SocketOption.TCP_KEEPALIVE,
    SocketOption.TCP_KEEPALIVE_CNT,
    SocketOption.TCP_KEEPALIVE_IDLE,
    SocketOption.TCP_KEEPALIVE_INTVL,
    SocketOption.TCP_MAXRT,
    SocketOption.THREAD_SAFE,
    SocketOption.TOPICS_COUNT,
    SocketOption.TOS,
    SocketOption.TYPE,
    SocketOption.USE_FD,
    SocketOption.VMCI_BUFFER_MAX_SIZE,
    SocketOption.VMCI_BUFFER_MIN_SIZE,
    SocketOption.VMCI_BUFFER_SIZE,
    SocketOption.VMCI_CONNECT_TIMEOUT,
    SocketOption.WSS_TRUST_SYSTEM,
    SocketOption.XPUB_MANUAL,
    SocketOption.XPUB_MANUAL_LAST_VALUE,
    SocketOption.XPUB_NODROP,
    SocketOption.XPUB_VERBOSE,
    SocketOption.XPUB_VERBOSER,
    SocketOption.XSUB_VERBOSE_UNSUBSCRIBE,
    SocketOption.ZAP_ENFORCE_DOMAIN,
]

COPY_THRESHOLD: int

_BYTES_OPTS: frozenset[int]
_KNOWN_OPTS: frozenset[int]
_TYPE_NAMES: dict[int, str]
_OPT_NAMES: dict[int, str]
_PENDING_OPTS: dict[int, frozenset[int] | None]
_GSSAPI_OPTS: frozenset[int]
_FORK_TEXT: str
_live_sockets: _weakref.WeakValueDictionary[int, Socket]
_live_contexts: _weakref.WeakValueDictionary[int, Context]

def _fork_error() -> Exception: ...
def _mark_forked() -> None: ...

class _Hold:
    """Keeps a zero-copy send's object alive until the engine hands its buffer back."""

    done: bool
    def __init__(self, obj: object) -> None: ...

def _hold_done(hold: _Hold | None) -> bool: ...
def _drain(ctx: Context) -> None: ...

# ---- Context -----------------------------------------------------------------------------------

class Context:
    def __init__(
        self, io_threads: int = 1, *args: Any, shadow: Context | int = 0, **kwargs: Any
    ) -> None: ...
    @property
    def _shadow(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    @property
    def underlying(self) -> int: ...
    def _forget(self) -> None: ...
    def term(self) -> None: ...
    def set(self, option: int, optval: int) -> None: ...
    def get(self, option: int) -> int: ...

# ---- Frame -------------------------------------------------------------------------------------

class Frame:
    more: bool
    tracker: MessageTracker | None
    def __init__(
        self,
        data: Buffer | Frame | None = None,
        track: bool = False,
        copy: bool | None = None,
        copy_threshold: int | None = None,
        **kwargs: Any,
    ) -> None: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...
    def __len__(self) -> int: ...
    def __bytes__(self) -> bytes: ...
    @property
    def bytes(self) -> bytes: ...
    @property
    def buffer(self) -> memoryview: ...
    @overload
    def get(self, option: int) -> int: ...
    @overload
    def get(self, option: str) -> str: ...
    def __copy__(self) -> Self: ...
    def fast_copy(self) -> Self: ...
    def __getitem__(self, key: str) -> str: ...

# ---- Socket ------------------------------------------------------------------------------------

class Socket:
    copy_threshold: int
    def __init__(
        self,
        context: Context | None = None,
        socket_type: int = -1,
        *args: Any,
        shadow: Socket | int = 0,
        copy_threshold: int | None = None,
        **kwargs: Any,
    ) -> None: ...
    @property
    def _shadow_obj(self) -> Socket | None: ...
    @classmethod
    def shadow(cls, address: Socket | int) -> Self: ...
    @property
    def _shadow(self) -> bool: ...
    @property
    def context(self) -> Context: ...
    @property
    def closed(self) -> bool: ...
    @property
    def underlying(self) -> int: ...
    @property
    def socket_type(self) -> int: ...
    def close(self, linger: int | None = None) -> None: ...

    # endpoints
    def bind(self, addr: str | bytes) -> None: ...
    def connect(self, addr: str | bytes) -> None: ...
    def unbind(self, addr: str | bytes) -> None: ...
    def disconnect(self, addr: str | bytes) -> None: ...
    def monitor(self, addr: str | bytes | None, events: int = 0xFFFF) -> None: ...

    # options
    def set(self, option: int, optval: int | bytes) -> None: ...
    @overload
    def get(self, option: _BytesOption) -> bytes: ...
    @overload
    def get(self, option: _IntOption) -> int: ...
    @overload
    def get(self, option: int) -> int | bytes: ...
    def fileno(self) -> int: ...

    # sending: None when copied; a MessageTracker with copy=False
    @overload
    def send(
        self,
        data: Buffer | Frame,
        flags: int = 0,
        copy: Literal[True] = True,
        track: bool = False,
        routing_id: int | None = None,
        group: str | None = None,
    ) -> None: ...
    @overload
    def send(
        self,
        data: Buffer | Frame,
        flags: int = 0,
        *,
        copy: Literal[False],
        track: bool = False,
        routing_id: int | None = None,
        group: str | None = None,
    ) -> MessageTracker: ...
    @overload
    def send(
        self,
        data: Buffer | Frame,
        flags: int,
        copy: Literal[False],
        track: bool = False,
        routing_id: int | None = None,
        group: str | None = None,
    ) -> MessageTracker: ...
    @overload
    def send(
        self,
        data: Buffer | Frame,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        routing_id: int | None = None,
        group: str | None = None,
    ) -> MessageTracker | None: ...
    @overload
    def send_multipart(
        self,
        msg_parts: Iterable[Buffer | Frame],
        flags: int = 0,
        copy: Literal[True] = True,
        track: bool = False,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def send_multipart(
        self,
        msg_parts: Iterable[Buffer | Frame],
        flags: int = 0,
        *,
        copy: Literal[False],
        track: bool = False,
        **kwargs: Any,
    ) -> MessageTracker: ...
    @overload
    def send_multipart(
        self,
        msg_parts: Iterable[Buffer | Frame],
        flags: int,
        copy: Literal[False],
        track: bool = False,
        **kwargs: Any,
    ) -> MessageTracker: ...
    @overload
    def send_multipart(
        self,
        msg_parts: Iterable[Buffer | Frame],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> MessageTracker | None: ...

    # receiving: bytes, or Frames with copy=False
    @overload
    def recv(self, flags: int = 0, copy: Literal[True] = True, track: bool = False) -> bytes: ...
    @overload
    def recv(self, flags: int = 0, *, copy: Literal[False], track: bool = False) -> Frame: ...
    @overload
    def recv(self, flags: int, copy: Literal[False], track: bool = False) -> Frame: ...
    @overload
    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> bytes | Frame: ...
    @overload
    def try_recv(self, copy: Literal[True] = True) -> bytes | None: ...
    @overload
    def try_recv(self, copy: Literal[False]) -> Frame | None: ...
    @overload
    def try_recv(self, copy: bool = True) -> bytes | Frame | None: ...
    @overload
    def recv_multipart(
        self, flags: int = 0, copy: Literal[True] = True, track: bool = False
    ) -> list[bytes]: ...
    @overload
    def recv_multipart(
        self, flags: int = 0, *, copy: Literal[False], track: bool = False
    ) -> list[Frame]: ...
    @overload
    def recv_multipart(
        self, flags: int, copy: Literal[False], track: bool = False
    ) -> list[Frame]: ...
    @overload
    def recv_multipart(
        self, flags: int = 0, copy: bool = True, track: bool = False
    ) -> list[bytes] | list[Frame]: ...
    def recv_into(self, buffer: Buffer, nbytes: int = 0, flags: int = 0) -> int: ...

    # readiness: the ready events (POLLIN/POLLOUT), 0 on timeout; timeout in ms
    def poll(self, timeout: int | None = None, flags: int = 1) -> int: ...

# ---- polling -----------------------------------------------------------------------------------

class Poller:
    sockets: list[tuple[Any, int]]
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def __contains__(self, socket: object) -> bool: ...
    def register(self, socket: _Pollable, flags: int = 3) -> None: ...
    def modify(self, socket: _Pollable, flags: int = 3) -> None: ...
    def unregister(self, socket: _Pollable) -> None: ...
    # [(socket, events)]: registered sockets come back as themselves, anything else as its fd
    def poll(self, timeout: int | None = None) -> list[tuple[Any, int]]: ...

def zmq_poll(
    sockets: Iterable[tuple[_Pollable, int]], timeout: int | None = None
) -> list[tuple[Any, int]]: ...
def _proxy(
    frontend: Socket, backend: Socket, capture: Socket | None = None, control: Socket | None = None
) -> None: ...

# ---- CURVE (_crypto.pxi) -----------------------------------------------------------------------

def _curve_keypair() -> tuple[bytes, bytes]: ...
def _curve_public(secret: Buffer) -> bytes: ...

class _Curve:
    """One side of a CurveZMQ handshake, driven command by command (for the tests)."""

    def __init__(
        self, as_server: bool, public: Buffer, secret: Buffer, server_public: Buffer | None = None
    ) -> None: ...
    @property
    def state(self) -> int: ...
    @property
    def peer_key(self) -> bytes: ...
    @property
    def transient_key(self) -> bytes: ...
    @property
    def peer_transient_key(self) -> bytes: ...
    @property
    def secrets(self) -> dict[str, bytes]: ...
    @property
    def session_keys(self) -> tuple[bytes, bytes]: ...
    @property
    def cookie_deadline(self) -> int: ...
    @cookie_deadline.setter
    def cookie_deadline(self, ms: int) -> None: ...
    @property
    def send_nonce(self) -> int: ...
    @property
    def recv_nonce(self) -> int: ...
    def hello(self, cap: int = ...) -> bytes: ...
    def server_hello(self, cmd: Buffer) -> None: ...
    def welcome(self) -> bytes: ...
    def client_welcome(self, cmd: Buffer) -> None: ...
    def initiate(self, meta: Buffer = b"") -> bytes: ...
    def server_initiate(self, cmd: Buffer) -> bytes: ...
    def ready(self, meta: Buffer = b"") -> bytes: ...
    def client_ready(self, cmd: Buffer) -> bytes: ...
    def encode(self, data: Buffer, flags: int = 0) -> bytes: ...
    def decode(self, cmd: Buffer) -> tuple[bytes, int]: ...

def _curve_error(reason: str | bytes) -> bytes: ...
def _curve_parse_error(cmd: Buffer) -> bytes: ...

# ---- asyncio (_aio.pxi) ------------------------------------------------------------------------

def _aio_setup(
    cancelled_error: type[BaseException],
    current_task: Callable[..., Any],
    get_running_loop: Callable[[], asyncio.AbstractEventLoop],
    drive: Callable[[Any], Any],
    reader_host: Callable[[asyncio.AbstractEventLoop], Any] | None = None,
) -> None: ...

class _AioState:
    """A zmqfast.asyncio socket's suspended waiters and the watch on its fd."""

    rin: list[Any]
    rout: list[Any]
    loop: asyncio.AbstractEventLoop | None
    watching: bool
    fd: int
    def __init__(self) -> None: ...

def _aio_park_waiter(sock: Socket, w: Any, want: int) -> asyncio.AbstractEventLoop: ...

class _AioWaiter:
    """The Future-like object a suspended _AioOp's task waits on."""

    _asyncio_future_blocking: bool
    def get_loop(self) -> asyncio.AbstractEventLoop: ...
    def add_done_callback(
        self, fn: Callable[[Self], object], *, context: contextvars.Context | None = None
    ) -> None: ...
    def remove_done_callback(self, fn: Callable[[Self], object]) -> int: ...
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> None: ...
    def exception(self) -> BaseException | None: ...
    def cancel(self, msg: Any | None = None) -> bool: ...

class _AioOp(Generic[_T_co]):
    """One awaitable socket operation of zmqfast.asyncio: ``await`` it for the result. It also
    serves as an asyncio Future (asyncio.isfuture() is true of it; wait, gather, wait_for)."""

    _asyncio_future_blocking: bool
    def __await__(self) -> Generator[Any, None, _T_co]: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Any: ...
    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: BaseException | object = None,
        tb: TracebackType | None = None,
        /,
    ) -> Any: ...
    def close(self) -> None: ...
    def add_done_callback(
        self, fn: Callable[[asyncio.Future[Any]], object], *,
        context: contextvars.Context | None = None,
    ) -> None: ...
    def remove_done_callback(self, fn: Callable[[asyncio.Future[Any]], object]) -> int: ...
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> _T_co: ...
    def exception(self) -> BaseException | None: ...
    def cancel(self, msg: Any | None = None) -> bool: ...
    def get_loop(self) -> asyncio.AbstractEventLoop: ...
    def _expire(self) -> None: ...
    def _task_done(self, task: asyncio.Future[Any]) -> None: ...

class _AioInner(Generic[_T_co]):
    """What the Task behind an op used as a Future awaits: the op itself."""

    def __init__(self, op: _AioOp[_T_co]) -> None: ...
    def __await__(self) -> Generator[Any, None, _T_co]: ...

# The awaitable primitives of zmqfast.asyncio.Socket (assigned there as its send/recv methods,
# so ``self`` is the socket).
@overload
def _aio_recv(
    self: Socket, flags: int = 0, copy: Literal[True] = True, track: bool = False
) -> _AioOp[bytes]: ...
@overload
def _aio_recv(
    self: Socket, flags: int = 0, *, copy: Literal[False], track: bool = False
) -> _AioOp[Frame]: ...
@overload
def _aio_recv(
    self: Socket, flags: int, copy: Literal[False], track: bool = False
) -> _AioOp[Frame]: ...
@overload
def _aio_recv(
    self: Socket, flags: int = 0, copy: bool = True, track: bool = False
) -> _AioOp[bytes | Frame]: ...
@overload
def _aio_recv_multipart(
    self: Socket, flags: int = 0, copy: Literal[True] = True, track: bool = False
) -> _AioOp[list[bytes]]: ...
@overload
def _aio_recv_multipart(
    self: Socket, flags: int = 0, *, copy: Literal[False], track: bool = False
) -> _AioOp[list[Frame]]: ...
@overload
def _aio_recv_multipart(
    self: Socket, flags: int, copy: Literal[False], track: bool = False
) -> _AioOp[list[Frame]]: ...
@overload
def _aio_recv_multipart(
    self: Socket, flags: int = 0, copy: bool = True, track: bool = False
) -> _AioOp[list[bytes] | list[Frame]]: ...
@overload
def _aio_send(
    self: Socket,
    data: Buffer | Frame,
    flags: int = 0,
    copy: Literal[True] = True,
    track: bool = False,
    **kw: Any,
) -> _AioOp[None]: ...
@overload
def _aio_send(
    self: Socket,
    data: Buffer | Frame,
    flags: int = 0,
    *,
    copy: Literal[False],
    track: bool = False,
    **kw: Any,
) -> _AioOp[MessageTracker]: ...
@overload
def _aio_send(
    self: Socket,
    data: Buffer | Frame,
    flags: int,
    copy: Literal[False],
    track: bool = False,
    **kw: Any,
) -> _AioOp[MessageTracker]: ...
@overload
def _aio_send(
    self: Socket,
    data: Buffer | Frame,
    flags: int = 0,
    copy: bool = True,
    track: bool = False,
    **kw: Any,
) -> _AioOp[MessageTracker | None]: ...
@overload
def _aio_send_multipart(
    self: Socket,
    msg_parts: Iterable[Buffer | Frame],
    flags: int = 0,
    copy: Literal[True] = True,
    track: bool = False,
    **kw: Any,
) -> _AioOp[None]: ...
@overload
def _aio_send_multipart(
    self: Socket,
    msg_parts: Iterable[Buffer | Frame],
    flags: int = 0,
    *,
    copy: Literal[False],
    track: bool = False,
    **kw: Any,
) -> _AioOp[MessageTracker]: ...
@overload
def _aio_send_multipart(
    self: Socket,
    msg_parts: Iterable[Buffer | Frame],
    flags: int,
    copy: Literal[False],
    track: bool = False,
    **kw: Any,
) -> _AioOp[MessageTracker]: ...
@overload
def _aio_send_multipart(
    self: Socket,
    msg_parts: Iterable[Buffer | Frame],
    flags: int = 0,
    copy: bool = True,
    track: bool = False,
    **kw: Any,
) -> _AioOp[MessageTracker | None]: ...
def _aio_fail(waiters: list[Any], err: BaseException) -> None: ...
def _aio_on_fd(sock: Socket, rin: list[Any], rout: list[Any]) -> None: ...
