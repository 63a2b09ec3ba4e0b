"""ZeroMQ constants for zmqfast.

The numeric values are libzmq's (they are part of its ABI / wire-level
contract), grouped into the same enum classes pyzmq (>= 23) exposes, plus the
flat module-level aliases (``zmq.PUSH``, ``zmq.SNDHWM``, ``zmq.EVENT_CLOSED``,
...).

Every flat name is bound to the corresponding enum *member* (not a bare int),
which is what pyzmq does too, so ``repr(zmq.PUSH)`` reads ``<SocketType.PUSH: 8>``.
"""

from __future__ import annotations

import errno as _errno
import sys
import typing as _typing
from enum import Enum, IntEnum, IntFlag

from .error import _socket_errno

# ---------------------------------------------------------------------------
# Module-level settings
# ---------------------------------------------------------------------------

#: Messages at least this large are sent without copying by default.
COPY_THRESHOLD = 65536

#: Longest usable ipc:// path: sizeof(sockaddr_un.sun_path) - 1.
#: Linux (and Windows' AF_UNIX) use a 108-byte sun_path, the BSDs / macOS 104.
if sys.platform == "darwin" or "bsd" in sys.platform or sys.platform.startswith("dragonfly"):
    IPC_PATH_MAX_LEN = 103
else:
    IPC_PATH_MAX_LEN = 107

#: zmqfast does not implement libzmq's draft API surface.
DRAFT_API = False
PYZMQ_DRAFT_API = False

#: Base of libzmq's private errno range (ZMQ_HAUSNUMERO in zmq.h).
_HAUSNUMERO = 156384712


def _os_errno(name: str, offset: int) -> int:
    """The platform's value for errno ``name``, else libzmq's fallback.

    libzmq only invents a number (HAUSNUMERO + offset) when the C library
    does not define the symbol, so follow the same rule via Python's
    ``errno`` module; on Windows the socket errors are the C runtime's
    numbers, not that module's Winsock ones (see zmqfast.error).
    """
    return _socket_errno(name, offset)


# ---------------------------------------------------------------------------
# Enums
# ---------------------------------------------------------------------------


class Errno(IntEnum):
    """Error numbers libzmq can report."""

    # always provided by the C runtime
    EAGAIN = _errno.EAGAIN
    EFAULT = _errno.EFAULT
    EINVAL = _errno.EINVAL

    # POSIX socket errors; libzmq supplies a private number where missing
    ENOTSUP = _os_errno("ENOTSUP", 1)
    EPROTONOSUPPORT = _os_errno("EPROTONOSUPPORT", 2)
    ENOBUFS = _os_errno("ENOBUFS", 3)
    ENETDOWN = _os_errno("ENETDOWN", 4)
    EADDRINUSE = _os_errno("EADDRINUSE", 5)
    EADDRNOTAVAIL = _os_errno("EADDRNOTAVAIL", 6)
    ECONNREFUSED = _os_errno("ECONNREFUSED", 7)
    EINPROGRESS = _os_errno("EINPROGRESS", 8)
    ENOTSOCK = _os_errno("ENOTSOCK", 9)
    EMSGSIZE = _os_errno("EMSGSIZE", 10)
    EAFNOSUPPORT = _os_errno("EAFNOSUPPORT", 11)
    ENETUNREACH = _os_errno("ENETUNREACH", 12)
    ECONNABORTED = _os_errno("ECONNABORTED", 13)
    ECONNRESET = _os_errno("ECONNRESET", 14)
    ENOTCONN = _os_errno("ENOTCONN", 15)
    ETIMEDOUT = _os_errno("ETIMEDOUT", 16)
    EHOSTUNREACH = _os_errno("EHOSTUNREACH", 17)
    ENETRESET = _os_errno("ENETRESET", 18)

    # native 0MQ errors (always in the private range)
    EFSM = _HAUSNUMERO + 51
    ENOCOMPATPROTO = _HAUSNUMERO + 52
    ETERM = _HAUSNUMERO + 53
    EMTHREAD = _HAUSNUMERO + 54


class ContextOption(IntEnum):
    """Options for Context.get / Context.set."""

    IO_THREADS = 1
    MAX_SOCKETS = 2
    SOCKET_LIMIT = 3
    THREAD_PRIORITY = 3  # same number as SOCKET_LIMIT in libzmq
    THREAD_SCHED_POLICY = 4
    MAX_MSGSZ = 5
    MSG_T_SIZE = 6
    THREAD_AFFINITY_CPU_ADD = 7
    THREAD_AFFINITY_CPU_REMOVE = 8
    THREAD_NAME_PREFIX = 9


