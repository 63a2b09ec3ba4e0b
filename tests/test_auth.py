"""Security: PLAIN and ZAP (RFC 24, 27) and zmqfast.auth, checked against libzmq through pyzmq.

Every test here also runs on pyzmq (ZMQFAST_IMPL=zmq), which keeps the expectations honest.
"""

import asyncio
import importlib
import os
import sys
import threading

try:
    import zmq.auth  # noqa: F401  (pyzmq.auth for the certificate test)
except ImportError:
    # the Windows Python of .ci/wine-python has no pyzmq: the tests that need it skip (conftest)
    if sys.platform != "win32":
        raise

import pytest

ZAP = "inproc://zeromq.zap.01"


def _auth(zmq, ctx):
    thread = importlib.import_module(zmq.__name__ + ".auth.thread")
    a = thread.ThreadAuthenticator(ctx)
    a.start()
    return a


@pytest.fixture
def auth(zmq, ctx):
    """A running ThreadAuthenticator in ctx, stopped after the test."""
    a = _auth(zmq, ctx)
    yield a
    a.stop()


def _pair(zmq, ctx, fast, bind, transport="tcp", user=b"admin", password=b"secret", server_ctx=None,
          server_zmq=None, domain=None):
    """A PLAIN PULL server (in server_ctx) and a PUSH client (in ctx); returns (server, client)."""
    szmq, sctx = server_zmq or zmq, server_ctx or ctx
    server = fast(sctx.socket(szmq.PULL), 1000)
    server.plain_server = True
    if domain is not None:
        server.zap_domain = domain
    ep = bind(server, transport)
    client = fast(ctx.socket(zmq.PUSH))
    client.plain_username = user
    client.plain_password = password
    client.connect(ep)
    return server, client


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_plain_admits_the_right_password_and_names_the_user(zmq, ctx, fast, bind, transport, auth):
    auth.configure_plain(domain="*", passwords={"admin": "secret"})
    server, client = _pair(zmq, ctx, fast, bind, transport)
    client.send(b"hello")
    frame = server.recv(copy=False)
    assert frame.bytes == b"hello"
    assert frame.get("User-Id") == "admin"
    assert frame.get("Socket-Type") == "PUSH"


def test_plain_refuses_a_wrong_password(zmq, ctx, fast, bind, auth):
    auth.configure_plain(domain="*", passwords={"admin": "secret"})
    server, client = _pair(zmq, ctx, fast, bind, password=b"wrong")
    client.send(b"hello")
    with pytest.raises(zmq.Again):
        server.recv()


def test_plain_without_a_zap_handler_admits_nobody(zmq, ctx, fast, bind):
    # libzmq 4.3: a PLAIN server with no handler fails every handshake (NO_DETAIL, EFAULT)
    server = fast(ctx.socket(zmq.PULL), 1000)
    server.plain_server = True
    mon = fast(server.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL))
    ep = bind(server, "tcp")
    client = fast(ctx.socket(zmq.PUSH))
    client.plain_username = b"admin"
    client.plain_password = b"secret"
    client.connect(ep)
    client.send(b"hello")
    from_mon = importlib.import_module(zmq.__name__ + ".utils.monitor").recv_monitor_message(mon)
    assert from_mon["event"] == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    assert from_mon["value"] == 14  # EFAULT
    with pytest.raises(zmq.Again):
        server.recv()
    server.disable_monitor()


def test_refusal_is_reported_as_an_auth_failure_on_both_sides(zmq, ctx, fast, bind, auth):
    monitor = importlib.import_module(zmq.__name__ + ".utils.monitor")
    auth.configure_plain(domain="*", passwords={"admin": "secret"})
    server = fast(ctx.socket(zmq.PULL), 1000)
    server.plain_server = True
    smon = fast(server.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH))
    ep = bind(server, "tcp")
    client = fast(ctx.socket(zmq.PUSH))
    client.plain_username = b"admin"
    client.plain_password = b"wrong"
    cmon = fast(client.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH))
    client.connect(ep)
    for mon in (smon, cmon):
        ev = monitor.recv_monitor_message(mon)
        assert (ev["event"], ev["value"]) == (zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400)
    server.disable_monitor()
    client.disable_monitor()


