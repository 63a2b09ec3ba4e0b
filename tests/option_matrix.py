"""The socket- and context-option matrix of an implementation (pyzmq or zmqfast).

For every ``SocketOption`` and socket type it records what getsockopt returns (or its errno),
what setsockopt with a typical valid value and with an invalid one does, and what getsockopt
returns after the valid set. ``tests/test_options_parity.py`` compares two matrices; run this
file as a script to print where zmqfast and pyzmq differ (option names as arguments leave those
out):

    PYTHONPATH=. python tests/option_matrix.py CURVE_SERVER
"""

import errno as _errno

# SocketOption names as pyzmq 27 has them (zmqfast's enum carries the same)
REFERENCE_NAMES = [
    "HWM", "AFFINITY", "ROUTING_ID", "SUBSCRIBE", "UNSUBSCRIBE", "RATE", "RECOVERY_IVL", "SNDBUF",
    "RCVBUF", "RCVMORE", "FD", "EVENTS", "TYPE", "LINGER", "RECONNECT_IVL", "BACKLOG",
    "RECONNECT_IVL_MAX", "MAXMSGSIZE", "SNDHWM", "RCVHWM", "MULTICAST_HOPS", "RCVTIMEO", "SNDTIMEO",
    "LAST_ENDPOINT", "ROUTER_MANDATORY", "TCP_KEEPALIVE", "TCP_KEEPALIVE_CNT", "TCP_KEEPALIVE_IDLE",
    "TCP_KEEPALIVE_INTVL", "IMMEDIATE", "XPUB_VERBOSE", "ROUTER_RAW", "IPV6", "MECHANISM",
    "PLAIN_SERVER", "PLAIN_USERNAME", "PLAIN_PASSWORD", "CURVE_SERVER", "CURVE_PUBLICKEY",
    "CURVE_SECRETKEY", "CURVE_SERVERKEY", "PROBE_ROUTER", "REQ_CORRELATE", "REQ_RELAXED", "CONFLATE",
    "ZAP_DOMAIN", "ROUTER_HANDOVER", "TOS", "CONNECT_ROUTING_ID", "GSSAPI_SERVER", "GSSAPI_PRINCIPAL",
    "GSSAPI_SERVICE_PRINCIPAL", "GSSAPI_PLAINTEXT", "HANDSHAKE_IVL", "SOCKS_PROXY", "XPUB_NODROP",
    "BLOCKY", "XPUB_MANUAL", "XPUB_WELCOME_MSG", "STREAM_NOTIFY", "INVERT_MATCHING", "HEARTBEAT_IVL",
    "HEARTBEAT_TTL", "HEARTBEAT_TIMEOUT", "XPUB_VERBOSER", "CONNECT_TIMEOUT", "TCP_MAXRT",
    "THREAD_SAFE", "MULTICAST_MAXTPDU", "VMCI_BUFFER_SIZE", "VMCI_BUFFER_MIN_SIZE",
    "VMCI_BUFFER_MAX_SIZE", "VMCI_CONNECT_TIMEOUT", "USE_FD", "GSSAPI_PRINCIPAL_NAMETYPE",
    "GSSAPI_SERVICE_PRINCIPAL_NAMETYPE", "BINDTODEVICE", "TCP_ACCEPT_FILTER", "IPC_FILTER_PID",
    "IPC_FILTER_UID", "IPC_FILTER_GID", "IPV4ONLY", "ZAP_ENFORCE_DOMAIN", "LOOPBACK_FASTPATH",
    "METADATA", "MULTICAST_LOOP", "ROUTER_NOTIFY", "XPUB_MANUAL_LAST_VALUE", "SOCKS_USERNAME",
    "SOCKS_PASSWORD", "IN_BATCH_SIZE", "OUT_BATCH_SIZE", "WSS_KEY_PEM", "WSS_CERT_PEM",
    "WSS_TRUST_PEM", "WSS_HOSTNAME", "WSS_TRUST_SYSTEM", "ONLY_FIRST_SUBSCRIBE", "RECONNECT_STOP",
    "HELLO_MSG", "DISCONNECT_MSG", "PRIORITY", "BUSY_POLL", "HICCUP_MSG", "XSUB_VERBOSE_UNSUBSCRIBE",
    "TOPICS_COUNT", "NORM_MODE", "NORM_UNICAST_NACK", "NORM_BUFFER_SIZE", "NORM_SEGMENT_SIZE",
    "NORM_BLOCK_SIZE", "NORM_NUM_PARITY", "NORM_NUM_AUTOPARITY", "NORM_PUSH",
]

# STREAM joined once it was merged
SOCKET_TYPES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"]

