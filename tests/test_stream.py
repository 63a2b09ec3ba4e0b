"""ZMQ_STREAM: raw tcp/ipc connections, [routing id][data] messages, STREAM_NOTIFY,
CONNECT_ROUTING_ID, and ROUTER_RAW (libzmq 4.3 still turns a ROUTER raw with it).

Behaviour checks run the same calls on the implementation under test and on pyzmq (the
``impl`` fixture), so each expectation is one libzmq 4.3 was seen to meet.
"""

import importlib
import os
import socket
import threading
import time

import pytest


def _port(sock):
    ep = sock.getsockopt(32)
    ep = ep.decode() if isinstance(ep, bytes) else ep
    return int(ep.rsplit(":", 1)[1])


def _recv_until_eof(conn, want=None, pump=None, timeout=5.0):
    """Read conn until EOF (or `want` bytes); `pump` runs between reads (libzmq processes its
    pipe commands only inside socket calls, so a pyzmq STREAM closes a connection only then)."""
    conn.settimeout(0.02)
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = conn.recv(1 << 16)
        except (socket.timeout, BlockingIOError):
            if pump:
                pump()
            continue
        if not chunk:
            return bytes(data), True
        data += chunk
        if want is not None and len(data) >= want:
            return bytes(data), False
    return bytes(data), False


def _pump(zmod, sock):
    def run():
        try:
            sock.poll(1)
        except zmod.ZMQError:
            pass

    return run


@pytest.fixture(params=["impl", "pyzmq"])
def impl(request, zmq, pyzmq, ctx, pctx):
    """(module, context): the implementation under test, then pyzmq, for side-by-side checks."""
    return (zmq, ctx) if request.param == "impl" else (pyzmq, pctx)


def _server(zmod, c, fast, transport="tcp", endpoint=None, **opts):
    s = fast(c.socket(zmod.STREAM), 3000)
    for k, v in opts.items():
        s.setsockopt(getattr(zmod, k), v)
    s.bind(endpoint(transport) if endpoint else "tcp://127.0.0.1:*")
    return s


# ---- a plain client against a STREAM server ---------------------------------------------------


