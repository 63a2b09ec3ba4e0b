"""Socket and context options behave as pyzmq's: the whole option matrix, compared, and the
options whose effect can be seen (INVERT_MATCHING, TOPICS_COUNT, TCP_MAXRT, USE_FD, BINDTODEVICE,
RECONNECT_STOP, SOCKS_PROXY, ...)."""

import errno
import os
import socket as _socket
import threading
import time

import option_matrix as om  # tests/ is on sys.path, as for conftest
import pytest
from conftest import IS_ZMQFAST

# Options left out of the comparison, and why.
NOT_COMPARED = {
    # libzmq's REP is a ROUTER inside and takes both; zmqfast's REP refuses them (ENOTSUP):
    # a raw REP is no REP, and a REP never shows routing ids. ROUTER/STREAM refuse a
    # CONNECT_ROUTING_ID over 255 bytes (EINVAL), where libzmq takes 256.
    "ROUTER_RAW", "CONNECT_ROUTING_ID",
}

def test_reference_names_are_pyzmqs(pyzmq):
    assert [o.name for o in pyzmq.SocketOption] == om.REFERENCE_NAMES


@pytest.fixture(scope="module")
def matrices(zmq, pyzmq):
    names = om.REFERENCE_NAMES
    return om.socket_matrix(pyzmq, names, NOT_COMPARED), om.socket_matrix(zmq, names, NOT_COMPARED)


@pytest.mark.parametrize("name", [n for n in om.REFERENCE_NAMES if n not in NOT_COMPARED])
def test_socket_option_matches_pyzmq(matrices, name):
    ref, got = matrices
    diffs = {st: (ref[(st, name)], got[(st, name)]) for st in om.SOCKET_TYPES
             if ref[(st, name)] != got[(st, name)]}
    assert not diffs, f"{name}: pyzmq vs ours per socket type: {diffs}"


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("name,value", [("ROUTER_RAW", 1), ("CONNECT_ROUTING_ID", b"id")])
def test_pending_option_says_not_supported_yet(zmq, ctx, name, value):
    # libzmq's REP is a ROUTER underneath and takes these; ours does not yet
    s = ctx.socket(zmq.REP)
    try:
        with pytest.raises(zmq.ZMQError) as info:
            s.setsockopt(getattr(zmq, name), value)
        assert info.value.errno == zmq.ENOTSUP
        assert name in str(info.value)
    finally:
        s.close(0)


@pytest.mark.parametrize("name", ["GSSAPI_SERVER", "GSSAPI_PRINCIPAL", "GSSAPI_PLAINTEXT"])
def test_gssapi_is_einval_and_says_gssapi(zmq, ctx, name):
    s = ctx.socket(zmq.DEALER)
    try:
        opt = getattr(zmq, name)
        value = b"p" if name == "GSSAPI_PRINCIPAL" else 1
        with pytest.raises(zmq.ZMQError) as info:
            s.setsockopt(opt, value)
        assert info.value.errno == zmq.EINVAL
        if IS_ZMQFAST:
            assert "GSSAPI" in str(info.value)
    finally:
        s.close(0)


def test_write_only_attribute_is_attribute_error(zmq, ctx):
    s = ctx.socket(zmq.SUB)
    try:
        with pytest.raises(AttributeError, match="write-only"):
            s.SUBSCRIBE
        with pytest.raises(AttributeError, match="write-only"):
            s.HWM
        s.hwm = 7  # the sugar sets both
        assert (s.sndhwm, s.rcvhwm, s.hwm) == (7, 7, 7)
    finally:
        s.close(0)


# ---- behaviour ---------------------------------------------------------------------------------


TIMEOUT = 2000


def _tcp_fds_to(port):
    """(fd dup, socket) of this process's tcp connections whose peer port is `port`."""
    out = []
    made = set()  # our own dups: the listing's numbers may be reused by them
    for name in os.listdir("/proc/self/fd"):
        if int(name) in made:
            continue
        try:
            dup = os.dup(int(name))
        except OSError:
            continue  # the listing's own fd, closed by now
        made.add(dup)
        try:
            s = _socket.socket(fileno=dup)
        except OSError:
            os.close(dup)  # not a socket
            continue
        try:
            if s.type == _socket.SOCK_STREAM and s.family == _socket.AF_INET and s.getpeername()[1] == port:
                out.append(s)
                continue
        except OSError:
            pass
        s.close()
    return out


