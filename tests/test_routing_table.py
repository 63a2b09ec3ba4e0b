"""ROUTER and STREAM routing ids at scale (the routing table, csrc/routing.c): thousands of ids,
ids of every length, handover, duplicates refused, an id freed by a disconnect and taken again,
ROUTER_MANDATORY on unknown ids, CONNECT_ROUTING_ID, and STREAM's generated ids. Every test runs
against pyzmq too (ZMQFAST_IMPL=zmq): the behaviour is libzmq's."""

import socket as pysocket
import sys
import time

import pytest
from conftest import IS_ZMQFAST

INPROC_PEERS = 3000
TCP_PEERS = 300


def _ctx_for(zmq, ctx, n):
    ctx.set(zmq.MAX_SOCKETS, n + 64)
    return ctx


def _dealers(zmq, ctx, fast, ep, ids):
    out = []
    for ident in ids:
        d = fast(ctx.socket(zmq.DEALER))
        if ident is not None:
            d.setsockopt(zmq.IDENTITY, ident)
        d.connect(ep)
        out.append(d)
    return out


def _recv_all(router, n):
    """n messages from the router as {id: body}; fails on a repeated id."""
    got = {}
    for _ in range(n):
        ident, body = router.recv_multipart()
        assert ident not in got, f"id {ident!r} seen twice"
        got[ident] = body
    return got


def _close(socks):
    for s in socks:
        s.close(linger=0)