def test_http_like_exchange(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    try:
        rid, note = srv.recv_multipart()
        assert note == b""  # connect notification
        assert len(rid) == 5 and rid[0] == 0  # a generated id: 0x00 and a 32-bit counter
        cli.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        got = b""
        while not got.endswith(b"\r\n\r\n"):
            r, data = srv.recv_multipart()
            assert r == rid
            got += data
        assert got.startswith(b"GET / HTTP/1.0")
        body = b"<h1>hello</h1>"
        srv.send_multipart([rid, b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body])
        srv.send_multipart([rid, b""])  # close the connection, after the reply
        reply, eof = _recv_until_eof(cli, pump=_pump(zmod, srv))
        assert reply.endswith(body) and reply.startswith(b"HTTP/1.0 200 OK")
        assert eof
        # the socket closed it itself: no disconnect notification
        assert srv.poll(200) == 0
    finally:
        cli.close()


def test_disconnect_notification_when_the_peer_closes(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    rid, _ = srv.recv_multipart()
    cli.sendall(b"bye")
    assert srv.recv_multipart() == [rid, b"bye"]
    cli.close()
    assert srv.recv_multipart() == [rid, b""]
    # once gone (and the socket has looked at its pipes again), the id is unknown: a STREAM is
    # always "mandatory". Until then libzmq may take or refuse (EAGAIN) a send; so may we.
    deadline = time.monotonic() + 3
    while True:
        assert srv.poll(10) == 0
        try:
            srv.send_multipart([rid, b"late"], zmod.DONTWAIT)
        except zmod.ZMQError as e:
            if e.errno == zmod.EHOSTUNREACH:
                break
            assert e.errno == zmod.EAGAIN
        assert time.monotonic() < deadline


def test_peer_reset_mid_way_gives_the_disconnect_notification(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    rid, _ = srv.recv_multipart()
    srv.send_multipart([rid, b"x" * 200000])  # pending output while the peer goes
    cli.sendall(b"partial request, then a reset")
    # SO_LINGER 0: close sends RST
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    cli.close()
    frames = []
    while True:
        r, data = srv.recv_multipart()
        assert r == rid
        if data == b"":
            break
        frames.append(data)
    assert b"".join(frames) in (b"", b"partial request, then a reset")
    assert srv.poll(100) == 0


def test_stream_notify_off(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast, STREAM_NOTIFY=0)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    cli.sendall(b"abc")
    rid, data = srv.recv_multipart()  # the data comes first: no connect notification
    assert data == b"abc" and len(rid) == 5
    cli.close()
    assert srv.poll(300) == 0  # nor a disconnect notification


def test_many_concurrent_connections(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast)
    n = 40
    clis = [socket.create_connection(("127.0.0.1", _port(srv)), timeout=3) for _ in range(n)]
    try:
        ids = set()
        for _ in range(n):
            rid, note = srv.recv_multipart()
            assert note == b""
            ids.add(rid)
        assert len(ids) == n
        for i, cl in enumerate(clis):
            cl.sendall(b"client %d" % i)
        seen = {}
        while len(seen) < n:
            rid, data = srv.recv_multipart()
            seen[rid] = seen.get(rid, b"") + data
            if not data.startswith(b"client"):
                continue
        for rid, data in seen.items():
            srv.send_multipart([rid, b"echo " + data])
        for i, cl in enumerate(clis):
            assert cl.recv(100) == b"echo client %d" % i
    finally:
        for cl in clis:
            cl.close()
    gone = 0
    while gone < n:
        rid, data = srv.recv_multipart()
        assert rid in ids and data == b""
        gone += 1


def test_large_data_both_ways(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=5)
    try:
        rid, _ = srv.recv_multipart()
        blob = os.urandom(1 << 20)
        t = threading.Thread(target=cli.sendall, args=(blob,))
        t.start()
        got, nframes = bytearray(), 0
        while len(got) < len(blob):
            r, data = srv.recv_multipart()
            assert r == rid and data
            got += data
            nframes += 1
        t.join()
        assert bytes(got) == blob
        assert nframes > 1  # raw data arrives as read, in several frames
        srv.send_multipart([rid, blob])
        back, _ = _recv_until_eof(cli, want=len(blob), pump=_pump(zmod, srv))
        assert back == blob
    finally:
        cli.close()


def test_small_rcvhwm_loses_nothing(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast, RCVHWM=2)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=5)
    try:
        rid, _ = srv.recv_multipart()
        blob = os.urandom(600000)
        t = threading.Thread(target=cli.sendall, args=(blob,))
        t.start()
        time.sleep(0.2)  # let the inbound pipe fill up
        got = bytearray()
        while len(got) < len(blob):
            got += srv.recv_multipart()[1]
        t.join()
        assert bytes(got) == blob
    finally:
        cli.close()


def test_maxmsgsize_does_not_apply(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast, MAXMSGSIZE=10)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    try:
        rid, _ = srv.recv_multipart()
        cli.sendall(b"y" * 1000)
        got = b""
        while len(got) < 1000:
            got += srv.recv_multipart()[1]
        assert got == b"y" * 1000
    finally:
        cli.close()


def test_ipc(impl, fast, endpoint):
    zmod, c = impl
    srv = _server(zmod, c, fast, transport="ipc", endpoint=endpoint)
    path = srv.getsockopt(32)
    path = (path.decode() if isinstance(path, bytes) else path)[len("ipc://"):]
    cli = socket.socket(socket.AF_UNIX)
    cli.settimeout(3)
    cli.connect(path)
    try:
        rid, note = srv.recv_multipart()
        assert note == b""
        cli.sendall(b"over ipc")
        assert srv.recv_multipart() == [rid, b"over ipc"]
        srv.send_multipart([rid, b"back over ipc"])
        assert cli.recv(100) == b"back over ipc"
    finally:
        cli.close()
    assert srv.recv_multipart() == [rid, b""]


# ---- a STREAM connecting out -----------------------------------------------------------------


def test_connect_to_a_plain_server_with_connect_routing_id(impl, fast):
    zmod, c = impl
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    lsn.settimeout(3)
    s = fast(c.socket(zmod.STREAM), 3000)
    s.setsockopt(zmod.CONNECT_ROUTING_ID, b"myid")
    s.connect("tcp://127.0.0.1:%d" % lsn.getsockname()[1])
    conn, _ = lsn.accept()
    conn.settimeout(3)
    try:
        assert s.recv_multipart() == [b"myid", b""]
        s.send_multipart([b"myid", b"hello server"])
        assert conn.recv(100) == b"hello server"
        conn.sendall(b"hello client")
        assert s.recv_multipart() == [b"myid", b"hello client"]
        conn.close()
        assert s.recv_multipart() == [b"myid", b""]
        # it reconnects, under the same id
        conn, _ = lsn.accept()
        assert s.recv_multipart() == [b"myid", b""]
        s.send_multipart([b"myid", b"again"])
        conn.settimeout(3)
        assert conn.recv(100) == b"again"
    finally:
        conn.close()
        lsn.close()


def test_send_before_the_connection_is_up_is_queued(impl, fast):
    zmod, c = impl
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))  # not listening yet: the connect keeps retrying
    s = fast(c.socket(zmod.STREAM), 3000)
    s.setsockopt(zmod.RECONNECT_IVL, 20)
    s.setsockopt(zmod.CONNECT_ROUTING_ID, b"early")
    s.connect("tcp://127.0.0.1:%d" % lsn.getsockname()[1])
    s.send_multipart([b"early", b"queued"])
    lsn.listen()
    lsn.settimeout(3)
    conn, _ = lsn.accept()
    conn.settimeout(3)
    try:
        assert conn.recv(100) == b"queued"
        assert s.recv_multipart() == [b"early", b""]
    finally:
        conn.close()
        lsn.close()