class SocketType(IntEnum):
    """Socket types."""

    PAIR = 0
    PUB = 1
    SUB = 2
    REQ = 3
    REP = 4
    DEALER = 5
    ROUTER = 6
    PULL = 7
    PUSH = 8
    XPUB = 9
    XSUB = 10
    STREAM = 11

    # deprecated names
    XREQ = DEALER
    XREP = ROUTER

    # draft socket types
    SERVER = 12
    CLIENT = 13
    RADIO = 14
    DISH = 15
    GATHER = 16
    SCATTER = 17
    DGRAM = 18
    PEER = 19
    CHANNEL = 20


class _OptType(Enum):
    """How a socket option's value is marshalled (see SocketOption._opt_type)."""

    int = "int"
    int64 = "int64"
    bytes = "bytes"
    fd = "fd"


class SocketOption(IntEnum):
    """Options for Socket.get / Socket.set.

    The value type of each option is recorded in ``_OPTION_TYPES`` below.
    """

    HWM = 1
    AFFINITY = 4
    ROUTING_ID = 5
    SUBSCRIBE = 6
    UNSUBSCRIBE = 7
    RATE = 8
    RECOVERY_IVL = 9
    SNDBUF = 11
    RCVBUF = 12
    RCVMORE = 13
    FD = 14
    EVENTS = 15
    TYPE = 16
    LINGER = 17
    RECONNECT_IVL = 18
    BACKLOG = 19
    RECONNECT_IVL_MAX = 21
    MAXMSGSIZE = 22
    SNDHWM = 23
    RCVHWM = 24
    MULTICAST_HOPS = 25
    RCVTIMEO = 27
    SNDTIMEO = 28
    LAST_ENDPOINT = 32
    ROUTER_MANDATORY = 33
    TCP_KEEPALIVE = 34
    TCP_KEEPALIVE_CNT = 35
    TCP_KEEPALIVE_IDLE = 36
    TCP_KEEPALIVE_INTVL = 37
    IMMEDIATE = 39
    XPUB_VERBOSE = 40
    ROUTER_RAW = 41
    IPV6 = 42
    MECHANISM = 43
    PLAIN_SERVER = 44
    PLAIN_USERNAME = 45
    PLAIN_PASSWORD = 46
    CURVE_SERVER = 47
    CURVE_PUBLICKEY = 48
    CURVE_SECRETKEY = 49
    CURVE_SERVERKEY = 50
    PROBE_ROUTER = 51
    REQ_CORRELATE = 52
    REQ_RELAXED = 53
    CONFLATE = 54
    ZAP_DOMAIN = 55
    ROUTER_HANDOVER = 56
    TOS = 57
    CONNECT_ROUTING_ID = 61
    GSSAPI_SERVER = 62
    GSSAPI_PRINCIPAL = 63
    GSSAPI_SERVICE_PRINCIPAL = 64
    GSSAPI_PLAINTEXT = 65
    HANDSHAKE_IVL = 66
    SOCKS_PROXY = 68
    XPUB_NODROP = 69
    BLOCKY = 70
    XPUB_MANUAL = 71
    XPUB_WELCOME_MSG = 72
    STREAM_NOTIFY = 73
    INVERT_MATCHING = 74
    HEARTBEAT_IVL = 75
    HEARTBEAT_TTL = 76
    HEARTBEAT_TIMEOUT = 77
    XPUB_VERBOSER = 78
    CONNECT_TIMEOUT = 79
    TCP_MAXRT = 80
    THREAD_SAFE = 81
    MULTICAST_MAXTPDU = 84
    VMCI_BUFFER_SIZE = 85
    VMCI_BUFFER_MIN_SIZE = 86
    VMCI_BUFFER_MAX_SIZE = 87
    VMCI_CONNECT_TIMEOUT = 88
    USE_FD = 89
    GSSAPI_PRINCIPAL_NAMETYPE = 90
    GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = 91
    BINDTODEVICE = 92

    # deprecated names and options
    IDENTITY = ROUTING_ID
    CONNECT_RID = CONNECT_ROUTING_ID
    TCP_ACCEPT_FILTER = 38
    IPC_FILTER_PID = 58
    IPC_FILTER_UID = 59
    IPC_FILTER_GID = 60
    IPV4ONLY = 31
    DELAY_ATTACH_ON_CONNECT = IMMEDIATE
    FAIL_UNROUTABLE = ROUTER_MANDATORY
    ROUTER_BEHAVIOR = ROUTER_MANDATORY

    # draft options
    ZAP_ENFORCE_DOMAIN = 93
    LOOPBACK_FASTPATH = 94
    METADATA = 95
    MULTICAST_LOOP = 96
    ROUTER_NOTIFY = 97
    XPUB_MANUAL_LAST_VALUE = 98
    SOCKS_USERNAME = 99
    SOCKS_PASSWORD = 100
    IN_BATCH_SIZE = 101
    OUT_BATCH_SIZE = 102
    WSS_KEY_PEM = 103
    WSS_CERT_PEM = 104
    WSS_TRUST_PEM = 105
    WSS_HOSTNAME = 106
    WSS_TRUST_SYSTEM = 107
    ONLY_FIRST_SUBSCRIBE = 108
    RECONNECT_STOP = 109
    HELLO_MSG = 110
    DISCONNECT_MSG = 111
    PRIORITY = 112
    BUSY_POLL = 113
    HICCUP_MSG = 114
    XSUB_VERBOSE_UNSUBSCRIBE = 115
    TOPICS_COUNT = 116
    NORM_MODE = 117
    NORM_UNICAST_NACK = 118
    NORM_BUFFER_SIZE = 119
    NORM_SEGMENT_SIZE = 120
    NORM_BLOCK_SIZE = 121
    NORM_NUM_PARITY = 122
    NORM_NUM_AUTOPARITY = 123
    NORM_PUSH = 124