def _wait(cond, timeout=2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def _port(ep):
    ep = ep.decode() if isinstance(ep, bytes) else ep
    return int(ep.rsplit(":", 1)[1])


def _pubsub(zmq, pzmq, ctx, pctx, fast, pub_mod_is_ours, invert_pub, invert_sub, topic=b"a"):
    pub = (ctx if pub_mod_is_ours else pctx).socket(zmq.PUB if pub_mod_is_ours else pzmq.PUB)
    sub = (pctx if pub_mod_is_ours else ctx).socket(pzmq.SUB if pub_mod_is_ours else zmq.SUB)
    fast(pub)
    fast(sub, 300)
    pub.setsockopt(zmq.INVERT_MATCHING, invert_pub)
    sub.setsockopt(zmq.INVERT_MATCHING, invert_sub)
    pub.bind("tcp://127.0.0.1:*")
    sub.setsockopt(zmq.SUBSCRIBE, topic)
    sub.connect(pub.getsockopt(zmq.LAST_ENDPOINT))
    return pub, sub


def _received(pub, sub, msgs, marker):
    """Send msgs until marker arrives (the subscription has landed), then collect the rest."""
    got = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        pub.send(marker)
        try:
            if sub.recv() == marker:
                break
        except Exception:
            continue
    for m in msgs:
        pub.send(m)
    pub.send(marker)
    while True:
        m = sub.recv()
        if m == marker:
            return got
        got.append(m)


@pytest.mark.parametrize("ours", ["pub", "sub", "both"])
def test_invert_matching_delivers_what_does_not_match(zmq, pyzmq, ctx, pctx, fast, ours):
    # both ends invert: a SUB "subscribed" to b"a" gets everything that does not start with it
    if ours == "both":
        pub, sub = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
        fast(pub)
        fast(sub, 300)
        for s in (pub, sub):
            s.setsockopt(zmq.INVERT_MATCHING, 1)
        pub.bind("tcp://127.0.0.1:*")
        sub.setsockopt(zmq.SUBSCRIBE, b"a")
        sub.connect(pub.getsockopt(zmq.LAST_ENDPOINT))
    else:
        pub, sub = _pubsub(zmq, pyzmq, ctx, pctx, fast, ours == "pub", 1, 1)
    got = _received(pub, sub, [b"a1", b"b1", b"ab", b"c"], b"zz")
    assert got == [b"b1", b"c"]


def test_invert_matching_on_sub_alone_filters_out_the_matches(zmq, ctx, fast):
    # a plain PUB sends only what matches; an inverting SUB then drops exactly that
    pub, sub = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
    fast(pub)
    fast(sub, 300)
    sub.setsockopt(zmq.INVERT_MATCHING, 1)
    pub.bind("tcp://127.0.0.1:*")
    sub.setsockopt(zmq.SUBSCRIBE, b"a")
    sub.connect(pub.getsockopt(zmq.LAST_ENDPOINT))
    time.sleep(0.2)
    for m in (b"a1", b"a2"):
        pub.send(m)
    with pytest.raises(zmq.Again):
        sub.recv()


def test_invert_matching_xpub_xsub(zmq, ctx, fast):
    xpub, xsub = fast(ctx.socket(zmq.XPUB)), fast(ctx.socket(zmq.XSUB), 300)
    for s in (xpub, xsub):
        s.setsockopt(zmq.INVERT_MATCHING, 1)
    xpub.bind("tcp://127.0.0.1:*")
    xsub.connect(xpub.getsockopt(zmq.LAST_ENDPOINT))
    xsub.send(b"\x01a")
    assert xpub.recv() == b"\x01a"
    for m in (b"a1", b"b1"):
        xpub.send(m)
    assert xsub.recv() == b"b1"


def test_topics_count(zmq, ctx, fast):
    sub = fast(ctx.socket(zmq.SUB))
    counts = []
    for t in (b"a", b"a", b"b", b""):
        sub.setsockopt(zmq.SUBSCRIBE, t)
        counts.append(sub.getsockopt(zmq.TOPICS_COUNT))
    sub.setsockopt(zmq.UNSUBSCRIBE, b"a")  # still subscribed once
    counts.append(sub.getsockopt(zmq.TOPICS_COUNT))
    sub.setsockopt(zmq.UNSUBSCRIBE, b"b")
    counts.append(sub.getsockopt(zmq.TOPICS_COUNT))
    assert counts == [1, 1, 2, 3, 3, 2]

    xsub = fast(ctx.socket(zmq.XSUB))
    for m in (b"\x01ab", b"\x01ab", b"\x01c"):
        xsub.send(m)
    assert xsub.getsockopt(zmq.TOPICS_COUNT) == 2

    xpub = fast(ctx.socket(zmq.XPUB))
    xpub.bind("tcp://127.0.0.1:*")
    assert xpub.getsockopt(zmq.TOPICS_COUNT) == 0
    sub.connect(xpub.getsockopt(zmq.LAST_ENDPOINT))  # sub holds b"" and b"a"
    assert {xpub.recv(), xpub.recv()} == {b"\x01", b"\x01a"}
    assert xpub.getsockopt(zmq.TOPICS_COUNT) == 2


def test_tcp_maxrt_is_tcp_user_timeout(zmq, ctx, fast):
    # libzmq on Linux: TCP_MAXRT (ms) becomes TCP_USER_TIMEOUT on connecting and accepted sockets
    srv, cli = fast(ctx.socket(zmq.PULL)), fast(ctx.socket(zmq.PUSH))
    srv.setsockopt(zmq.TCP_MAXRT, 4000)
    cli.setsockopt(zmq.TCP_MAXRT, 3000)
    assert cli.getsockopt(zmq.TCP_MAXRT) == 3000
    srv.bind("tcp://127.0.0.1:*")
    port = _port(srv.getsockopt(zmq.LAST_ENDPOINT))
    cli.connect(f"tcp://127.0.0.1:{port}")
    cli.send(b"x")
    assert srv.recv() == b"x"
    conns = _tcp_fds_to(port)
    try:
        assert conns, "no connection found"
        values = {c.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_USER_TIMEOUT) for c in conns}
        assert values == {3000}
        cport = conns[0].getsockname()[1]
    finally:
        for c in conns:
            c.close()
    accepted = _tcp_fds_to(cport)
    try:
        assert {c.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_USER_TIMEOUT) for c in accepted} == {4000}
    finally:
        for c in accepted:
            c.close()