# A value each option takes on a socket type that uses it (1 for other int options, b"abc" for
# other bytes options).
VALID = {
    "HWM": 10,
    "AFFINITY": 1,
    "ROUTING_ID": b"abc",
    "SUBSCRIBE": b"a",
    "UNSUBSCRIBE": b"a",
    "RATE": 200,
    "RECOVERY_IVL": 5000,
    "SNDBUF": 65536,
    "RCVBUF": 65536,
    "LINGER": 10,
    "RECONNECT_IVL": 50,
    "BACKLOG": 10,
    "RECONNECT_IVL_MAX": 500,
    "MAXMSGSIZE": 1 << 20,
    "SNDHWM": 10,
    "RCVHWM": 10,
    "MULTICAST_HOPS": 3,
    "RCVTIMEO": 100,
    "SNDTIMEO": 100,
    "TCP_KEEPALIVE": 1,
    "TCP_KEEPALIVE_CNT": 5,
    "TCP_KEEPALIVE_IDLE": 30,
    "TCP_KEEPALIVE_INTVL": 10,
    "TCP_ACCEPT_FILTER": b"127.0.0.1",
    "ZAP_DOMAIN": b"global",
    "TOS": 8,
    "PLAIN_USERNAME": b"user",
    "PLAIN_PASSWORD": b"pass",
    "HANDSHAKE_IVL": 2000,
    "SOCKS_PROXY": b"127.0.0.1:1080",
    "SOCKS_USERNAME": b"user",
    "SOCKS_PASSWORD": b"pass",
    "XPUB_WELCOME_MSG": b"hi",
    "HEARTBEAT_IVL": 100,
    "HEARTBEAT_TTL": 1000,
    "HEARTBEAT_TIMEOUT": 500,
    "CONNECT_TIMEOUT": 200,
    "TCP_MAXRT": 3000,
    "MULTICAST_MAXTPDU": 1000,
    "VMCI_BUFFER_SIZE": 1000,
    "VMCI_BUFFER_MIN_SIZE": 1000,
    "VMCI_BUFFER_MAX_SIZE": 1000,
    "VMCI_CONNECT_TIMEOUT": 100,
    "USE_FD": 1000,
    "BINDTODEVICE": b"lo",
    "IPC_FILTER_PID": 1,
    "IPC_FILTER_UID": 0,
    "IPC_FILTER_GID": 0,
    "METADATA": b"X-a:b",
    "RECONNECT_STOP": 1,
    "CURVE_PUBLICKEY": b"\x01" * 32,
    "CURVE_SECRETKEY": b"\x01" * 32,
    "CURVE_SERVERKEY": b"\x01" * 32,
    "IN_BATCH_SIZE": 4096,
    "OUT_BATCH_SIZE": 4096,
    "PRIORITY": 1,
}

# A value each option refuses (-2 for int options; a too-long value for bytes options).
INVALID = {
    "ROUTING_ID": b"",
    "SUBSCRIBE": None,  # every byte string is a valid topic
    "UNSUBSCRIBE": None,
    "XPUB_WELCOME_MSG": None,
    "ZAP_DOMAIN": b"z" * 300,
    "BINDTODEVICE": b"d" * 300,
    "CURVE_PUBLICKEY": b"\x01" * 31,
    "CURVE_SECRETKEY": b"\x01" * 31,
    "CURVE_SERVERKEY": b"\x01" * 31,
    "METADATA": b"nocolon",
    "SOCKS_PROXY": b"",  # libzmq takes any non-empty length; zmqfast keeps up to 255 bytes
}

# Options whose value is not comparable across implementations or runs: only its type counts.
VOLATILE = {"FD", "EVENTS"}


def _err(zmq, e):
    if isinstance(e, zmq.ZMQError):
        return ("err", _errno.errorcode.get(e.errno, e.errno))
    return ("exc", type(e).__name__)


def _value(name, v):
    if name in VOLATILE:
        return type(v).__name__
    return v


def _ctx_sock(zmq, ctx, stype):
    return ctx.socket(getattr(zmq, stype))