def test_routing_id_after_connect_is_the_new_connections_id(impl, fast):
    # libzmq's STREAM keeps the id it generated for its newest connection as ROUTING_ID, and
    # ipykernel's debugger reads it right after connect() to address debugpy
    zmod, c = impl
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    lsn.settimeout(3)
    url = "tcp://127.0.0.1:%d" % lsn.getsockname()[1]
    s = fast(c.socket(zmod.STREAM), 3000)
    assert s.getsockopt(zmod.ROUTING_ID) == b""
    conns = []
    try:
        s.connect(url)
        first = s.getsockopt(zmod.ROUTING_ID)
        assert len(first) == 5 and first[0] == 0
        conns.append(lsn.accept()[0])
        s.send_multipart([first, b"to the first"])
        conns[0].settimeout(3)
        assert conns[0].recv(100) == b"to the first"
        s.connect(url)
        second = s.getsockopt(zmod.ROUTING_ID)
        assert len(second) == 5 and second not in (first, b"")
        conns.append(lsn.accept()[0])
        # an id given with CONNECT_ROUTING_ID is not generated: ROUTING_ID stays as it was
        s.setsockopt(zmod.CONNECT_ROUTING_ID, b"named")
        s.connect(url)
        assert s.getsockopt(zmod.ROUTING_ID) == second
        conns.append(lsn.accept()[0])
    finally:
        for conn in conns:
            conn.close()
        lsn.close()


def test_routing_id_of_a_router_raw_is_not_a_connections_id(impl, fast):
    zmod, c = impl
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    lsn.settimeout(3)
    s = fast(c.socket(zmod.ROUTER), 3000)
    s.setsockopt(zmod.ROUTER_RAW, 1)
    try:
        s.connect("tcp://127.0.0.1:%d" % lsn.getsockname()[1])
        conn = lsn.accept()[0]
        conn.close()
        assert s.getsockopt(zmod.ROUTING_ID) == b""
    finally:
        lsn.close()


def test_connect_routing_id_is_for_the_next_connect_only(impl, fast):
    zmod, c = impl
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    lsn.settimeout(3)
    addr = "tcp://127.0.0.1:%d" % lsn.getsockname()[1]
    s = fast(c.socket(zmod.STREAM), 3000)
    s.setsockopt(zmod.CONNECT_ROUTING_ID, b"first")
    s.connect(addr)
    a, _ = lsn.accept()
    s.connect(addr)
    b, _ = lsn.accept()
    try:
        ids = {s.recv_multipart()[0] for _ in range(2)}
        assert b"first" in ids
        other = (ids - {b"first"}).pop()
        assert len(other) == 5 and other[0] == 0
    finally:
        a.close()
        b.close()
        lsn.close()


# ---- STREAM to STREAM, across implementations ----------------------------------------------