def test_tcp_maxrt_zero_leaves_the_kernel_default(zmq, ctx, fast):
    srv, cli = fast(ctx.socket(zmq.PULL)), fast(ctx.socket(zmq.PUSH))
    srv.bind("tcp://127.0.0.1:*")
    port = _port(srv.getsockopt(zmq.LAST_ENDPOINT))
    cli.connect(f"tcp://127.0.0.1:{port}")
    cli.send(b"x")
    assert srv.recv() == b"x"
    conns = _tcp_fds_to(port)
    try:
        assert {c.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_USER_TIMEOUT) for c in conns} == {0}
    finally:
        for c in conns:
            c.close()


def test_bindtodevice_lo(zmq, pyzmq, ctx, pctx, fast):
    srv, cli = fast(ctx.socket(zmq.PULL)), fast(ctx.socket(zmq.PUSH))
    for s in (srv, cli):
        s.setsockopt(zmq.BINDTODEVICE, b"lo")
        assert s.getsockopt(zmq.BINDTODEVICE) == b"lo"
    srv.bind("tcp://127.0.0.1:*")
    port = _port(srv.getsockopt(zmq.LAST_ENDPOINT))
    cli.connect(f"tcp://127.0.0.1:{port}")
    cli.send(b"x")
    assert srv.recv() == b"x"
    conns = _tcp_fds_to(port)
    try:
        assert conns
        for c in conns:
            assert c.getsockopt(_socket.SOL_SOCKET, _socket.SO_BINDTODEVICE, 16).rstrip(b"\0") == b"lo"
    finally:
        for c in conns:
            c.close()
    # and a pyzmq peer reaches a bound-to-lo listener
    p = fast(pctx.socket(pyzmq.PUSH))
    p.connect(f"tcp://127.0.0.1:{port}")
    p.send(b"y")
    assert srv.recv() == b"y"


def test_bindtodevice_unknown_device_fails_bind_like_pyzmq(zmq, pyzmq, ctx, pctx):
    errs = []
    for mod, c in ((zmq, ctx), (pyzmq, pctx)):
        s = c.socket(mod.PULL)
        s.setsockopt(mod.BINDTODEVICE, b"nosuchdev0")
        with pytest.raises(mod.ZMQError) as info:
            s.bind("tcp://127.0.0.1:*")
        errs.append(info.value.errno)
        # connect is asynchronous: accepted, then retried in the background
        s.connect("tcp://127.0.0.1:1")
        s.close(0)
    assert errs == [errno.ENODEV, errno.ENODEV]


def test_use_fd_bind_receives_connections(zmq, pyzmq, ctx, pctx, fast):
    ls = _socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    port = ls.getsockname()[1]
    srv = fast(ctx.socket(zmq.PULL))
    srv.setsockopt(zmq.USE_FD, ls.fileno())
    assert srv.getsockopt(zmq.USE_FD) == ls.fileno()
    fd = ls.detach()  # the zmq socket owns it now, and closes it with the listener (as libzmq)
    srv.bind("tcp://127.0.0.1:*")
    assert _port(srv.getsockopt(zmq.LAST_ENDPOINT)) == port
    ours, theirs = fast(ctx.socket(zmq.PUSH)), fast(pctx.socket(pyzmq.PUSH))
    ours.connect(f"tcp://127.0.0.1:{port}")
    theirs.connect(f"tcp://127.0.0.1:{port}")
    ours.send(b"ours")
    theirs.send(b"theirs")
    assert {srv.recv(), srv.recv()} == {b"ours", b"theirs"}
    srv.close()
    assert _wait(lambda: not _fd_open(fd))


def _fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _events(zmq, mon, duration, prefix=None):
    """Monitor events for `duration` seconds (only those of endpoints starting with prefix)."""
    from importlib import import_module

    recv = import_module(zmq.__name__ + ".utils.monitor").recv_monitor_message
    out = []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        if mon.poll(20):
            m = recv(mon)
            if prefix is None or m["endpoint"].startswith(prefix):
                out.append(m["event"])
    return out