def socket_cell(zmq, ctx, stype, opt):
    """(get, set valid, get after set, set invalid) for one option on one socket type."""
    name = opt.name
    is_bytes = opt._opt_type.name == "bytes"
    valid = VALID.get(name, b"abc" if is_bytes else 1)
    invalid = INVALID.get(name, b"x" * 300 if is_bytes else -2)
    out = {}
    s = _ctx_sock(zmq, ctx, stype)
    try:
        try:
            out["get"] = ("ok", _value(name, s.getsockopt(opt.value)))
        except Exception as e:
            out["get"] = _err(zmq, e)
        try:
            s.setsockopt(opt.value, valid)
            out["set"] = ("ok",)
            try:
                out["get_after"] = ("ok", _value(name, s.getsockopt(opt.value)))
            except Exception as e:
                out["get_after"] = _err(zmq, e)
        except Exception as e:
            out["set"] = _err(zmq, e)
    finally:
        s.close(linger=0)
    if not is_bytes and out["set"] == ("ok",):
        # the edges of the accepted range: 0, 2 (a flag's "not 1") and -1
        for v in (0, 2, -1):
            s = _ctx_sock(zmq, ctx, stype)
            try:
                s.setsockopt(opt.value, v)
                try:
                    out[f"set_{v}"] = ("ok", _value(name, s.getsockopt(opt.value)))
                except Exception as e:
                    out[f"set_{v}"] = ("ok",) + _err(zmq, e)
            except Exception as e:
                out[f"set_{v}"] = _err(zmq, e)
            finally:
                s.close(linger=0)
    if invalid is not None:
        s = _ctx_sock(zmq, ctx, stype)
        try:
            s.setsockopt(opt.value, invalid)
            out["set_invalid"] = ("ok",)
        except Exception as e:
            out["set_invalid"] = _err(zmq, e)
        finally:
            s.close(linger=0)
    return out


def socket_matrix(zmq, names, skip=()):
    """{(socket type, option name): cell} for the given option names of the reference enum."""
    ctx = zmq.Context()
    try:
        res = {}
        for stype in SOCKET_TYPES:
            for name in names:
                if name in skip:
                    continue
                opt = getattr(zmq.SocketOption, name)
                res[(stype, name)] = socket_cell(zmq, ctx, stype, opt)
        return res
    finally:
        ctx.destroy(linger=0)


CTX_OPTIONS = {
    # name: (number, valid value, invalid value)
    "IO_THREADS": (1, 2, -1),
    "MAX_SOCKETS": (2, 512, -1),
    "SOCKET_LIMIT": (3, 512, -1),  # also THREAD_PRIORITY (3) when set
    "THREAD_SCHED_POLICY": (4, 0, -2),
    "MAX_MSGSZ": (5, 1 << 20, -2),
    "MSG_T_SIZE": (6, 64, -2),
    "THREAD_AFFINITY_CPU_ADD": (7, 0, -2),
    "THREAD_AFFINITY_CPU_REMOVE": (8, 0, -2),
    "THREAD_NAME_PREFIX": (9, 5, -2),
    "ZERO_COPY_RECV": (10, 0, -2),
    "IPV6": (42, 1, -2),
    "BLOCKY": (70, 0, -2),
}


def context_matrix(zmq):
    res = {}
    for name, (num, valid, invalid) in CTX_OPTIONS.items():
        cell = {}
        ctx = zmq.Context()
        try:
            try:
                cell["get"] = ("ok", ctx.get(num))
            except Exception as e:
                cell["get"] = _err(zmq, e)
            try:
                ctx.set(num, valid)
                cell["set"] = ("ok",)
                try:
                    cell["get_after"] = ("ok", ctx.get(num))
                except Exception as e:
                    cell["get_after"] = _err(zmq, e)
            except Exception as e:
                cell["set"] = _err(zmq, e)
            try:
                ctx.set(num, invalid)
                cell["set_invalid"] = ("ok",)
            except Exception as e:
                cell["set_invalid"] = _err(zmq, e)
        finally:
            ctx.destroy(linger=0)
        res[name] = cell
    return res


def diff(a, b):
    """Keys whose cells differ: {key: (a cell, b cell)}."""
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


if __name__ == "__main__":
    import sys

    import zmq as pyzmq

    import zmqfast

    names = [o.name for o in pyzmq.SocketOption]
    assert names == REFERENCE_NAMES, set(names) ^ set(REFERENCE_NAMES)
    skip = set(sys.argv[1:])
    ref = socket_matrix(pyzmq, names, skip)
    got = socket_matrix(zmqfast, names, skip)
    d = diff(ref, got)
    by_opt = {}
    for (stype, name), (r, g) in d.items():
        by_opt.setdefault(name, []).append((stype, r, g))
    for name, rows in by_opt.items():
        print(f"== {name}")
        for stype, r, g in rows:
            keys = [k for k in sorted(set(r) | set(g)) if r.get(k) != g.get(k)]
            print(f"  {stype:7} " + "; ".join(f"{k}: pyzmq={r.get(k)} zmqfast={g.get(k)}" for k in keys))
    print(f"{len(d)} of {len(ref)} socket cells differ")
    cd = diff(context_matrix(pyzmq), context_matrix(zmqfast))
    for k, (r, g) in cd.items():
        print(f"ctx {k}: pyzmq={r} zmqfast={g}")
    print(f"{len(cd)} context options differ")