def _send_when_routable(zmq, router, frames, timeout=5.0):
    """ROUTER_MANDATORY send, retried while the peer is not known yet (connect is async)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            router.send_multipart(frames)
            return
        except zmq.ZMQError as e:
            assert e.errno == zmq.EHOSTUNREACH
            assert time.monotonic() < deadline, f"{frames[0]!r} never became routable"
            router.poll(10)


def _until_unroutable(zmq, sock, ident, timeout=5.0):
    """Send to ident until the socket says EHOSTUNREACH (it must, within timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.send_multipart([ident, b"anyone?"])
        except zmq.Again:
            pass  # libzmq: the pipe is still there, closing, and takes nothing
        except zmq.ZMQError as e:
            assert e.errno == zmq.EHOSTUNREACH
            return
        assert time.monotonic() < deadline, f"{ident!r} stayed routable after its peer left"
        sock.poll(20)


def test_router_routes_thousands_of_inproc_peers_by_identity(zmq, ctx, fast):
    _ctx_for(zmq, ctx, INPROC_PEERS)
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.setsockopt(zmq.RCVHWM, 0)
    router.bind("inproc://many-ids")
    ids = [b"peer-%d" % i for i in range(INPROC_PEERS)]
    dealers = _dealers(zmq, ctx, fast, "inproc://many-ids", ids)
    for i, d in enumerate(dealers):
        d.send(b"req %d" % i)
    got = _recv_all(router, INPROC_PEERS)
    assert got == {ident: b"req %d" % i for i, ident in enumerate(ids)}
    # replies in another order than the requests came: every id goes to its own peer
    for i in reversed(range(INPROC_PEERS)):
        router.send_multipart([ids[i], b"rep %d" % i])
    for i, d in enumerate(dealers):
        assert d.recv() == b"rep %d" % i
    with pytest.raises(zmq.ZMQError) as info:
        router.send_multipart([b"peer-%d" % INPROC_PEERS, b"nobody"])
    assert info.value.errno == zmq.EHOSTUNREACH
    _close(dealers)


def test_router_routes_hundreds_of_tcp_peers_named_and_anonymous(zmq, ctx, fast, bind):
    _ctx_for(zmq, ctx, TCP_PEERS)
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    ep = bind(router, "tcp")
    named = [b"tcp-%d" % i for i in range(TCP_PEERS // 2)]
    dealers = _dealers(zmq, ctx, fast, ep, named + [None] * (TCP_PEERS - len(named)))
    for i, d in enumerate(dealers):
        d.send(b"%d" % i)
    got = _recv_all(router, TCP_PEERS)
    by_body = {body: ident for ident, body in got.items()}
    for i, ident in enumerate(named):
        assert by_body[b"%d" % i] == ident
    generated = [ident for ident in got if ident not in set(named)]
    assert len(generated) == TCP_PEERS - len(named)
    # libzmq's form: a zero byte and a 32-bit counter
    assert all(len(g) == 5 and g[0] == 0 for g in generated)
    for ident, body in got.items():
        router.send_multipart([ident, b"echo " + body])
    for i, d in enumerate(dealers):
        assert d.recv() == b"echo %d" % i
    _close(dealers)


def test_router_tells_apart_ids_of_every_length_and_shared_prefixes(zmq, ctx, fast):
    _ctx_for(zmq, ctx, 600)
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.bind("inproc://lengths")
    ids = [b"x" * n for n in range(1, 256)]  # each a prefix of the next
    ids += [b"k" * 40 + bytes([i]) for i in range(1, 256)]  # differ in the last byte only
    dealers = _dealers(zmq, ctx, fast, "inproc://lengths", ids)
    for d in dealers:
        d.send(b"hi")
    assert set(_recv_all(router, len(ids))) == set(ids)
    for ident in ids:
        router.send_multipart([ident, ident])
    for ident, d in zip(ids, dealers):
        assert d.recv() == ident
    _close(dealers)


def test_router_refuses_newcomers_with_ids_in_use(zmq, ctx, fast, bind):
    _ctx_for(zmq, ctx, 100)
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    ep = bind(router, "tcp")
    ids = [b"dup-%d" % i for i in range(40)]
    first = _dealers(zmq, ctx, fast, ep, ids)
    for d in first:
        d.send(b"first")
    assert _recv_all(router, len(ids)) == {i: b"first" for i in ids}
    second = _dealers(zmq, ctx, fast, ep, ids)
    for d in second:
        d.send(b"second")
    time.sleep(0.3)  # the newcomers' handshakes reach the router, which refuses them
    with pytest.raises(zmq.Again):
        router.recv_multipart()  # nothing from a refused peer
    for ident in ids:
        router.send_multipart([ident, b"to the first"])
    for d in first:
        assert d.recv() == b"to the first"
    time.sleep(0.1)
    for d in second:
        with pytest.raises(zmq.Again):
            d.recv(zmq.NOBLOCK)
    _close(first + second)


def test_router_handover_moves_many_ids_to_the_newcomers(zmq, ctx, fast, bind):
    _ctx_for(zmq, ctx, 100)
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_HANDOVER, 1)
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    ep = bind(router, "tcp")
    ids = [b"hand-%d" % i for i in range(40)]
    old = _dealers(zmq, ctx, fast, ep, ids)
    for d in old:
        d.send(b"old")
    assert _recv_all(router, len(ids)) == {i: b"old" for i in ids}
    new = _dealers(zmq, ctx, fast, ep, ids)
    for d in new:
        d.send(b"new")
    assert _recv_all(router, len(ids)) == {i: b"new" for i in ids}
    for ident in ids:
        router.send_multipart([ident, b"to the newcomer"])
    for d in new:
        assert d.recv() == b"to the newcomer"
    time.sleep(0.1)
    for d in old:
        with pytest.raises(zmq.Again):
            d.recv(zmq.NOBLOCK)
    _close(old + new)


def test_router_frees_an_id_when_its_peer_disconnects_and_a_new_peer_takes_it(zmq, ctx, fast, bind):
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    ep = bind(router, "tcp")
    for round_ in range(5):
        d = fast(ctx.socket(zmq.DEALER))
        d.setsockopt(zmq.IDENTITY, b"reused")
        d.connect(ep)
        d.send(b"round %d" % round_)
        assert router.recv_multipart() == [b"reused", b"round %d" % round_]
        router.send_multipart([b"reused", b"ack %d" % round_])
        assert d.recv() == b"ack %d" % round_
        d.close(linger=0)
        # the router notices the disconnect: the id becomes unknown, then the next round's
        # peer takes it
        _until_unroutable(zmq, router, b"reused")


def test_router_mandatory_refuses_unknown_ids_of_any_shape(zmq, ctx, fast):
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.bind("inproc://unknown")
    d = fast(ctx.socket(zmq.DEALER))
    d.setsockopt(zmq.IDENTITY, b"known")
    d.connect("inproc://unknown")
    d.send(b"hello")
    assert router.recv_multipart() == [b"known", b"hello"]
    for unknown in (b"know", b"known!", b"KNOWN", b"\x00known", b"k" * 255, b"\x00\x00\x00\x00\x01"):
        with pytest.raises(zmq.ZMQError) as info:
            router.send_multipart([unknown, b"x"])
        assert info.value.errno == zmq.EHOSTUNREACH
    router.send_multipart([b"known", b"yes"])
    assert d.recv() == b"yes"


def test_router_without_mandatory_drops_unknown_ids_and_delivers_the_rest(zmq, ctx, fast):
    _ctx_for(zmq, ctx, 200)
    router = fast(ctx.socket(zmq.ROUTER))
    router.bind("inproc://drop-unknown")
    ids = [b"d%d" % i for i in range(100)]
    dealers = _dealers(zmq, ctx, fast, "inproc://drop-unknown", ids)
    for d in dealers:
        d.send(b"x")
    _recv_all(router, len(ids))
    for i, ident in enumerate(ids):
        router.send_multipart([b"nobody-%d" % i, b"lost"])
        router.send_multipart([ident, b"for %d" % i])
    for i, d in enumerate(dealers):
        assert d.recv() == b"for %d" % i
    _close(dealers)


def test_connect_routing_ids_name_many_outgoing_connections(zmq, ctx, fast, bind):
    _ctx_for(zmq, ctx, 100)
    client = fast(ctx.socket(zmq.ROUTER))
    client.setsockopt(zmq.ROUTER_MANDATORY, 1)
    servers = []
    for i in range(30):
        srv = fast(ctx.socket(zmq.DEALER))
        ep = bind(srv, "tcp" if i % 2 else "inproc")
        client.setsockopt(zmq.CONNECT_ROUTING_ID, b"server-%d" % i)
        client.connect(ep)
        servers.append(srv)
    for i in reversed(range(30)):
        _send_when_routable(zmq, client, [b"server-%d" % i, b"to %d" % i])
    for i, srv in enumerate(servers):
        assert srv.recv() == b"to %d" % i
        srv.send(b"from %d" % i)
    assert _recv_all(client, 30) == {b"server-%d" % i: b"from %d" % i for i in range(30)}
    _close(servers)


def test_stream_gives_every_connection_its_own_id_and_forgets_it_on_disconnect(zmq, ctx, fast, bind):
    stream = fast(ctx.socket(zmq.STREAM))
    ep = bind(stream, "tcp")
    host, port = ep.rsplit("/", 1)[1].rsplit(":", 1)
    clients = [pysocket.create_connection((host, int(port)), timeout=5) for _ in range(200)]
    ids = set()
    for _ in clients:  # STREAM_NOTIFY: a connection first shows up as [id, empty]
        ident, body = stream.recv_multipart()
        assert body == b"" and len(ident) == 5 and ident[0] == 0
        ids.add(ident)
    assert len(ids) == len(clients)
    for i, c in enumerate(clients):
        c.sendall(b"client %d\n" % i)
    by_body = {}
    while len(by_body) < len(clients):
        ident, body = stream.recv_multipart()
        assert ident in ids
        for line in body.splitlines():
            by_body[line] = ident
    for i, c in enumerate(clients):
        stream.send_multipart([by_body[b"client %d" % i], b"back %d" % i])
    for i, c in enumerate(clients):
        want = b"back %d" % i
        got = b""
        while len(got) < len(want):
            got += c.recv(64)
        assert got == want
    gone = by_body[b"client 0"]
    clients[0].close()
    ident, body = stream.recv_multipart()  # the disconnect notification
    assert (ident, body) == (gone, b"")
    if IS_ZMQFAST:
        # libzmq lets go of the pipe later, and now and then keeps it routable for seconds
        # (1 run in ~8 here): not a behaviour to pin on both
        _until_unroutable(zmq, stream, gone)
    # closing a connection from our side frees its id too
    closer = by_body[b"client 1"]
    stream.send_multipart([closer, b""])
    clients[1].settimeout(0.02)
    deadline = time.monotonic() + 5
    while True:  # libzmq runs its pipe commands inside socket calls: keep the STREAM busy
        try:
            assert clients[1].recv(16) == b""
            break
        except pysocket.timeout:
            stream.poll(5)
            assert time.monotonic() < deadline, "the connection closed by an empty frame stayed open"
    _until_unroutable(zmq, stream, closer)
    # and the others are still there
    stream.send_multipart([by_body[b"client 2"], b"still here"])
    assert clients[2].recv(64) == b"still here"
    for c in clients[1:]:
        c.close()


def test_router_refusing_a_large_zero_copy_id_leaves_the_frame_intact(zmq, ctx, fast):
    # A failed send leaves the frame's buffer to its caller (zf_sock_ops.send), which lets go
    # of it once: the id's bytes survive refused sends, nothing holds on to them afterwards,
    # and a later send goes through.
    router = fast(ctx.socket(zmq.ROUTER))
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    router.bind("inproc://big-id")
    d = fast(ctx.socket(zmq.DEALER))
    d.setsockopt(zmq.IDENTITY, b"known")
    d.connect("inproc://big-id")
    d.send(b"hi")
    assert router.recv_multipart() == [b"known", b"hi"]
    big = b"u" * 200_000
    refs = sys.getrefcount(big)
    for _ in range(20):
        with pytest.raises(zmq.ZMQError) as info:
            router.send_multipart([big, b"x"], copy=False)
        assert info.value.errno == zmq.EHOSTUNREACH
    assert big == b"u" * 200_000
    router.send_multipart([b"known", b"b" * 100_000], copy=False)
    assert d.recv() == b"b" * 100_000
    router.send_multipart([b"known", b"again"])  # zmqfast lets go of held buffers on a send
    assert d.recv() == b"again"
    if IS_ZMQFAST:  # pyzmq releases them from another thread, some time later
        assert sys.getrefcount(big) == refs