@pytest.mark.parametrize("fast_binds", [True, False])
def test_stream_to_pyzmq_stream(zmq, pyzmq, ctx, pctx, fast, fast_binds):
    ours = fast(ctx.socket(zmq.STREAM), 3000)
    theirs = fast(pctx.socket(pyzmq.STREAM), 3000)
    binder, connecter = (ours, theirs) if fast_binds else (theirs, ours)
    binder.bind("tcp://127.0.0.1:*")
    connecter.setsockopt(61, b"peer")  # CONNECT_ROUTING_ID
    connecter.connect("tcp://127.0.0.1:%d" % _port(binder))
    bid, note = binder.recv_multipart()
    assert note == b"" and len(bid) == 5
    assert connecter.recv_multipart() == [b"peer", b""]
    connecter.send_multipart([b"peer", b"from the connecter"])
    assert binder.recv_multipart() == [bid, b"from the connecter"]
    binder.send_multipart([bid, b"from the binder"])
    assert connecter.recv_multipart() == [b"peer", b"from the binder"]
    # the binder hangs up: the connecter is told, and reconnects
    binder.send_multipart([bid, b""])
    pump = time.monotonic() + 3
    while True:
        try:
            rid, data = connecter.recv_multipart(flags=zmq.DONTWAIT if connecter is ours else pyzmq.DONTWAIT)
            break
        except (zmq.Again, pyzmq.Again):
            binder.poll(5)  # libzmq runs its pipe commands inside socket calls
            assert time.monotonic() < pump
    assert (rid, data) == (b"peer", b"")


# ---- side-by-side checks of the socket API ---------------------------------------------------


def test_unknown_id_is_ehostunreach(impl, fast):
    zmod, c = impl
    s = _server(zmod, c, fast)
    with pytest.raises(zmod.ZMQError) as e:
        s.send(b"\x00nope", zmod.SNDMORE)
    assert e.value.errno == zmod.EHOSTUNREACH
    with pytest.raises(zmod.ZMQError) as e:
        s.send_multipart([b"\x00nope", b"x"], zmod.DONTWAIT)
    assert e.value.errno == zmod.EHOSTUNREACH
    assert s.getsockopt(zmod.EVENTS) == zmod.POLLOUT  # always writable


