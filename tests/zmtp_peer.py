"""A raw ZMTP 3.x peer for the tests: the codec (greeting, frames, commands, metadata) over a
plain Python socket, for checking what a socket puts on the wire byte by byte and for sending
bytes no socket would. Shared by the wire, bad-input, heartbeat, pub/sub and CURVE tests; works
the same against zmqfast and pyzmq (ZMQFAST_IMPL=zmq).

libzmq sends only the first bytes of its greeting until it has seen the peer's, so a raw peer
sends its whole 64-byte greeting before reading one."""

import socket as pysocket
import struct
import time

# frame flags (RFC 37)
MORE = 0x01
LONG = 0x02
CMD = 0x04


# ---- building --------------------------------------------------------------------------------


def greeting(minor=1, mechanism=b"NULL", as_server=0):
    """A ZMTP 3.<minor> greeting (64 bytes)."""
    return (
        b"\xff" + b"\x00" * 8 + b"\x7f"
        + bytes([3, minor])
        + mechanism.ljust(20, b"\x00")
        + bytes([as_server])
        + b"\x00" * 31
    )


def frame(body, flags=0, force_long=False):
    """One frame: the short form up to 255 bytes (unless force_long), the long form beyond."""
    if len(body) > 255 or force_long:
        return bytes([flags | LONG]) + struct.pack(">Q", len(body)) + body
    return bytes([flags]) + bytes([len(body)]) + body


def command(name, data=b""):
    """A command frame: name (bytes) then its data."""
    return frame(bytes([len(name)]) + name + data, CMD)


def prop(name, value):
    """One metadata property (bytes name and value), as in READY and INITIATE."""
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def ready(socket_type, **extra):
    """A NULL READY command frame; socket_type as str or bytes, extra properties as keywords
    (underscores become dashes: Identity=b"x", X_Custom=b"y")."""
    if isinstance(socket_type, str):
        socket_type = socket_type.encode()
    props = {"Socket-Type": socket_type}
    props.update({k.replace("_", "-"): v for k, v in extra.items()})
    return command(b"READY", b"".join(prop(k.encode(), v) for k, v in props.items()))


# ---- reading ---------------------------------------------------------------------------------


def read_exact(sock, n):
    """Exactly n bytes; EOFError if the peer closes first."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"peer closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def read_frame(sock):
    """-> (flags, body)"""
    flags = read_exact(sock, 1)[0]
    if flags & LONG:
        (size,) = struct.unpack(">Q", read_exact(sock, 8))
    else:
        size = read_exact(sock, 1)[0]
    return flags, read_exact(sock, size)


def parse_command(body):
    """-> (name, data)"""
    n = body[0]
    return body[1:1 + n], body[1 + n:]


def parse_properties(data):
    """Metadata properties -> {name (str): value (bytes)}."""
    props = {}
    i = 0
    while i < len(data):
        n = data[i]
        name = data[i + 1:i + 1 + n].decode()
        i += 1 + n
        (vlen,) = struct.unpack(">I", data[i:i + 4])
        props[name] = data[i + 4:i + 4 + vlen]
        i += 4 + vlen
    return props


def check_greeting(g, mechanism=b"NULL"):
    """Assert that g is a ZMTP 3.1 client greeting for mechanism."""
    assert len(g) == 64
    assert g[0] == 0xFF
    assert g[9] == 0x7F
    assert g[10] == 3
    assert g[11] == 1
    assert g[12:32] == mechanism.ljust(20, b"\x00")
    assert g[32] == 0


def read_ready(sock):
    """Read a READY command frame; its properties."""
    flags, body = read_frame(sock)
    assert flags == CMD
    name, data = parse_command(body)
    assert name == b"READY"
    return parse_properties(data)


def wait_closed(sock, within=3.0):
    """True if the peer closes the connection (EOF or reset) within `within` seconds; any
    bytes it sends first (its greeting, READY) are skipped."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except ConnectionResetError:
            return True
        except (pysocket.timeout, TimeoutError):
            return False
    return False


# ---- connections -----------------------------------------------------------------------------


def listener(backlog=4):
    """A TCP listener on 127.0.0.1 and an ephemeral port (accepts time out after 5 s)."""
    srv = pysocket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(backlog)
    srv.settimeout(5)
    return srv


def accept(srv):
    """The next connection on srv, with a 5 s timeout on its reads."""
    conn, _ = srv.accept()
    conn.settimeout(5)
    return conn


def connect(target):
    """A plain TCP connection to a port on 127.0.0.1 (int) or to a tcp://host:port endpoint."""
    if isinstance(target, int):
        host, port = "127.0.0.1", target
    else:
        host, port = target.rsplit("/", 1)[1].rsplit(":", 1)
    return pysocket.create_connection((host, int(port)), timeout=5)


def port_of(endpoint):
    """The port of a tcp:// endpoint (str or bytes)."""
    if isinstance(endpoint, bytes):
        endpoint = endpoint.decode()
    return int(endpoint.rsplit(":", 1)[1])