class MessageOption(IntEnum):
    """Options on Frame objects (zmq_msg_get / zmq_msg_set)."""

    MORE = 1
    SHARED = 3
    # deprecated
    SRCFD = 2


class Flag(IntFlag):
    """Flags for send / recv."""

    DONTWAIT = 1
    SNDMORE = 2
    # deprecated alias
    NOBLOCK = DONTWAIT


class SecurityMechanism(IntEnum):
    """Security mechanisms, as reported by ``socket.get(zmq.MECHANISM)``."""

    NULL = 0
    PLAIN = 1
    CURVE = 2
    GSSAPI = 3


class ReconnectStop(IntEnum):
    """Bits for the RECONNECT_STOP socket option."""

    CONN_REFUSED = 0x1
    HANDSHAKE_FAILED = 0x2
    AFTER_DISCONNECT = 0x4


class Event(IntFlag):
    """Socket monitor events and handshake protocol-error codes."""

    # protocol errors reported with EVENT_HANDSHAKE_FAILED_PROTOCOL
    PROTOCOL_ERROR_WS_UNSPECIFIED = 0x30000000
    PROTOCOL_ERROR_ZMTP_UNSPECIFIED = 0x10000000
    PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND = 0x10000001
    PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE = 0x10000002
    PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE = 0x10000003
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED = 0x10000011
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE = 0x10000012
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO = 0x10000013
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE = 0x10000014
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR = 0x10000015
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY = 0x10000016
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME = 0x10000017
    PROTOCOL_ERROR_ZMTP_INVALID_METADATA = 0x10000018
    PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC = 0x11000001
    PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH = 0x11000002
    PROTOCOL_ERROR_ZAP_UNSPECIFIED = 0x20000000
    PROTOCOL_ERROR_ZAP_MALFORMED_REPLY = 0x20000001
    PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID = 0x20000002
    PROTOCOL_ERROR_ZAP_BAD_VERSION = 0x20000003
    PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE = 0x20000004
    PROTOCOL_ERROR_ZAP_INVALID_METADATA = 0x20000005

    # monitor events
    CONNECTED = 0x0001
    CONNECT_DELAYED = 0x0002
    CONNECT_RETRIED = 0x0004
    LISTENING = 0x0008
    BIND_FAILED = 0x0010
    ACCEPTED = 0x0020
    ACCEPT_FAILED = 0x0040
    CLOSED = 0x0080
    CLOSE_FAILED = 0x0100
    DISCONNECTED = 0x0200
    MONITOR_STOPPED = 0x0400
    HANDSHAKE_FAILED_NO_DETAIL = 0x0800
    HANDSHAKE_SUCCEEDED = 0x1000
    HANDSHAKE_FAILED_PROTOCOL = 0x2000
    HANDSHAKE_FAILED_AUTH = 0x4000
    ALL_V1 = 0xFFFF
    ALL = ALL_V1

    # draft events
    PIPES_STATS = 0x10000
    ALL_V2 = ALL_V1 | PIPES_STATS


