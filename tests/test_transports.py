"""Transports and endpoints beyond the basics: IPv6, host and interface names, wildcards,
ipc://*, reconnect backoff. The peer is pyzmq (libzmq) wherever one is involved."""

import socket
import time

import pytest


def _has_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")


@needs_ipv6
@pytest.mark.parametrize("impl_binds", [True, False])
def test_ipv6_loopback_works_both_ways_with_libzmq(zmq, pyzmq, ctx, pctx, fast, impl_binds):
    if impl_binds:
        rx = fast(ctx.socket(zmq.PULL))
        rx.ipv6 = 1
        rx.bind("tcp://[::1]:*")
        tx = fast(pctx.socket(pyzmq.PUSH))
        tx.ipv6 = 1
        tx.connect(rx.last_endpoint.decode())
    else:
        rx = fast(pctx.socket(pyzmq.PULL))
        rx.ipv6 = 1
        rx.bind("tcp://[::1]:*")
        tx = fast(ctx.socket(zmq.PUSH))
        tx.ipv6 = 1
        tx.connect(rx.last_endpoint.decode())
    assert rx.last_endpoint.decode().startswith("tcp://[::1]:")
    tx.send(b"over v6")
    assert rx.recv() == b"over v6"


def test_ipv6_address_without_the_ipv6_option_is_refused_like_libzmq(zmq, pyzmq, ctx, pctx):
    with pytest.raises(pyzmq.ZMQError) as expected:
        pctx.socket(pyzmq.PULL).bind("tcp://[::1]:*")
    s = ctx.socket(zmq.PULL)
    with pytest.raises(zmq.ZMQError) as got:
        s.bind("tcp://[::1]:*")
    assert got.value.errno == expected.value.errno


def test_wildcard_interface_and_port_report_the_bound_address(zmq, ctx, fast):
    rx = fast(ctx.socket(zmq.PULL))
    rx.bind("tcp://*:*")
    host, port = rx.last_endpoint.decode().rsplit(":", 1)
    assert host == "tcp://0.0.0.0" and int(port) > 0
    tx = fast(ctx.socket(zmq.PUSH))
    tx.connect(f"tcp://127.0.0.1:{port}")
    tx.send(b"x")
    assert rx.recv() == b"x"


def test_connect_by_host_name_and_bind_by_interface_name(zmq, ctx, fast):
    rx = fast(ctx.socket(zmq.PULL))
    rx.bind("tcp://lo:*")
    port = rx.last_endpoint.decode().rsplit(":", 1)[1]
    tx = fast(ctx.socket(zmq.PUSH))
    tx.connect(f"tcp://localhost:{port}")
    tx.send(b"by name")
    assert rx.recv() == b"by name"


def test_ipc_wildcard_binds_a_fresh_path_a_libzmq_peer_can_use(zmq, pyzmq, ctx, pctx, fast):
    rx = fast(ctx.socket(zmq.PULL))
    rx.bind("ipc://*")
    addr = rx.last_endpoint.decode()
    assert addr.startswith("ipc://") and addr != "ipc://*"
    tx = fast(pctx.socket(pyzmq.PUSH))
    tx.connect(addr)
    tx.send(b"ipc")
    assert rx.recv() == b"ipc"


def test_unresolvable_host_on_connect_is_accepted_and_retried(zmq, ctx, fast):
    # libzmq resolves in the background: connect succeeds and the socket keeps trying
    tx = fast(ctx.socket(zmq.PUSH))
    tx.connect("tcp://nohost.invalid:5555")
    assert tx.poll(50, zmq.POLLIN) == 0  # still usable; nothing arrives


def _free_port():
    """A tcp port nobody listens on (so every connect attempt fails)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _retries(zmq, sock, endpoint, n, deadline=5.0):
    from importlib import import_module

    monitor = import_module(zmq.__name__ + ".utils.monitor")
    m = sock.get_monitor_socket(zmq.EVENT_CONNECT_RETRIED)
    m.rcvtimeo = int(deadline * 1000)
    sock.connect(endpoint)
    values = []
    while len(values) < n:
        values.append(monitor.recv_monitor_message(m)["value"])
    return values


def test_reconnect_interval_backs_off_up_to_the_maximum(zmq, ctx, fast):
    # nothing listens on the port: each attempt fails and the next waits twice as long
    port = _free_port()
    tx = fast(ctx.socket(zmq.PUSH))
    tx.reconnect_ivl = 20
    tx.reconnect_ivl_max = 80
    assert _retries(zmq, tx, f"tcp://127.0.0.1:{port}", 4) == [20, 40, 80, 80]


def test_reconnect_interval_without_maximum_stays_near_the_interval(zmq, ctx, fast):
    port = _free_port()
    tx = fast(ctx.socket(zmq.PUSH))
    tx.reconnect_ivl = 20
    for v in _retries(zmq, tx, f"tcp://127.0.0.1:{port}", 3):
        assert 20 <= v < 40  # the interval plus a jitter below it (libzmq: exactly 20)


def test_a_refused_ipc_connect_reports_closed_then_retried(zmq, pyzmq, ctx, pctx, ipc_dir):
    """libzmq closes the fd of a failed ipc connect (CLOSED) before it retries (CONNECT_RETRIED)."""
    from importlib import import_module

    seen = []
    for c, mod in ((ctx, zmq), (pctx, pyzmq)):
        monitor = import_module(mod.__name__ + ".utils.monitor")
        s = c.socket(mod.PUSH)
        s.setsockopt(mod.LINGER, 0)
        s.setsockopt(mod.RECONNECT_IVL, 50)
        m = s.get_monitor_socket()
        s.connect(f"ipc://{ipc_dir}/nobody-{mod.__name__}")
        events = []
        deadline = time.monotonic() + 5
        while len(events) < 4 and time.monotonic() < deadline:
            if m.poll(100):
                events.append(int(monitor.recv_monitor_message(m)["event"]))
        s.disable_monitor()
        m.close()
        s.close()
        seen.append(events[:4])
    assert seen[0] == seen[1] == [zmq.EVENT_CLOSED, zmq.EVENT_CONNECT_RETRIED] * 2