def _monitored_push(zmq, ctx, stop):
    s = ctx.socket(zmq.PUSH)
    s.linger = 0
    s.setsockopt(zmq.RECONNECT_IVL, 30)
    s.setsockopt(zmq.RECONNECT_STOP, stop)
    s.setsockopt(zmq.HANDSHAKE_IVL, 200)
    return s, s.get_monitor_socket()


def _free_port():
    t = _socket.socket()
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    t.close()
    return port


@pytest.mark.parametrize("stop", [0, 1])
def test_reconnect_stop_conn_refused(zmq, ctx, stop):
    s, mon = _monitored_push(zmq, ctx, stop)
    s.connect(f"tcp://127.0.0.1:{_free_port()}")
    ev = _events(zmq, mon, 0.4)
    s.disable_monitor()
    assert zmq.EVENT_CLOSED in ev
    if stop:
        assert zmq.EVENT_CONNECT_RETRIED not in ev
        # given up: nothing is queued for it any more
        with pytest.raises(zmq.Again):
            s.send(b"x", zmq.NOBLOCK)
    else:
        assert ev.count(zmq.EVENT_CONNECT_RETRIED) >= 2


@pytest.mark.parametrize("peer", ["closes", "silent"])
@pytest.mark.parametrize("stop", [0, 2])
def test_reconnect_stop_handshake_failed(zmq, ctx, stop, peer):
    srv = _socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.05)
    held, done = [], threading.Event()

    def serve():
        while not done.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            if peer == "closes":
                c.close()
            else:
                held.append(c)  # never greets: the handshake times out

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    s, mon = _monitored_push(zmq, ctx, stop)
    try:
        s.connect(f"tcp://127.0.0.1:{srv.getsockname()[1]}")
        ev = _events(zmq, mon, 0.7)
        s.disable_monitor()
    finally:
        done.set()
        th.join()
        srv.close()
        for c in held:
            c.close()
    assert zmq.EVENT_DISCONNECTED in ev
    if stop:
        assert zmq.EVENT_CONNECT_RETRIED not in ev
        assert ev.count(zmq.EVENT_CONNECTED) == 1
    else:
        assert zmq.EVENT_CONNECT_RETRIED in ev


@pytest.mark.parametrize("stop,disconnect", [(0, True), (1, True), (4, True), (4, False)])
def test_reconnect_stop_after_disconnect(zmq, ctx, ipc_dir, stop, disconnect):
    # libzmq 4.3.5 tests AFTER_DISCONNECT in its ipc connecter: a refused ipc connect (a socket
    # file nobody listens on) is not retried once the socket has disconnected an endpoint;
    # CONN_REFUSED is tcp's
    if stop == 4 and not disconnect and not IS_ZMQFAST:
        pytest.skip("libzmq 4.3.5 leaves the socket's 'disconnected' flag uninitialised")
    path = os.path.join(ipc_dir, "stale")
    stale = _socket.socket(_socket.AF_UNIX)
    stale.bind(path)
    other = _socket.socket()  # an endpoint to disconnect: listens, never greets
    other.bind(("127.0.0.1", 0))
    other.listen(4)
    s, mon = _monitored_push(zmq, ctx, stop)
    try:
        if disconnect:
            ep = f"tcp://127.0.0.1:{other.getsockname()[1]}"
            s.connect(ep)
            time.sleep(0.05)
            s.disconnect(ep)
        s.connect("ipc://" + path)
        ev = _events(zmq, mon, 0.3, prefix=b"ipc://")
        s.disable_monitor()
    finally:
        stale.close()
        other.close()
    if stop == 4 and disconnect:
        assert zmq.EVENT_CONNECT_RETRIED not in ev
    else:
        assert ev.count(zmq.EVENT_CONNECT_RETRIED) >= 2


def test_reconnect_stop_other_cases_still_reconnect(zmq, pyzmq, ctx, pctx):
    # CONN_REFUSED alone: a peer that goes away after a handshake is reconnected to
    p = pctx.socket(pyzmq.PULL)
    p.linger = 0
    p.bind("tcp://127.0.0.1:*")
    s, mon = _monitored_push(zmq, ctx, 1)
    s.connect(p.getsockopt(pyzmq.LAST_ENDPOINT).decode())
    assert zmq.EVENT_HANDSHAKE_SUCCEEDED in _events(zmq, mon, 0.3)
    p.close()
    ev = _events(zmq, mon, 0.3)
    s.disable_monitor()
    assert ev[:2] == [zmq.EVENT_DISCONNECTED, zmq.EVENT_CONNECT_RETRIED]


def test_socks_options_are_kept(zmq, ctx):
    s = ctx.socket(zmq.DEALER)
    try:
        s.setsockopt(zmq.SOCKS_PROXY, b"127.0.0.1:1080")
        s.setsockopt(zmq.SOCKS_USERNAME, b"u")
        s.setsockopt(zmq.SOCKS_PASSWORD, b"")
        assert (s.getsockopt(zmq.SOCKS_PROXY), s.getsockopt(zmq.SOCKS_USERNAME),
                s.getsockopt(zmq.SOCKS_PASSWORD)) == (b"127.0.0.1:1080", b"u", b"")
        s.connect("inproc://zf-socks-unaffected")
    finally:
        s.close(0)