class PollEvent(IntFlag):
    """Event bits for zmq_poll and the EVENTS socket option."""

    POLLIN = 1
    POLLOUT = 2
    POLLERR = 4
    POLLPRI = 8


class DeviceType(IntEnum):
    """Device kinds for zmq.device."""

    STREAMER = 1
    FORWARDER = 2
    QUEUE = 3


class RouterNotify(IntEnum):
    """Bits for the ROUTER_NOTIFY socket option."""

    CONNECT = 1
    DISCONNECT = 2


class NormMode(IntEnum):
    """Values for the NORM_MODE socket option."""

    FIXED = 0
    CC = 1
    CCL = 2
    CCE = 3
    CCE_ECNONLY = 4


# ---------------------------------------------------------------------------
# Socket option value types
#
# "int"   -- C int
# "int64" -- C int64_t (uint64_t for AFFINITY)
# "bytes" -- arbitrary binary data, returned verbatim (no NUL handling)
# "str"   -- libzmq character string: passed / returned NUL-terminated at the
#            C level; Python sees bytes *without* the trailing NUL (pyzmq
#            treats these as bytes options too)
# "fd"    -- a file descriptor (int on POSIX, SOCKET on Windows)
# ---------------------------------------------------------------------------

_O = SocketOption

_OPTION_TYPES: dict[int, str] = {
    # -- int64 ---------------------------------------------------------------
    _O.AFFINITY: "int64",
    _O.MAXMSGSIZE: "int64",
    _O.VMCI_BUFFER_SIZE: "int64",
    _O.VMCI_BUFFER_MIN_SIZE: "int64",
    _O.VMCI_BUFFER_MAX_SIZE: "int64",
    # -- bytes (binary) ------------------------------------------------------
    _O.ROUTING_ID: "bytes",  # == IDENTITY
    _O.CONNECT_ROUTING_ID: "bytes",  # == CONNECT_RID
    _O.SUBSCRIBE: "bytes",
    _O.UNSUBSCRIBE: "bytes",
    _O.XPUB_WELCOME_MSG: "bytes",
    _O.HELLO_MSG: "bytes",
    _O.DISCONNECT_MSG: "bytes",
    _O.HICCUP_MSG: "bytes",
    _O.TCP_ACCEPT_FILTER: "bytes",
    # -- str (NUL-terminated text; CURVE keys read back as Z85) --------------
    _O.LAST_ENDPOINT: "str",
    _O.PLAIN_USERNAME: "str",
    _O.PLAIN_PASSWORD: "str",
    _O.CURVE_PUBLICKEY: "str",
    _O.CURVE_SECRETKEY: "str",
    _O.CURVE_SERVERKEY: "str",
    _O.ZAP_DOMAIN: "str",
    _O.GSSAPI_PRINCIPAL: "str",
    _O.GSSAPI_SERVICE_PRINCIPAL: "str",
    _O.SOCKS_PROXY: "str",
    _O.SOCKS_USERNAME: "str",
    _O.SOCKS_PASSWORD: "str",
    _O.BINDTODEVICE: "str",
    _O.METADATA: "str",
    _O.WSS_KEY_PEM: "str",
    _O.WSS_CERT_PEM: "str",
    _O.WSS_TRUST_PEM: "str",
    _O.WSS_HOSTNAME: "str",
    # -- fd ------------------------------------------------------------------
    _O.FD: "fd",
}
# -- int: everything else ----------------------------------------------------
for _opt in SocketOption:
    _OPTION_TYPES.setdefault(_opt, "int")
# plain ints as keys, so lookups never involve the enum machinery
_OPTION_TYPES = {int(_opt): _kind for _opt, _kind in _OPTION_TYPES.items()}
del _opt, _O

# pyzmq-compatible type sets (pyzmq folds "str" options into bytes_sockopts)
int64_sockopts = {o for o, t in _OPTION_TYPES.items() if t == "int64"}
bytes_sockopts = {o for o, t in _OPTION_TYPES.items() if t in ("bytes", "str")}
fd_sockopts = {o for o, t in _OPTION_TYPES.items() if t == "fd"}
int_sockopts = {o for o, t in _OPTION_TYPES.items() if t == "int"}
msg_opts = {int(o) for o in MessageOption}
ctx_opts = {int(o) for o in ContextOption}