def test_null_asks_zap_only_when_the_socket_names_a_domain(zmq, ctx, fast, bind, auth):
    auth.deny("127.0.0.1")
    plain_null = fast(ctx.socket(zmq.PULL), 1000)
    ep = bind(plain_null, "tcp")
    c1 = fast(ctx.socket(zmq.PUSH))
    c1.connect(ep)
    c1.send(b"not asked")
    assert plain_null.recv() == b"not asked"

    guarded = fast(ctx.socket(zmq.PULL), 500)
    guarded.zap_domain = b"global"
    ep = bind(guarded, "tcp")
    c2 = fast(ctx.socket(zmq.PUSH))
    c2.connect(ep)
    c2.send(b"denied")
    with pytest.raises(zmq.Again):
        guarded.recv()


def test_null_allowed_address_gets_in_with_a_domain(zmq, ctx, fast, bind, auth):
    auth.allow("127.0.0.1")
    server = fast(ctx.socket(zmq.PULL), 1000)
    server.zap_domain = b"global"
    ep = bind(server, "tcp")
    client = fast(ctx.socket(zmq.PUSH))
    client.connect(ep)
    client.send(b"allowed")
    frame = server.recv(copy=False)
    assert frame.bytes == b"allowed" and frame.get("User-Id") == "anonymous"


def test_plain_domains_are_kept_apart(zmq, ctx, fast, bind, auth):
    auth.configure_plain(domain="other", passwords={"admin": "secret"})
    server, client = _pair(zmq, ctx, fast, bind, domain=b"mine")
    client.send(b"wrong domain")
    with pytest.raises(zmq.Again):
        server.recv()
    auth.configure_plain(domain="mine", passwords={"admin": "secret"})
    server2, client2 = _pair(zmq, ctx, fast, bind, domain=b"mine")
    client2.send(b"right domain")
    assert server2.recv() == b"right domain"


def test_the_zap_request_carries_what_rfc27_says(zmq, ctx, fast, bind):
    handler = fast(ctx.socket(zmq.REP))
    handler.bind(ZAP)
    server = fast(ctx.socket(zmq.PULL), 1000)
    server.plain_server = True
    server.zap_domain = b"dom"
    server.routing_id = b"srv-id"
    ep = bind(server, "tcp")
    client = fast(ctx.socket(zmq.PUSH))
    client.plain_username = b"alice"
    client.plain_password = b"pw"
    client.connect(ep)
    req = handler.recv_multipart()
    version, rid, domain, address, identity, mechanism, *cred = req
    assert (version, domain, address, identity, mechanism, cred) == (
        b"1.0", b"dom", b"127.0.0.1", b"srv-id", b"PLAIN", [b"alice", b"pw"])
    handler.send_multipart([b"1.0", rid, b"200", b"OK", b"alice-id", b""])
    client.send(b"in")
    frame = server.recv(copy=False)
    assert frame.bytes == b"in" and frame.get("User-Id") == "alice-id"


def test_a_malformed_zap_reply_refuses_the_peer_and_breaks_nothing(zmq, ctx, fast, bind):
    handler = fast(ctx.socket(zmq.REP))
    handler.bind(ZAP)
    server, client = _pair(zmq, ctx, fast, bind)
    req = handler.recv_multipart()
    handler.send_multipart([b"9.9", req[1], b"200", b"OK", b"", b""])  # wrong version
    client.send(b"x")
    with pytest.raises(zmq.Again):
        server.recv()
    # the next attempt (the client reconnects) is answered properly and gets in
    req = handler.recv_multipart()
    handler.send_multipart([b"1.0", req[1], b"200", b"OK", b"u", b""])
    assert server.recv() == b"x"