@pytest.fixture
def socks_proxy():
    from socks5_proxy import Socks5Proxy

    made = []

    def make(**kw):
        made.append(Socks5Proxy(**kw))
        return made[-1]

    yield make
    for p in made:
        p.close()


@pytest.mark.parametrize("auth", [False, True])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_socks_proxy_carries_the_connection(zmq, pyzmq, ctx, pctx, fast, socks_proxy, auth, host):
    proxy = socks_proxy(username=b"user", password=b"secret") if auth else socks_proxy()
    pull = fast(pctx.socket(pyzmq.PULL))
    pull.bind("tcp://127.0.0.1:*")
    port = _port(pull.getsockopt(pyzmq.LAST_ENDPOINT))
    push = fast(ctx.socket(zmq.PUSH))
    push.setsockopt(zmq.SOCKS_PROXY, proxy.address)
    if auth:
        push.setsockopt(zmq.SOCKS_USERNAME, b"user")
        push.setsockopt(zmq.SOCKS_PASSWORD, b"secret")
    push.connect(f"tcp://{host}:{port}")
    push.send(b"via proxy")
    assert pull.recv() == b"via proxy"
    # the proxy did the connecting, and a name went to it unresolved
    assert proxy.requests[0] == ((1, "127.0.0.1", port) if host == "127.0.0.1" else (3, "localhost", port))


# libzmq 4.3.5 aborts (epoll.cpp: Bad file descriptor) closing a socket whose SOCKS connect is
# being retried, so this one runs on zmqfast only
@pytest.mark.zmqfast_only
def test_socks_proxy_refusing_the_password_means_no_connection(zmq, pyzmq, ctx, pctx, fast, socks_proxy):
    proxy = socks_proxy(username=b"user", password=b"secret")
    pull = fast(pctx.socket(pyzmq.PULL), 300)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmq.PUSH)
    push.linger = 0
    push.setsockopt(zmq.RECONNECT_IVL, 50)
    push.setsockopt(zmq.SOCKS_PROXY, proxy.address)
    push.setsockopt(zmq.SOCKS_USERNAME, b"user")
    push.setsockopt(zmq.SOCKS_PASSWORD, b"wrong")
    push.connect(pull.getsockopt(pyzmq.LAST_ENDPOINT).decode())
    push.send(b"x", zmq.NOBLOCK)  # queued: the connection keeps being attempted
    with pytest.raises(pyzmq.Again):
        pull.recv()
    assert _wait(lambda: proxy.auth_failures >= 2)  # retried, as a failed connect
    push.close()


def test_socks_proxy_is_bypassed_for_ipc_and_bind(zmq, pyzmq, ctx, pctx, fast, endpoint):
    s = fast(ctx.socket(zmq.PULL))
    s.setsockopt(zmq.SOCKS_PROXY, b"127.0.0.1:1")  # nobody there
    s.bind("tcp://127.0.0.1:*")
    p = fast(pctx.socket(pyzmq.PUSH))
    p.connect(s.getsockopt(zmq.LAST_ENDPOINT))
    p.send(b"direct")
    assert s.recv() == b"direct"
    ipc = endpoint("ipc")
    srv = fast(pctx.socket(pyzmq.PULL))
    srv.bind(ipc)
    c = fast(ctx.socket(zmq.PUSH))
    c.setsockopt(zmq.SOCKS_PROXY, b"127.0.0.1:1")
    c.connect(ipc)
    c.send(b"ipc")
    assert srv.recv() == b"ipc"


def test_ipv4only_is_the_inverse_of_ipv6(zmq, ctx):
    s = ctx.socket(zmq.DEALER)
    try:
        assert (s.getsockopt(zmq.IPV4ONLY), s.getsockopt(zmq.IPV6)) == (1, 0)
        s.setsockopt(zmq.IPV4ONLY, 0)
        assert s.getsockopt(zmq.IPV6) == 1
        s.setsockopt(zmq.IPV6, 0)
        assert s.getsockopt(zmq.IPV4ONLY) == 1
    finally:
        s.close(0)


def test_sub_linger_defaults_to_zero(zmq, ctx):
    # libzmq's (X)SUB does not wait for unsent subscriptions when closed
    for t in ("SUB", "XSUB", "PUB"):
        s = ctx.socket(getattr(zmq, t))
        assert s.getsockopt(zmq.LINGER) == (-1 if t == "PUB" else 0)
        s.close()


# ---- context options ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(om.CTX_OPTIONS))
def test_context_option_matches_pyzmq(zmq, pyzmq, name):
    ref, got = om.context_matrix(pyzmq)[name], om.context_matrix(zmq)[name]
    if name == "THREAD_SCHED_POLICY":
        # libzmq returns -1 (unset) with errno untouched: pyzmq raises whatever errno last was,
        # or returns -1. We return -1.
        ours = got.pop("get")
        ref.pop("get")
        if IS_ZMQFAST:
            assert ours == ("ok", -1)
    assert ref == got