def test_frames_after_the_body_and_a_lone_id(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    try:
        rid, _ = srv.recv_multipart()
        # the frame after the id ends the message: a third frame is taken as the next id
        with pytest.raises(zmod.ZMQError) as e:
            srv.send_multipart([rid, b"one", b"\x00nope", b"three"])
        assert e.value.errno == zmod.EHOSTUNREACH
        assert cli.recv(100) == b"one"
        # an id without SNDMORE is swallowed, and the next frame is a body sent nowhere
        srv.send(rid)
        srv.send(b"lost")
        srv.send_multipart([rid, b"kept"])
        assert cli.recv(100) == b"kept"
    finally:
        cli.close()


def test_option_errors(impl):
    zmod, c = impl
    s = c.socket(zmod.STREAM)
    s.setsockopt(zmod.STREAM_NOTIFY, 0)
    s.setsockopt(zmod.STREAM_NOTIFY, 1)
    for opt, val in ((zmod.STREAM_NOTIFY, 2), (zmod.ROUTER_MANDATORY, 1), (zmod.PROBE_ROUTER, 1),
                     (zmod.ROUTER_RAW, 1), (zmod.CONNECT_ROUTING_ID, b"")):
        with pytest.raises(zmod.ZMQError) as e:
            s.setsockopt(opt, val)
        assert e.value.errno == zmod.EINVAL, opt
    for opt in (zmod.STREAM_NOTIFY, zmod.CONNECT_ROUTING_ID):
        with pytest.raises(zmod.ZMQError) as e:
            s.getsockopt(opt)
        assert e.value.errno == zmod.EINVAL, opt
    s.setsockopt(zmod.CONNECT_ROUTING_ID, b"\x00zero first is fine")
    assert s.getsockopt(zmod.TYPE) == zmod.STREAM
    for t in (zmod.DEALER, zmod.PUSH):
        d = c.socket(t)
        with pytest.raises(zmod.ZMQError):
            d.setsockopt(zmod.STREAM_NOTIFY, 1)
        d.close()
    s.close()


def test_monitor_events(impl, fast):
    zmod, c = impl
    mon_mod = importlib.import_module(zmod.__name__ + ".utils.monitor")
    srv = _server(zmod, c, fast)
    mon = fast(srv.get_monitor_socket(), 3000)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    rid, _ = srv.recv_multipart()
    cli.close()
    assert srv.recv_multipart() == [rid, b""]
    events = []
    while zmod.EVENT_DISCONNECTED not in events:
        events.append(mon_mod.recv_monitor_message(mon)["event"])
    # libzmq reports a raw disconnect as a failed handshake first (raw sockets have no
    # mechanism, so they never leave the handshake as far as the monitor is concerned)
    assert events[-3:] == [zmq_ev(zmod, "ACCEPTED"), zmq_ev(zmod, "HANDSHAKE_FAILED_NO_DETAIL"),
                           zmq_ev(zmod, "DISCONNECTED")]
    assert zmq_ev(zmod, "HANDSHAKE_SUCCEEDED") not in events
    srv.disable_monitor()


def zmq_ev(zmod, name):
    return getattr(zmod, "EVENT_" + name)


def test_monitor_events_connecting(impl, fast):
    zmod, c = impl
    mon_mod = importlib.import_module(zmod.__name__ + ".utils.monitor")
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    lsn.settimeout(3)
    s = fast(c.socket(zmod.STREAM), 3000)
    mon = fast(s.get_monitor_socket(), 300)
    s.connect("tcp://127.0.0.1:%d" % lsn.getsockname()[1])
    conn, _ = lsn.accept()
    s.recv_multipart()
    conn.close()
    s.recv_multipart()
    conn, _ = lsn.accept()  # reconnected
    s.recv_multipart()
    events = []
    try:
        while True:
            events.append(mon_mod.recv_monitor_message(mon)["event"])
    except zmod.Again:
        pass
    names = ["CONNECT_DELAYED", "CONNECTED", "HANDSHAKE_FAILED_NO_DETAIL", "DISCONNECTED",
             "CONNECT_RETRIED", "CONNECT_DELAYED", "CONNECTED"]
    assert events == [zmq_ev(zmod, n) for n in names]
    s.disable_monitor()
    conn.close()
    lsn.close()


def test_close_with_linger_flushes(impl):
    zmod, c = impl
    srv = c.socket(zmod.STREAM)
    srv.setsockopt(zmod.LINGER, 3000)
    srv.setsockopt(zmod.RCVTIMEO, 3000)
    srv.bind("tcp://127.0.0.1:*")
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    try:
        rid, _ = srv.recv_multipart()
        blob = os.urandom(2 << 20)
        srv.send_multipart([rid, blob])
        srv.close()
        got, eof = _recv_until_eof(cli)
        assert got == blob and eof
    finally:
        cli.close()


def test_sndhwm_gives_eagain(impl, fast):
    zmod, c = impl
    srv = _server(zmod, c, fast, SNDHWM=2)
    srv.setsockopt(zmod.SNDTIMEO, 200)
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)  # and never reads
    try:
        rid, _ = srv.recv_multipart()
        t0 = time.monotonic()
        with pytest.raises(zmod.Again):
            for _ in range(100000):
                srv.send_multipart([rid, b"z" * 100000])
        assert time.monotonic() - t0 < 10
    finally:
        cli.close()


# ---- ROUTER: CONNECT_ROUTING_ID and ROUTER_RAW -----------------------------------------------


def test_router_connect_routing_id(impl, fast):
    zmod, c = impl
    back = fast(c.socket(zmod.ROUTER), 3000)
    back.setsockopt(zmod.ROUTING_ID, b"backend")
    back.bind("tcp://127.0.0.1:*")
    front = fast(c.socket(zmod.ROUTER), 3000)
    front.setsockopt(zmod.CONNECT_ROUTING_ID, b"to-backend")
    front.connect("tcp://127.0.0.1:%d" % _port(back))
    deadline = time.monotonic() + 3
    front.setsockopt(zmod.ROUTER_MANDATORY, 1)
    while True:  # the route exists once the handshake is done
        try:
            front.send_multipart([b"to-backend", b"hi"])
            break
        except zmod.ZMQError as e:
            assert e.errno == zmod.EHOSTUNREACH and time.monotonic() < deadline
            time.sleep(0.01)
    rid, data = back.recv_multipart()
    assert data == b"hi"
    back.send_multipart([rid, b"reply"])
    assert front.recv_multipart() == [b"to-backend", b"reply"]