def test_security_options_as_libzmq(zmq, ctx):
    s = ctx.socket(zmq.DEALER)
    try:
        assert s.mechanism == zmq.NULL and s.plain_server == 0
        for bad in (b"", b"x" * 256):
            with pytest.raises(zmq.ZMQError) as e:
                s.plain_username = bad
            assert e.value.errno == zmq.EINVAL
        s.plain_username = b"admin"
        assert s.mechanism == zmq.PLAIN and s.plain_server == 0
        assert s.getsockopt(zmq.PLAIN_USERNAME) == b"admin"
        s.plain_password = b"pw"
        assert s.getsockopt(zmq.PLAIN_PASSWORD) == b"pw"
        s.plain_server = True
        assert s.mechanism == zmq.PLAIN and s.plain_server == 1
        s.plain_server = False  # as libzmq: back to NULL
        assert s.mechanism == zmq.NULL
        assert s.zap_domain == b""
        s.zap_domain = b"global"
        assert s.zap_domain == b"global"
        with pytest.raises(zmq.ZMQError) as e:
            s.zap_domain = b"d" * 256
        assert e.value.errno == zmq.EINVAL
    finally:
        s.close(0)


@pytest.mark.parametrize("zmqfast_side", ["server", "client"])
def test_plain_interop_with_libzmq(zmq, pyzmq, ctx, pctx, fast, bind, zmqfast_side):
    # The authenticator runs in the server's context, whichever implementation that is.
    if zmqfast_side == "server":
        szmq, sctx, czmq, cctx = zmq, ctx, pyzmq, pctx
    else:
        szmq, sctx, czmq, cctx = pyzmq, pctx, zmq, ctx
    auth = _auth(szmq, sctx)
    try:
        auth.configure_plain(domain="*", passwords={"admin": "secret"})
        for password, admitted in ((b"wrong", False), (b"secret", True)):
            server = fast(sctx.socket(szmq.PULL), 700)
            server.plain_server = True
            ep = bind(server, "tcp")
            client = fast(cctx.socket(czmq.PUSH))
            client.plain_username = b"admin"
            client.plain_password = password
            client.connect(ep)
            client.send(b"over the wire")
            if admitted:
                frame = server.recv(copy=False)
                assert frame.bytes == b"over the wire" and frame.get("User-Id") == "admin"
            else:
                with pytest.raises(szmq.Again):
                    server.recv()
            client.close(0)
            server.close(0)
    finally:
        auth.stop()


def test_asyncio_authenticator(zmq, fast, bind):
    aio = importlib.import_module(zmq.__name__ + ".asyncio")
    auth_aio = importlib.import_module(zmq.__name__ + ".auth.asyncio")

    async def main():
        ctx = aio.Context()
        auth = auth_aio.AsyncioAuthenticator(ctx)
        auth.start()
        auth.configure_plain(domain="*", passwords={"admin": "secret"})
        server = ctx.socket(zmq.PULL)
        server.linger = 0
        server.plain_server = True
        ep = bind(server, "tcp")
        client = ctx.socket(zmq.PUSH)
        client.linger = 0
        client.plain_username = b"admin"
        client.plain_password = b"secret"
        client.connect(ep)
        await client.send(b"via asyncio")
        got = await asyncio.wait_for(server.recv(), 5)
        auth.stop()
        client.close()
        server.close()
        ctx.term()
        return got

    assert asyncio.run(main()) == b"via asyncio"


def test_authenticator_policy_without_sockets(zmq, ctx):
    # handle_zap_message is the policy alone: drive it with hand-made requests.
    base = importlib.import_module(zmq.__name__ + ".auth.base")
    auth = base.Authenticator(ctx)
    auth.start()
    sent = []
    auth._send_zap_reply = lambda rid, code, text, user="anonymous": sent.append((code, text))
    try:
        def ask(mech, *cred, address=b"10.0.0.1"):
            asyncio.run(auth.handle_zap_message([b"1.0", b"1", b"", address, b"", mech, *cred]))
            return sent.pop()
        assert ask(b"NULL") == (b"200", b"OK")
        assert ask(b"PLAIN", b"a", b"b") == (b"400", b"No passwords defined")
        auth.configure_plain(passwords={"a": "b"})
        assert ask(b"PLAIN", b"a", b"b") == (b"200", b"OK")
        assert ask(b"PLAIN", b"a", b"c") == (b"400", b"Invalid password")
        assert ask(b"PLAIN", b"z", b"b") == (b"400", b"Invalid username")
        assert ask(b"PLAIN", b"a") == (b"400", b"Invalid credentials")
        auth.deny("10.0.0.1")
        assert ask(b"NULL") == (b"400", b"Address denied")
        with pytest.raises(ValueError):
            auth.allow("10.0.0.2")
    finally:
        auth.stop()