def test_context_threads_take_name_prefix_and_affinity(zmq, ctx):
    before = set(os.listdir("/proc/self/task"))
    ctx.set(zmq.THREAD_NAME_PREFIX, 7)
    ctx.set(zmq.THREAD_AFFINITY_CPU_ADD, 0)
    ctx.set(zmq.THREAD_AFFINITY_CPU_ADD, 1)
    ctx.set(zmq.THREAD_AFFINITY_CPU_REMOVE, 1)
    with pytest.raises(zmq.ZMQError):
        ctx.set(zmq.THREAD_AFFINITY_CPU_REMOVE, 1)  # not in the set any more
    s = ctx.socket(zmq.PULL)
    s.bind("tcp://127.0.0.1:*")  # starts the I/O thread
    time.sleep(0.05)
    names = {}
    for t in set(os.listdir("/proc/self/task")) - before:
        try:
            with open(f"/proc/self/task/{t}/comm") as f:
                names[f.read().strip()] = os.sched_getaffinity(int(t))
        except OSError:
            pass
    s.close()
    assert names.get("7/ZMQbg/IO/0") == {0}


def test_context_io_threads_zero_is_reported(zmq):
    c = zmq.Context()
    try:
        c.set(zmq.IO_THREADS, 0)
        assert c.get(zmq.IO_THREADS) == 0
    finally:
        c.term()


# ---- accept filters ----------------------------------------------------------------------------


def _delivered(zmq, pyzmq, ctx, pctx, srv, addr, peer_is_pyzmq=False):
    peer = (pctx.socket(pyzmq.PUSH) if peer_is_pyzmq else ctx.socket(zmq.PUSH))
    peer.linger = 0
    peer.connect(addr)
    peer.send(b"x")
    try:
        return srv.poll(400) != 0 and srv.recv() == b"x"
    finally:
        peer.close()


@pytest.mark.parametrize("peer_is_pyzmq", [False, True])
@pytest.mark.parametrize("filters,allowed", [
    ([b"127.0.0.1"], True), ([b"127.0.0.0/8"], True), ([b"127.0.0.2"], False),
    ([b"10.0.0.0/8", b"127.0.0.1/32"], True), ([b"126.0.0.0/7"], True), ([b"128.0.0.0/1"], False),
])
def test_tcp_accept_filter(zmq, pyzmq, ctx, pctx, fast, filters, allowed, peer_is_pyzmq):
    srv = fast(ctx.socket(zmq.PULL))
    for f in filters:
        srv.setsockopt(zmq.TCP_ACCEPT_FILTER, f)
    srv.bind("tcp://127.0.0.1:*")
    addr = srv.getsockopt(zmq.LAST_ENDPOINT)
    assert _delivered(zmq, pyzmq, ctx, pctx, srv, addr, peer_is_pyzmq) == allowed


def test_tcp_accept_filter_refusal_is_reported(zmq, ctx, fast):
    srv = fast(ctx.socket(zmq.PULL))
    srv.setsockopt(zmq.TCP_ACCEPT_FILTER, b"127.0.0.2")
    mon = srv.get_monitor_socket()
    srv.bind("tcp://127.0.0.1:*")
    c = _socket.create_connection(("127.0.0.1", _port(srv.getsockopt(zmq.LAST_ENDPOINT))))
    try:
        ev = _events(zmq, mon, 0.3)
    finally:
        c.close()
        srv.disable_monitor()
    assert zmq.EVENT_ACCEPT_FAILED in ev
    assert zmq.EVENT_ACCEPTED not in ev


@pytest.mark.parametrize("opt,mine", [("IPC_FILTER_UID", os.getuid), ("IPC_FILTER_GID", os.getgid),
                                      ("IPC_FILTER_PID", os.getpid)])
@pytest.mark.parametrize("match", [True, False])
def test_ipc_filters(zmq, pyzmq, ctx, pctx, fast, endpoint, opt, mine, match):
    srv = fast(ctx.socket(zmq.PULL))
    srv.setsockopt(getattr(zmq, opt), mine() if match else 54321)
    srv.bind(endpoint("ipc"))
    addr = srv.getsockopt(zmq.LAST_ENDPOINT)
    assert _delivered(zmq, pyzmq, ctx, pctx, srv, addr, peer_is_pyzmq=True) == match