# Per-member marshalling category, as in pyzmq (``SocketOption.X._opt_type``).
_PYZMQ_OPT_TYPE = {"int": _OptType.int, "int64": _OptType.int64,
                   "bytes": _OptType.bytes, "str": _OptType.bytes,
                   "fd": _OptType.fd}
for _member in SocketOption.__members__.values():
    _member._opt_type = _PYZMQ_OPT_TYPE[_OPTION_TYPES[_member.value]]  # type: ignore[attr-defined]
del _member, _PYZMQ_OPT_TYPE

# ---------------------------------------------------------------------------
# Flat module-level names
# ---------------------------------------------------------------------------

# socket types
PAIR = SocketType.PAIR
PUB = SocketType.PUB
SUB = SocketType.SUB
REQ = SocketType.REQ
REP = SocketType.REP
DEALER = SocketType.DEALER
ROUTER = SocketType.ROUTER
XREQ = SocketType.XREQ
XREP = SocketType.XREP
PULL = SocketType.PULL
PUSH = SocketType.PUSH
XPUB = SocketType.XPUB
XSUB = SocketType.XSUB
STREAM = SocketType.STREAM
SERVER = SocketType.SERVER
CLIENT = SocketType.CLIENT
RADIO = SocketType.RADIO
DISH = SocketType.DISH
GATHER = SocketType.GATHER
SCATTER = SocketType.SCATTER
DGRAM = SocketType.DGRAM
PEER = SocketType.PEER
CHANNEL = SocketType.CHANNEL

# errnos
EAGAIN = Errno.EAGAIN
EFAULT = Errno.EFAULT
EINVAL = Errno.EINVAL
ENOTSUP = Errno.ENOTSUP
EPROTONOSUPPORT = Errno.EPROTONOSUPPORT
ENOBUFS = Errno.ENOBUFS
ENETDOWN = Errno.ENETDOWN
EADDRINUSE = Errno.EADDRINUSE
EADDRNOTAVAIL = Errno.EADDRNOTAVAIL
ECONNREFUSED = Errno.ECONNREFUSED
EINPROGRESS = Errno.EINPROGRESS
ENOTSOCK = Errno.ENOTSOCK
EMSGSIZE = Errno.EMSGSIZE
EAFNOSUPPORT = Errno.EAFNOSUPPORT
ENETUNREACH = Errno.ENETUNREACH
ECONNABORTED = Errno.ECONNABORTED
ECONNRESET = Errno.ECONNRESET
ENOTCONN = Errno.ENOTCONN
ETIMEDOUT = Errno.ETIMEDOUT
EHOSTUNREACH = Errno.EHOSTUNREACH
ENETRESET = Errno.ENETRESET
EFSM = Errno.EFSM
ENOCOMPATPROTO = Errno.ENOCOMPATPROTO
ETERM = Errno.ETERM
EMTHREAD = Errno.EMTHREAD

# context options
IO_THREADS = ContextOption.IO_THREADS
MAX_SOCKETS = ContextOption.MAX_SOCKETS
SOCKET_LIMIT = ContextOption.SOCKET_LIMIT
THREAD_PRIORITY = ContextOption.THREAD_PRIORITY
THREAD_SCHED_POLICY = ContextOption.THREAD_SCHED_POLICY
MAX_MSGSZ = ContextOption.MAX_MSGSZ
MSG_T_SIZE = ContextOption.MSG_T_SIZE
THREAD_AFFINITY_CPU_ADD = ContextOption.THREAD_AFFINITY_CPU_ADD
THREAD_AFFINITY_CPU_REMOVE = ContextOption.THREAD_AFFINITY_CPU_REMOVE
THREAD_NAME_PREFIX = ContextOption.THREAD_NAME_PREFIX