def test_router_raw(impl, fast):
    zmod, c = impl
    r = fast(c.socket(zmod.ROUTER), 3000)
    r.setsockopt(zmod.ROUTER_RAW, 2)  # any nonzero value
    with pytest.raises(zmod.ZMQError) as e:
        r.getsockopt(zmod.ROUTER_RAW)
    assert e.value.errno == zmod.EINVAL
    r.send_multipart([b"\x00nope", b"x"])  # not mandatory: dropped
    r.bind("tcp://127.0.0.1:*")
    cli = socket.create_connection(("127.0.0.1", _port(r)), timeout=3)
    try:
        rid, note = r.recv_multipart()
        assert note == b"" and len(rid) == 5
        cli.sendall(b"raw!")
        assert r.recv_multipart() == [rid, b"raw!"]
        r.send_multipart([rid, b"back"])
        assert cli.recv(10) == b"back"
        r.setsockopt(zmod.ROUTER_MANDATORY, 1)
        with pytest.raises(zmod.ZMQError) as e:
            r.send_multipart([b"\x00nope", b"x"])
        assert e.value.errno == zmod.EHOSTUNREACH
        r.send_multipart([rid, b""])
        _, eof = _recv_until_eof(cli, pump=_pump(zmod, r))
        assert eof
    finally:
        cli.close()


# ---- zmqfast only ----------------------------------------------------------------------------


@pytest.mark.zmqfast_only
def test_duplicate_connect_routing_id_is_refused(zmq, ctx, fast):
    # libzmq asserts (and aborts the process) here; zmqfast refuses the connect
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    addr = "tcp://127.0.0.1:%d" % lsn.getsockname()[1]
    s = fast(ctx.socket(zmq.STREAM))
    s.setsockopt(zmq.CONNECT_ROUTING_ID, b"dup")
    s.connect(addr)
    s.setsockopt(zmq.CONNECT_ROUTING_ID, b"dup")
    with pytest.raises(zmq.ZMQError) as e:
        s.connect(addr)
    assert e.value.errno == zmq.EINVAL
    lsn.close()


@pytest.mark.zmqfast_only
def test_close_by_empty_frame_flushes_with_linger_zero(zmq, ctx, fast):
    srv = fast(ctx.socket(zmq.STREAM))  # LINGER 0
    srv.bind("tcp://127.0.0.1:*")
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=5)
    try:
        rid, _ = srv.recv_multipart()
        blob = os.urandom(4 << 20)
        srv.send_multipart([rid, blob])
        srv.send_multipart([rid, b""])
        got, eof = _recv_until_eof(cli)  # no help from socket calls needed
        assert eof and got == blob
    finally:
        cli.close()


@pytest.mark.zmqfast_only
def test_peer_metadata(zmq, ctx, fast):
    srv = fast(ctx.socket(zmq.STREAM))
    srv.bind("tcp://127.0.0.1:*")
    cli = socket.create_connection(("127.0.0.1", _port(srv)), timeout=3)
    try:
        srv.recv_multipart()
        cli.sendall(b"m")
        frames = srv.recv_multipart(copy=False)
        assert frames[1].bytes == b"m"
        assert frames[1].get("Peer-Address") == "127.0.0.1"
    finally:
        cli.close()


def test_asyncio_http_server(zmq):
    """An asyncio STREAM server answering an asyncio client: the way a small HTTP server is written."""
    import asyncio

    aio = importlib.import_module(zmq.__name__ + ".asyncio")

    async def main():
        c = aio.Context()
        srv = c.socket(zmq.STREAM)
        srv.setsockopt(zmq.LINGER, 0)
        srv.bind("tcp://127.0.0.1:*")
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(srv))
        rid, note = await asyncio.wait_for(srv.recv_multipart(), 3)
        assert note == b""
        writer.write(b"GET /x HTTP/1.0\r\n\r\n")
        rid2, req = await asyncio.wait_for(srv.recv_multipart(), 3)
        assert rid2 == rid and req.startswith(b"GET /x")
        await srv.send_multipart([rid, b"HTTP/1.0 204 No Content\r\n\r\n"])
        await srv.send_multipart([rid, b""])
        reply = await asyncio.wait_for(reader.read(), 3)  # to EOF
        assert reply == b"HTTP/1.0 204 No Content\r\n\r\n"
        writer.close()
        srv.close()
        c.term()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


@pytest.mark.zmqfast_only
def test_router_raw_after_bind_is_refused(zmq, ctx):
    # libzmq takes it, leaving the connections made so far speaking ZMTP under a raw ROUTER
    r = ctx.socket(zmq.ROUTER)
    r.bind("tcp://127.0.0.1:*")
    with pytest.raises(zmq.ZMQError) as e:
        r.setsockopt(zmq.ROUTER_RAW, 1)
    assert e.value.errno == zmq.EINVAL
    r.close()