# ---- METADATA ----------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["ours_to_pyzmq", "pyzmq_to_ours", "ours_to_ours"])
def test_metadata_reaches_the_peer(zmq, pyzmq, ctx, pctx, direction):
    smod, sctx = (pyzmq, pctx) if direction == "pyzmq_to_ours" else (zmq, ctx)
    rmod, rctx = (pyzmq, pctx) if direction == "ours_to_pyzmq" else (zmq, ctx)
    s, r = sctx.socket(smod.PUSH), rctx.socket(rmod.PULL)
    s.linger = r.linger = 0
    r.rcvtimeo = TIMEOUT
    for v in (b"X-hello:world", b"X-two:2", b"X-hello:again"):  # a name given twice keeps its first
        s.setsockopt(smod.METADATA, v)
    r.bind("tcp://127.0.0.1:*")
    s.connect(r.getsockopt(rmod.LAST_ENDPOINT))
    s.send(b"m")
    f = r.recv(copy=False)
    assert (f.get("X-hello"), f.get("X-two"), f.get("Socket-Type")) == ("world", "2", "PUSH")
    s.close()
    r.close()


@pytest.mark.parametrize("value", [b"X-a:b", b"X-long-name:some value", b"X-:bb", b"X-ab:"])
def test_metadata_validation_matches_pyzmq(zmq, pyzmq, ctx, pctx, value):
    res = []
    for mod, c in ((zmq, ctx), (pyzmq, pctx)):
        s = c.socket(mod.DEALER)
        try:
            s.setsockopt(mod.METADATA, value)
            res.append("ok")
        except mod.ZMQError as e:
            res.append(e.errno)
        finally:
            s.close(0)
    assert res[0] == res[1]


# ---- XPUB_MANUAL_LAST_VALUE --------------------------------------------------------------------


def test_xpub_manual_last_value_sends_first_to_the_newcomer(zmq, pyzmq, ctx, pctx, fast):
    xpub = fast(ctx.socket(zmq.XPUB))
    xpub.setsockopt(zmq.XPUB_MANUAL_LAST_VALUE, 1)
    xpub.bind("tcp://127.0.0.1:*")
    addr = xpub.getsockopt(zmq.LAST_ENDPOINT)
    subs = []
    for last in (b"t-last1", b"t-last2"):
        s = fast(pctx.socket(pyzmq.SUB), 300)
        s.setsockopt(pyzmq.SUBSCRIBE, b"t")
        s.connect(addr)
        subs.append(s)
        assert xpub.recv() == b"\x01t"
        xpub.setsockopt(zmq.SUBSCRIBE, b"t")  # manual: subscribe it on its behalf
        xpub.send(last)  # the last value: only to the subscriber just taken in
    xpub.send(b"t-all")
    got = []
    for s in subs:
        r = []
        while True:
            try:
                r.append(s.recv())
            except pyzmq.Again:
                break
        got.append(r)
    assert got == [[b"t-last1", b"t-all"], [b"t-last2", b"t-all"]]


# ---- ZAP_ENFORCE_DOMAIN ------------------------------------------------------------------------


@pytest.mark.parametrize("enforce", [0, 1])
def test_zap_enforce_domain_without_a_handler(zmq, pyzmq, ctx, pctx, fast, enforce):
    # NULL with a ZAP domain and no handler bound: admitted, unless ZAP_ENFORCE_DOMAIN
    srv = fast(ctx.socket(zmq.PULL), 400)
    srv.setsockopt(zmq.ZAP_DOMAIN, b"global")
    srv.setsockopt(zmq.ZAP_ENFORCE_DOMAIN, enforce)
    srv.bind("tcp://127.0.0.1:*")
    cli = fast(pctx.socket(pyzmq.PUSH))
    cli.connect(srv.getsockopt(zmq.LAST_ENDPOINT))
    cli.send(b"x", pyzmq.NOBLOCK)
    if enforce:
        with pytest.raises(zmq.Again):
            srv.recv()
    else:
        assert srv.recv() == b"x"


# ---- ONLY_FIRST_SUBSCRIBE and multipart subscriptions -------------------------------------------


def _xpub_xsub(xpub_ctx, xpub_mod, xsub_ctx, xsub_mod, fast, xpub_ofs, xsub_ofs):
    xpub = fast(xpub_ctx.socket(xpub_mod.XPUB), 300)
    xpub.setsockopt(xpub_mod.ONLY_FIRST_SUBSCRIBE, xpub_ofs)
    xpub.bind("tcp://127.0.0.1:*")
    xsub = fast(xsub_ctx.socket(xsub_mod.XSUB), 300)
    xsub.setsockopt(xsub_mod.ONLY_FIRST_SUBSCRIBE, xsub_ofs)
    xsub.connect(xpub.getsockopt(xpub_mod.LAST_ENDPOINT))
    _wait(lambda: xsub.poll(0, xsub_mod.POLLOUT) != 0)
    time.sleep(0.1)
    return xpub, xsub


def _topics_delivered(xpub, xsub):
    for t in (b"a", b"b", b"c"):
        xpub.send(t)
    got = []
    while xsub.poll(300):
        got.append(xsub.recv())
    return got


@pytest.mark.parametrize("ofs", [0, 1])
@pytest.mark.parametrize("parts,topics", [([b"\x01a", b"\x01b"], ([b"a", b"b"], [b"a", b"b"])),
                                          ([b"data", b"\x01c"], ([b"c"], []))])