# socket options
HWM = SocketOption.HWM
AFFINITY = SocketOption.AFFINITY
ROUTING_ID = SocketOption.ROUTING_ID
IDENTITY = SocketOption.IDENTITY
SUBSCRIBE = SocketOption.SUBSCRIBE
UNSUBSCRIBE = SocketOption.UNSUBSCRIBE
RATE = SocketOption.RATE
RECOVERY_IVL = SocketOption.RECOVERY_IVL
SNDBUF = SocketOption.SNDBUF
RCVBUF = SocketOption.RCVBUF
RCVMORE = SocketOption.RCVMORE
FD = SocketOption.FD
EVENTS = SocketOption.EVENTS
TYPE = SocketOption.TYPE
LINGER = SocketOption.LINGER
RECONNECT_IVL = SocketOption.RECONNECT_IVL
BACKLOG = SocketOption.BACKLOG
RECONNECT_IVL_MAX = SocketOption.RECONNECT_IVL_MAX
MAXMSGSIZE = SocketOption.MAXMSGSIZE
SNDHWM = SocketOption.SNDHWM
RCVHWM = SocketOption.RCVHWM
MULTICAST_HOPS = SocketOption.MULTICAST_HOPS
RCVTIMEO = SocketOption.RCVTIMEO
SNDTIMEO = SocketOption.SNDTIMEO
IPV4ONLY = SocketOption.IPV4ONLY
LAST_ENDPOINT = SocketOption.LAST_ENDPOINT
ROUTER_MANDATORY = SocketOption.ROUTER_MANDATORY
FAIL_UNROUTABLE = SocketOption.FAIL_UNROUTABLE
ROUTER_BEHAVIOR = SocketOption.ROUTER_BEHAVIOR
TCP_KEEPALIVE = SocketOption.TCP_KEEPALIVE
TCP_KEEPALIVE_CNT = SocketOption.TCP_KEEPALIVE_CNT
TCP_KEEPALIVE_IDLE = SocketOption.TCP_KEEPALIVE_IDLE
TCP_KEEPALIVE_INTVL = SocketOption.TCP_KEEPALIVE_INTVL
TCP_ACCEPT_FILTER = SocketOption.TCP_ACCEPT_FILTER
IMMEDIATE = SocketOption.IMMEDIATE
DELAY_ATTACH_ON_CONNECT = SocketOption.DELAY_ATTACH_ON_CONNECT
XPUB_VERBOSE = SocketOption.XPUB_VERBOSE
ROUTER_RAW = SocketOption.ROUTER_RAW
IPV6 = SocketOption.IPV6
MECHANISM = SocketOption.MECHANISM
PLAIN_SERVER = SocketOption.PLAIN_SERVER
PLAIN_USERNAME = SocketOption.PLAIN_USERNAME
PLAIN_PASSWORD = SocketOption.PLAIN_PASSWORD
CURVE_SERVER = SocketOption.CURVE_SERVER
CURVE_PUBLICKEY = SocketOption.CURVE_PUBLICKEY
CURVE_SECRETKEY = SocketOption.CURVE_SECRETKEY
CURVE_SERVERKEY = SocketOption.CURVE_SERVERKEY
PROBE_ROUTER = SocketOption.PROBE_ROUTER
REQ_CORRELATE = SocketOption.REQ_CORRELATE
REQ_RELAXED = SocketOption.REQ_RELAXED
CONFLATE = SocketOption.CONFLATE
ZAP_DOMAIN = SocketOption.ZAP_DOMAIN
ROUTER_HANDOVER = SocketOption.ROUTER_HANDOVER
TOS = SocketOption.TOS
IPC_FILTER_PID = SocketOption.IPC_FILTER_PID
IPC_FILTER_UID = SocketOption.IPC_FILTER_UID
IPC_FILTER_GID = SocketOption.IPC_FILTER_GID
CONNECT_ROUTING_ID = SocketOption.CONNECT_ROUTING_ID
CONNECT_RID = SocketOption.CONNECT_RID
GSSAPI_SERVER = SocketOption.GSSAPI_SERVER
GSSAPI_PRINCIPAL = SocketOption.GSSAPI_PRINCIPAL
GSSAPI_SERVICE_PRINCIPAL = SocketOption.GSSAPI_SERVICE_PRINCIPAL
GSSAPI_PLAINTEXT = SocketOption.GSSAPI_PLAINTEXT
HANDSHAKE_IVL = SocketOption.HANDSHAKE_IVL
SOCKS_PROXY = SocketOption.SOCKS_PROXY
XPUB_NODROP = SocketOption.XPUB_NODROP
BLOCKY = SocketOption.BLOCKY
XPUB_MANUAL = SocketOption.XPUB_MANUAL
XPUB_WELCOME_MSG = SocketOption.XPUB_WELCOME_MSG
STREAM_NOTIFY = SocketOption.STREAM_NOTIFY
INVERT_MATCHING = SocketOption.INVERT_MATCHING
HEARTBEAT_IVL = SocketOption.HEARTBEAT_IVL
HEARTBEAT_TTL = SocketOption.HEARTBEAT_TTL
HEARTBEAT_TIMEOUT = SocketOption.HEARTBEAT_TIMEOUT
XPUB_VERBOSER = SocketOption.XPUB_VERBOSER
CONNECT_TIMEOUT = SocketOption.CONNECT_TIMEOUT
TCP_MAXRT = SocketOption.TCP_MAXRT
THREAD_SAFE = SocketOption.THREAD_SAFE
MULTICAST_MAXTPDU = SocketOption.MULTICAST_MAXTPDU
VMCI_BUFFER_SIZE = SocketOption.VMCI_BUFFER_SIZE
VMCI_BUFFER_MIN_SIZE = SocketOption.VMCI_BUFFER_MIN_SIZE
VMCI_BUFFER_MAX_SIZE = SocketOption.VMCI_BUFFER_MAX_SIZE
VMCI_CONNECT_TIMEOUT = SocketOption.VMCI_CONNECT_TIMEOUT
USE_FD = SocketOption.USE_FD
GSSAPI_PRINCIPAL_NAMETYPE = SocketOption.GSSAPI_PRINCIPAL_NAMETYPE
GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = SocketOption.GSSAPI_SERVICE_PRINCIPAL_NAMETYPE
BINDTODEVICE = SocketOption.BINDTODEVICE
ZAP_ENFORCE_DOMAIN = SocketOption.ZAP_ENFORCE_DOMAIN
LOOPBACK_FASTPATH = SocketOption.LOOPBACK_FASTPATH
METADATA = SocketOption.METADATA
MULTICAST_LOOP = SocketOption.MULTICAST_LOOP
ROUTER_NOTIFY = SocketOption.ROUTER_NOTIFY
XPUB_MANUAL_LAST_VALUE = SocketOption.XPUB_MANUAL_LAST_VALUE
SOCKS_USERNAME = SocketOption.SOCKS_USERNAME
SOCKS_PASSWORD = SocketOption.SOCKS_PASSWORD
IN_BATCH_SIZE = SocketOption.IN_BATCH_SIZE
OUT_BATCH_SIZE = SocketOption.OUT_BATCH_SIZE
WSS_KEY_PEM = SocketOption.WSS_KEY_PEM
WSS_CERT_PEM = SocketOption.WSS_CERT_PEM
WSS_TRUST_PEM = SocketOption.WSS_TRUST_PEM
WSS_HOSTNAME = SocketOption.WSS_HOSTNAME
WSS_TRUST_SYSTEM = SocketOption.WSS_TRUST_SYSTEM
ONLY_FIRST_SUBSCRIBE = SocketOption.ONLY_FIRST_SUBSCRIBE
RECONNECT_STOP = SocketOption.RECONNECT_STOP
HELLO_MSG = SocketOption.HELLO_MSG
DISCONNECT_MSG = SocketOption.DISCONNECT_MSG
PRIORITY = SocketOption.PRIORITY
BUSY_POLL = SocketOption.BUSY_POLL
HICCUP_MSG = SocketOption.HICCUP_MSG
XSUB_VERBOSE_UNSUBSCRIBE = SocketOption.XSUB_VERBOSE_UNSUBSCRIBE
TOPICS_COUNT = SocketOption.TOPICS_COUNT
NORM_MODE = SocketOption.NORM_MODE
NORM_UNICAST_NACK = SocketOption.NORM_UNICAST_NACK
NORM_BUFFER_SIZE = SocketOption.NORM_BUFFER_SIZE
NORM_SEGMENT_SIZE = SocketOption.NORM_SEGMENT_SIZE
NORM_BLOCK_SIZE = SocketOption.NORM_BLOCK_SIZE
NORM_NUM_PARITY = SocketOption.NORM_NUM_PARITY
NORM_NUM_AUTOPARITY = SocketOption.NORM_NUM_AUTOPARITY
NORM_PUSH = SocketOption.NORM_PUSH