def test_certificates_round_trip_with_pyzmq(zmq, pyzmq, tmp_path):
    certs = importlib.import_module(zmq.__name__ + ".auth.certs")
    pub_file, sec_file = certs.create_certificates(str(tmp_path), "server", metadata={"who": "me"})
    public, secret = certs.load_certificate(sec_file)
    assert len(public) == 40 and len(secret) == 40
    assert zmq.curve_public(secret) == public
    # pyzmq reads the files we write, and we read the files pyzmq writes
    assert pyzmq.auth.load_certificate(pub_file) == (public, None)
    assert pyzmq.auth.load_certificate(sec_file) == (public, secret)
    other = tmp_path / "theirs"
    other.mkdir()
    p_pub, p_sec = pyzmq.auth.create_certificates(str(other), "client")
    assert certs.load_certificate(p_sec) == pyzmq.auth.load_certificate(p_sec)
    assert certs.load_certificates(str(other)) == {pyzmq.auth.load_certificate(p_pub)[0]: True}
    for missing in (lambda: certs.load_certificates(str(tmp_path / "missing")),
                    lambda: certs.load_certificate(str(tmp_path / "missing.key"))):
        with pytest.raises(OSError):
            missing()


def test_certificates_secure_a_real_curve_connection(zmq, pyzmq, ctx, pctx, fast, bind, tmp_path):
    # The certificates of the round trip above, used: a zmqfast server with our certificate
    # and an authenticator reading pyzmq's public certificates admits the pyzmq client that
    # holds the matching secret one.
    certs = importlib.import_module(zmq.__name__ + ".auth.certs")
    _, s_sec = certs.create_certificates(str(tmp_path), "server")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    _, c_sec = pyzmq.auth.create_certificates(str(allowed), "client")
    os.rename(c_sec, tmp_path / "client.key_secret")
    s_public, s_secret = certs.load_certificate(s_sec)
    c_public, c_secret = pyzmq.auth.load_certificate(str(tmp_path / "client.key_secret"))
    auth = _auth(zmq, ctx)
    try:
        auth.configure_curve(domain="*", location=str(allowed))
        server = fast(ctx.socket(zmq.PULL))
        server.curve_secretkey = s_secret
        server.curve_publickey = s_public
        server.curve_server = True
        ep = bind(server, "tcp")
        client = fast(pctx.socket(pyzmq.PUSH))
        client.curve_serverkey = s_public
        client.curve_publickey = c_public
        client.curve_secretkey = c_secret
        client.connect(ep)
        client.send(b"certified")
        frame = server.recv(copy=False)
        assert frame.bytes == b"certified" and frame.get("User-Id") == c_public.decode()
    finally:
        auth.stop()


def test_asyncio_authenticator_curve(zmq, fast, bind):
    # CURVE through the asyncio authenticator, with a coroutine deciding on the key
    aio = importlib.import_module(zmq.__name__ + ".asyncio")
    auth_aio = importlib.import_module(zmq.__name__ + ".auth.asyncio")
    spub, ssec = zmq.curve_keypair()
    cpub, csec = zmq.curve_keypair()

    class Provider:
        async def callback(self, domain, key):
            await asyncio.sleep(0.01)
            return key == cpub

    async def main():
        ctx = aio.Context()
        auth = auth_aio.AsyncioAuthenticator(ctx)
        auth.start()
        auth.configure_curve_callback(domain="*", credentials_provider=Provider())
        server = ctx.socket(zmq.PULL)
        server.linger = 0
        server.curve_server = True
        server.curve_secretkey = ssec
        server.curve_publickey = spub
        ep = bind(server, "tcp")
        client = ctx.socket(zmq.PUSH)
        client.linger = 0
        client.curve_serverkey = spub
        client.curve_publickey = cpub
        client.curve_secretkey = csec
        client.connect(ep)
        await client.send(b"curve via asyncio")
        frame = await asyncio.wait_for(server.recv(copy=False), 5)
        auth.stop()
        client.close()
        server.close()
        ctx.term()
        return frame.bytes, frame.get("User-Id")

    assert asyncio.run(main()) == (b"curve via asyncio", cpub.decode())