def test_xsub_only_first_subscribe(zmq, pyzmq, ctx, pctx, fast, ofs, parts, topics):
    # our XSUB (counting its topics) against pyzmq's XPUB (which does the filtering)
    xpub, xsub = _xpub_xsub(pctx, pyzmq, ctx, zmq, fast, 0, ofs)
    xsub.send_multipart(parts)
    time.sleep(0.1)
    expect = topics[0] if (not ofs or parts[0][:1] == b"\x01") else topics[1]
    assert xsub.getsockopt(zmq.TOPICS_COUNT) == len(expect)
    # libzmq's XPUB still reads every part: what it sends back is its own business
    assert _topics_delivered(xpub, xsub) == topics[0]


@pytest.mark.parametrize("ofs", [0, 1])
@pytest.mark.parametrize("parts,topics", [([b"\x01a", b"\x01b"], ([b"a", b"b"], [b"a", b"b"])),
                                          ([b"data", b"\x01c"], ([b"c"], []))])
def test_xpub_only_first_subscribe(zmq, pyzmq, ctx, pctx, fast, ofs, parts, topics):
    # our XPUB reading a pyzmq XSUB's multipart message
    xpub, xsub = _xpub_xsub(ctx, zmq, pctx, pyzmq, fast, ofs, 0)
    xsub.send_multipart(parts)
    while xpub.poll(200):
        xpub.recv_multipart()
    assert _topics_delivered(xpub, xsub) == (topics[1] if ofs else topics[0])


# ---- ROUTER options on REQ/REP -----------------------------------------------------------------


@pytest.mark.parametrize("kind,probe", [("REQ", [b""]), ("DEALER", [b""]), ("REP", None)])
def test_probe_router_from_req_dealer_rep(zmq, pyzmq, ctx, pctx, fast, kind, probe):
    # libzmq: REQ is a DEALER underneath and probes; REP takes the option but sends nothing
    router = fast(pctx.socket(pyzmq.ROUTER), 300)
    router.bind("tcp://127.0.0.1:*")
    s = fast(ctx.socket(getattr(zmq, kind)))
    s.setsockopt(zmq.PROBE_ROUTER, 1)
    s.connect(router.getsockopt(pyzmq.LAST_ENDPOINT))
    if probe is None:
        with pytest.raises(pyzmq.Again):
            router.recv_multipart()
    else:
        assert router.recv_multipart()[1:] == probe


def test_rep_takes_router_mandatory(zmq, ctx, fast):
    rep = fast(ctx.socket(zmq.REP))
    rep.setsockopt(zmq.ROUTER_MANDATORY, 1)
    rep.setsockopt(zmq.ROUTER_HANDOVER, 1)
    rep.bind("tcp://127.0.0.1:*")
    req = fast(ctx.socket(zmq.REQ))
    req.connect(rep.getsockopt(zmq.LAST_ENDPOINT))
    req.send(b"q")
    assert rep.recv() == b"q"
    req.close()
    time.sleep(0.2)
    rep.send(b"a")  # as libzmq: the reply to a departed requester is dropped, not refused
    with pytest.raises(zmq.Again):
        rep.recv(zmq.NOBLOCK)


# ---- TOS and TCP keepalive tuning --------------------------------------------------------------


def _tcp_state(s):
    return {"tos": s.getsockopt(_socket.IPPROTO_IP, _socket.IP_TOS),
            "keepalive": s.getsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE),
            "idle": s.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE),
            "cnt": s.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPCNT),
            "intvl": s.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPINTVL)}


def test_tos_and_keepalive_reach_the_connections(zmq, ctx, fast):
    srv, cli = fast(ctx.socket(zmq.PULL)), fast(ctx.socket(zmq.PUSH))
    for opt, v in (("TOS", 0x20), ("TCP_KEEPALIVE", 1), ("TCP_KEEPALIVE_IDLE", 42)):
        srv.setsockopt(getattr(zmq, opt), v)
    for opt, v in (("TOS", 0x10), ("TCP_KEEPALIVE", 1), ("TCP_KEEPALIVE_IDLE", 30),
                   ("TCP_KEEPALIVE_CNT", 4), ("TCP_KEEPALIVE_INTVL", 7)):
        cli.setsockopt(getattr(zmq, opt), v)
    srv.bind("tcp://127.0.0.1:*")
    port = _port(srv.getsockopt(zmq.LAST_ENDPOINT))
    cli.connect(f"tcp://127.0.0.1:{port}")
    cli.send(b"x")
    assert srv.recv() == b"x"
    conns = _tcp_fds_to(port)
    try:
        assert [_tcp_state(c) for c in conns] == [{"tos": 0x10, "keepalive": 1, "idle": 30, "cnt": 4, "intvl": 7}]
        cport = conns[0].getsockname()[1]
    finally:
        for c in conns:
            c.close()
    accepted = _tcp_fds_to(cport)
    try:
        state = [_tcp_state(c) for c in accepted]
        assert [(d["tos"], d["keepalive"], d["idle"]) for d in state] == [(0x20, 1, 42)]
    finally:
        for c in accepted:
            c.close()