# message options
MORE = MessageOption.MORE
SHARED = MessageOption.SHARED
SRCFD = MessageOption.SRCFD

# send / recv flags
DONTWAIT = Flag.DONTWAIT
NOBLOCK = Flag.NOBLOCK
SNDMORE = Flag.SNDMORE

# security mechanisms
NULL = SecurityMechanism.NULL
PLAIN = SecurityMechanism.PLAIN
CURVE = SecurityMechanism.CURVE
GSSAPI = SecurityMechanism.GSSAPI

# RECONNECT_STOP values
RECONNECT_STOP_CONN_REFUSED = ReconnectStop.CONN_REFUSED
RECONNECT_STOP_HANDSHAKE_FAILED = ReconnectStop.HANDSHAKE_FAILED
RECONNECT_STOP_AFTER_DISCONNECT = ReconnectStop.AFTER_DISCONNECT

# monitor events
EVENT_CONNECTED = Event.CONNECTED
EVENT_CONNECT_DELAYED = Event.CONNECT_DELAYED
EVENT_CONNECT_RETRIED = Event.CONNECT_RETRIED
EVENT_LISTENING = Event.LISTENING
EVENT_BIND_FAILED = Event.BIND_FAILED
EVENT_ACCEPTED = Event.ACCEPTED
EVENT_ACCEPT_FAILED = Event.ACCEPT_FAILED
EVENT_CLOSED = Event.CLOSED
EVENT_CLOSE_FAILED = Event.CLOSE_FAILED
EVENT_DISCONNECTED = Event.DISCONNECTED
EVENT_MONITOR_STOPPED = Event.MONITOR_STOPPED
EVENT_HANDSHAKE_FAILED_NO_DETAIL = Event.HANDSHAKE_FAILED_NO_DETAIL
EVENT_HANDSHAKE_SUCCEEDED = Event.HANDSHAKE_SUCCEEDED
EVENT_HANDSHAKE_FAILED_PROTOCOL = Event.HANDSHAKE_FAILED_PROTOCOL
EVENT_HANDSHAKE_FAILED_AUTH = Event.HANDSHAKE_FAILED_AUTH
EVENT_ALL_V1 = Event.ALL_V1
EVENT_ALL = Event.ALL
EVENT_PIPES_STATS = Event.PIPES_STATS
EVENT_ALL_V2 = Event.ALL_V2

# handshake protocol errors
PROTOCOL_ERROR_WS_UNSPECIFIED = Event.PROTOCOL_ERROR_WS_UNSPECIFIED
PROTOCOL_ERROR_ZMTP_UNSPECIFIED = Event.PROTOCOL_ERROR_ZMTP_UNSPECIFIED
PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND = Event.PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND
PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE = Event.PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE
PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE = Event.PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED = (
    Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED
)
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME
PROTOCOL_ERROR_ZMTP_INVALID_METADATA = Event.PROTOCOL_ERROR_ZMTP_INVALID_METADATA
PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC = Event.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH = Event.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
PROTOCOL_ERROR_ZAP_UNSPECIFIED = Event.PROTOCOL_ERROR_ZAP_UNSPECIFIED
PROTOCOL_ERROR_ZAP_MALFORMED_REPLY = Event.PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID = Event.PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID
PROTOCOL_ERROR_ZAP_BAD_VERSION = Event.PROTOCOL_ERROR_ZAP_BAD_VERSION
PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE = Event.PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
PROTOCOL_ERROR_ZAP_INVALID_METADATA = Event.PROTOCOL_ERROR_ZAP_INVALID_METADATA

# poll events
POLLIN = PollEvent.POLLIN
POLLOUT = PollEvent.POLLOUT
POLLERR = PollEvent.POLLERR
POLLPRI = PollEvent.POLLPRI

# device types
STREAMER = DeviceType.STREAMER
FORWARDER = DeviceType.FORWARDER
QUEUE = DeviceType.QUEUE

# ROUTER_NOTIFY values
NOTIFY_CONNECT = RouterNotify.CONNECT
NOTIFY_DISCONNECT = RouterNotify.DISCONNECT

# NORM_MODE values
NORM_FIXED = NormMode.FIXED
NORM_CC = NormMode.CC
NORM_CCL = NormMode.CCL
NORM_CCE = NormMode.CCE
NORM_CCE_ECNONLY = NormMode.CCE_ECNONLY


_ENUMS = (
    SocketType,
    SocketOption,
    ContextOption,
    Flag,
    PollEvent,
    Event,
    Errno,
    MessageOption,
    SecurityMechanism,
    DeviceType,
    RouterNotify,
    ReconnectStop,
    NormMode,
)

# Built from the names above; a type checker, which cannot evaluate it, sees no __all__ and so
# takes every public name of the module for `from zmqfast.constants import *`.
if not _typing.TYPE_CHECKING:
    __all__ = [
        # re-exported enum base classes (pyzmq lists these too)
        "Enum",
        "IntEnum",
        "IntFlag",
        *(e.__name__ for e in _ENUMS),
        # every upper-case enum alias defined above
        *sorted(
            name
            for name, value in list(globals().items())
            if name.isupper() and isinstance(value, _ENUMS)
        ),
    ]
