"""The CurveZMQ handshake and MESSAGE boxes (csrc/curve.c, RFC 26) through zmqfast._core._Curve:
zf_curve against itself, against an independent reference written here from RFC 26 with PyNaCl,
and against libzmq (pyzmq) over a raw TCP connection; tampering, replays and misuse."""

import errno
import os
import socket
import sys
import time

import pytest
from zmtp_peer import CMD, frame, greeting, prop, read_exact, read_frame

nacl = pytest.importorskip("nacl.bindings")

pytestmark = pytest.mark.zmqfast_only

ZEROS64 = b"\x00" * 64

BROKEN = 5  # ZF_CURVE_BROKEN
ESTABLISHED = 4

CLIENT_META = prop(b"Socket-Type", b"DEALER") + prop(b"Identity", b"")
SERVER_META = prop(b"Socket-Type", b"ROUTER")


@pytest.fixture(scope="module")
def core():
    import zmqfast._core as c

    return c


def _err(zmq, want, fn, *args):
    with pytest.raises(zmq.ZMQError) as e:
        fn(*args)
    assert e.value.errno == want, (e.value.errno, want)


# ---- a reference peer, from RFC 26 and PyNaCl --------------------------------------------------


class RefClient:
    def __init__(self, S, keys=None):
        self.S = S
        self.C, self.c = keys or nacl.crypto_box_keypair()
        self.Cp, self.cp = nacl.crypto_box_keypair()
        self.nonce = 1
        self.peer_nonce = 0

    def short(self):
        n = self.nonce.to_bytes(8, "big")
        self.nonce += 1
        return n

    def hello(self):
        n = self.short()
        box = nacl.crypto_box(ZEROS64, b"CurveZMQHELLO---" + n, self.S, self.cp)
        return b"\x05HELLO\x01\x00" + b"\x00" * 72 + self.Cp + n + box

    def welcome(self, cmd):
        assert len(cmd) == 168 and cmd[:8] == b"\x07WELCOME"
        plain = nacl.crypto_box_open(cmd[24:], b"WELCOME-" + cmd[8:24], self.S, self.cp)
        self.Sp, self.cookie = plain[:32], plain[32:]

    def initiate(self, meta=b"", vouch=None):
        vn = os.urandom(16)
        vplain = vouch if vouch is not None else self.Cp + self.S
        vbox = vn + nacl.crypto_box(vplain, b"VOUCH---" + vn, self.Sp, self.c)
        n = self.short()
        box = nacl.crypto_box(self.C + vbox + meta, b"CurveZMQINITIATE" + n, self.Sp, self.cp)
        return b"\x08INITIATE" + self.cookie + n + box

    def ready(self, cmd):
        assert cmd[:6] == b"\x05READY"
        return nacl.crypto_box_open(cmd[14:], b"CurveZMQREADY---" + cmd[6:14], self.Sp, self.cp)

    def message(self, data, flags=0, nonce=None):
        n = nonce.to_bytes(8, "big") if nonce is not None else self.short()
        box = nacl.crypto_box(bytes([flags]) + data, b"CurveZMQMESSAGEC" + n, self.Sp, self.cp)
        return b"\x07MESSAGE" + n + box

    def open_message(self, cmd):
        assert cmd[:8] == b"\x07MESSAGE"
        nonce = int.from_bytes(cmd[8:16], "big")
        assert nonce > self.peer_nonce
        self.peer_nonce = nonce
        plain = nacl.crypto_box_open(cmd[16:], b"CurveZMQMESSAGES" + cmd[8:16], self.Sp, self.cp)
        return plain[1:], plain[0]


class RefServer:
    def __init__(self):
        self.S, self.s = nacl.crypto_box_keypair()
        self.nonce = 1
        self.peer_nonce = 0

    def short(self):
        n = self.nonce.to_bytes(8, "big")
        self.nonce += 1
        return n

    def hello(self, cmd):
        assert len(cmd) == 200 and cmd[:8] == b"\x05HELLO\x01\x00"
        assert cmd[8:80] == b"\x00" * 72
        self.Cp = cmd[80:112]
        assert nacl.crypto_box_open(cmd[120:], b"CurveZMQHELLO---" + cmd[112:120], self.Cp,
                                    self.s) == ZEROS64

    def welcome(self):
        self.Sp, self.sp = nacl.crypto_box_keypair()
        self.K = os.urandom(32)
        cn, wn = os.urandom(16), os.urandom(16)
        cookie = cn + nacl.crypto_secretbox(self.Cp + self.sp, b"COOKIE--" + cn, self.K)
        box = nacl.crypto_box(self.Sp + cookie, b"WELCOME-" + wn, self.Cp, self.s)
        return b"\x07WELCOME" + wn + box

    def initiate(self, cmd):
        assert cmd[:9] == b"\x08INITIATE"
        cookie = cmd[9:105]
        assert nacl.crypto_secretbox_open(cookie[16:], b"COOKIE--" + cookie[:16],
                                          self.K) == self.Cp + self.sp
        plain = nacl.crypto_box_open(cmd[113:], b"CurveZMQINITIATE" + cmd[105:113], self.Cp,
                                     self.sp)
        C, vouch = plain[:32], plain[32:128]
        assert nacl.crypto_box_open(vouch[16:], b"VOUCH---" + vouch[:16], C,
                                    self.sp) == self.Cp + self.S
        return C, plain[128:]

    def ready(self, meta):
        n = self.short()
        return b"\x05READY" + n + nacl.crypto_box(meta, b"CurveZMQREADY---" + n, self.Cp, self.sp)

    def message(self, data, flags=0):
        n = self.short()
        box = nacl.crypto_box(bytes([flags]) + data, b"CurveZMQMESSAGES" + n, self.Cp, self.sp)
        return b"\x07MESSAGE" + n + box

    def open_message(self, cmd):
        assert cmd[:8] == b"\x07MESSAGE"
        nonce = int.from_bytes(cmd[8:16], "big")
        assert nonce > self.peer_nonce
        self.peer_nonce = nonce
        plain = nacl.crypto_box_open(cmd[16:], b"CurveZMQMESSAGEC" + cmd[8:16], self.Cp, self.sp)
        return plain[1:], plain[0]


# ---- handshakes ------------------------------------------------------------------------------


def _pair(core):
    spk, ssk = core._curve_keypair()
    cpk, csk = core._curve_keypair()
    return (core._Curve(False, cpk, csk, spk), core._Curve(True, spk, ssk), cpk, spk)


def _handshake(cl, sv, cmeta=CLIENT_META, smeta=SERVER_META):
    hello = cl.hello()
    assert len(hello) == 200
    sv.server_hello(hello)
    welcome = sv.welcome()
    assert len(welcome) == 168
    cl.client_welcome(welcome)
    initiate = cl.initiate(cmeta)
    assert len(initiate) == 257 + len(cmeta)
    assert sv.server_initiate(initiate) == cmeta
    ready = sv.ready(smeta)
    assert len(ready) == 30 + len(smeta)
    assert cl.client_ready(ready) == smeta
    return hello, welcome, initiate, ready


def test_handshake_and_messages(core):
    cl, sv, cpk, spk = _pair(core)
    _handshake(cl, sv)
    assert cl.state == sv.state == ESTABLISHED
    assert sv.peer_key == cpk and cl.peer_key == spk
    assert cl.peer_transient_key == sv.transient_key
    assert sv.peer_transient_key == cl.transient_key
    for n in (0, 1, 15, 16, 17, 255, 256, 1000, 65536, 1 << 20):
        data = os.urandom(n)
        for flags in (0, 1, 2, 3):
            m = cl.encode(data, flags)
            assert len(m) == 33 + n and m[:8] == b"\x07MESSAGE"
            assert sv.decode(m) == (data, flags)
            assert cl.decode(sv.encode(data, flags)) == (data, flags)


def test_only_the_session_key_outlives_ready(core):
    # after READY the connection state keeps the session keys and public keys; the permanent
    # and transient secrets, the box key between them, the cookie and its key are wiped
    # (zeros), on both sides
    cl, sv, cpk, spk = _pair(core)
    sv.server_hello(cl.hello())
    welcome = sv.welcome()
    cl.client_welcome(welcome)
    for side, fields in ((sv, ("secret", "transient_secret", "cookie_key")),
                         (cl, ("secret", "transient_secret", "cookie"))):
        for name in fields:
            assert side.secrets[name].strip(b"\0"), name  # held during the handshake
    sv.server_initiate(cl.initiate(CLIENT_META))
    ready = sv.ready(SERVER_META)
    assert sv.state == ESTABLISHED and cl.state != ESTABLISHED
    cl.client_ready(ready)
    zeros = {"secret": bytes(32), "transient_secret": bytes(32), "box_key": bytes(32),
             "cookie": bytes(96), "cookie_key": bytes(32)}
    for side in (cl, sv):
        assert side.secrets == zeros
    # what stays: one subkey per direction, the client's sending key the server's receiving one
    (ctx, crx), (stx, srx) = cl.session_keys, sv.session_keys
    assert ctx == srx and crx == stx and ctx != crx and ctx.strip(b"\0") and crx.strip(b"\0")
    assert sv.peer_key == cpk and cl.peer_key == spk
    assert sv.decode(cl.encode(b"still talking", 0)) == (b"still talking", 0)
    assert cl.decode(sv.encode(b"both ways", 1)) == (b"both ways", 1)


def test_cookie_key_lasts_sixty_seconds(core, zmq):
    # RFC 26: the server's cookie key is gone 60 s after WELCOME, whatever HANDSHAKE_IVL says
    # (0, no limit, would otherwise take an INITIATE any time later)
    cl, sv, _, _ = _pair(core)
    sv.server_hello(cl.hello())
    welcome = sv.welcome()
    now_ms = time.monotonic() * 1000  # the engine's clock (CLOCK_MONOTONIC)
    # Windows: the engine reads QueryPerformanceCounter, Python 3.11's monotonic() GetTickCount64,
    # which moves in steps of up to 16 ms
    slack = 16 if sys.platform == "win32" else 0
    assert 59_000 - slack <= sv.cookie_deadline - now_ms <= 60_000 + slack
    cl.client_welcome(welcome)
    initiate = cl.initiate(CLIENT_META)
    sv.cookie_deadline = int(now_ms) - 5_000  # as if the INITIATE came 65 s after WELCOME
    _err(zmq, errno.EBADMSG, sv.server_initiate, initiate)
    assert sv.state == BROKEN
    assert sv.secrets["cookie_key"] == bytes(32)


def test_initiate_within_the_cookie_lifetime(core):
    cl, sv, _, _ = _pair(core)
    sv.server_hello(cl.hello())
    cl.client_welcome(sv.welcome())
    initiate = cl.initiate(CLIENT_META)
    sv.cookie_deadline = int(time.monotonic() * 1000) + 1_000  # 59 s have passed
    assert sv.server_initiate(initiate) == CLIENT_META


def test_handshake_empty_metadata(core):
    cl, sv, _, _ = _pair(core)
    _handshake(cl, sv, b"", b"")


def test_short_nonces_count_up(core):
    cl, sv, _, _ = _pair(core)
    hello, _, initiate, ready = _handshake(cl, sv)
    assert hello[112:120] == (1).to_bytes(8, "big")
    assert initiate[105:113] == (2).to_bytes(8, "big")
    assert ready[6:14] == (1).to_bytes(8, "big")
    assert cl.encode(b"x")[8:16] == (3).to_bytes(8, "big")
    assert sv.encode(b"x")[8:16] == (2).to_bytes(8, "big")


def test_fresh_keys_and_long_nonces(core):
    # every connection: new transient keys, new long nonces, a new cookie
    spk, ssk = core._curve_keypair()
    cpk, csk = core._curve_keypair()
    welcomes, initiates, transients = [], [], set()
    for _ in range(2):
        cl, sv = core._Curve(False, cpk, csk, spk), core._Curve(True, spk, ssk)
        assert sv.transient_key == bytes(32)  # made only for a valid HELLO
        sv.server_hello(cl.hello())
        w = sv.welcome()
        cl.client_welcome(w)
        welcomes.append(w)
        initiates.append(cl.initiate())
        transients |= {cl.transient_key, sv.transient_key}
    assert len(transients) == 4
    assert welcomes[0][8:24] != welcomes[1][8:24]  # WELCOME's long nonce
    assert initiates[0][9:25] != initiates[1][9:25]  # the cookie's long nonce


def test_ours_client_vs_reference_server(core):
    ref = RefServer()
    cpk, csk = core._curve_keypair()
    cl = core._Curve(False, cpk, csk, ref.S)
    ref.hello(cl.hello())
    cl.client_welcome(ref.welcome())
    C, meta = ref.initiate(cl.initiate(CLIENT_META))
    assert C == cpk and meta == CLIENT_META
    assert cl.client_ready(ref.ready(SERVER_META)) == SERVER_META
    for data, flags in ((b"", 1), (b"hello", 0), (os.urandom(70000), 2)):
        assert ref.open_message(cl.encode(data, flags)) == (data, flags)
        assert cl.decode(ref.message(data, flags)) == (data, flags)


def test_reference_client_vs_ours_server(core):
    spk, ssk = core._curve_keypair()
    sv = core._Curve(True, spk, ssk)
    ref = RefClient(spk)
    sv.server_hello(ref.hello())
    ref.welcome(sv.welcome())
    assert sv.server_initiate(ref.initiate(CLIENT_META)) == CLIENT_META
    assert sv.peer_key == ref.C
    assert ref.ready(sv.ready(SERVER_META)) == SERVER_META
    for data, flags in ((b"", 1), (b"hello", 0), (os.urandom(70000), 3)):
        assert sv.decode(ref.message(data, flags)) == (data, flags)
        assert ref.open_message(sv.encode(data, flags)) == (data, flags)


# ---- refusals ----------------------------------------------------------------------------------


def _established_with_ref(core):
    spk, ssk = core._curve_keypair()
    sv = core._Curve(True, spk, ssk)
    ref = RefClient(spk)
    sv.server_hello(ref.hello())
    ref.welcome(sv.welcome())
    sv.server_initiate(ref.initiate())
    ref.ready(sv.ready())
    return sv, ref


def _flip(b, pos, bit=1):
    b = bytearray(b)
    b[pos] ^= bit
    return bytes(b)


def test_tampered_hello(core, zmq):
    spk, ssk = core._curve_keypair()
    cl = core._Curve(False, *core._curve_keypair(), spk)
    hello = cl.hello()
    for pos in list(range(0, 8)) + list(range(80, 200)):
        sv = core._Curve(True, spk, ssk)
        with pytest.raises(zmq.ZMQError) as e:
            sv.server_hello(_flip(hello, pos))
        assert e.value.errno in (errno.EPROTO, errno.EBADMSG), pos
        assert sv.state == BROKEN
    core._Curve(True, spk, ssk).server_hello(hello)


def test_hello_padding_must_be_zeros(core, zmq):
    # RFC 26: the 72 bytes of anti-amplification padding are zeros; libzmq does not look,
    # zmqfast refuses a HELLO with anything there as malformed
    spk, ssk = core._curve_keypair()
    hello = core._Curve(False, *core._curve_keypair(), spk).hello()
    assert hello[8:80] == bytes(72)
    for pos in (8, 40, 79):
        sv = core._Curve(True, spk, ssk)
        _err(zmq, errno.EPROTO, sv.server_hello, _flip(hello, pos, 0x80))
        assert sv.state == BROKEN
    for cut in (0, 1, 199):
        _err(zmq, errno.EPROTO, core._Curve(True, spk, ssk).server_hello, hello[:cut])
    _err(zmq, errno.EPROTO, core._Curve(True, spk, ssk).server_hello, hello + b"\x00")


def test_hello_to_the_wrong_server(core, zmq):
    spk, _ = core._curve_keypair()
    cl = core._Curve(False, *core._curve_keypair(), spk)
    other = core._Curve(True, *core._curve_keypair())
    _err(zmq, errno.EBADMSG, other.server_hello, cl.hello())


def test_tampered_welcome(core, zmq):
    cl, sv, _, spk = _pair(core)
    sv.server_hello(cl.hello())
    welcome = sv.welcome()
    # another client of the same server cannot open it
    other = core._Curve(False, *core._curve_keypair(), spk)
    other.hello()
    _err(zmq, errno.EBADMSG, other.client_welcome, welcome)
    for pos in range(len(welcome)):
        c2, s2, _, _ = _pair(core)
        s2.server_hello(c2.hello())
        with pytest.raises(zmq.ZMQError) as e:
            c2.client_welcome(_flip(s2.welcome(), pos))
        assert e.value.errno in (errno.EPROTO, errno.EBADMSG), pos
        assert c2.state == BROKEN
    cl.client_welcome(welcome)


def test_tampered_initiate(core, zmq):
    for pos in (0, 8, 9, 24, 25, 104, 105, 112, 113, 128, 129, 160, 161, 200, 256, 257, 270):
        cl, sv, _, _ = _pair(core)
        sv.server_hello(cl.hello())
        cl.client_welcome(sv.welcome())
        initiate = cl.initiate(CLIENT_META)
        with pytest.raises(zmq.ZMQError) as e:
            sv.server_initiate(_flip(initiate, pos))
        assert e.value.errno in (errno.EPROTO, errno.EBADMSG), pos
        assert sv.state == BROKEN


def test_cookie_from_another_connection(core, zmq):
    # a cookie is only good on the connection it was made for
    spk, ssk = core._curve_keypair()
    sv1, sv2 = core._Curve(True, spk, ssk), core._Curve(True, spk, ssk)
    r1, r2 = RefClient(spk), RefClient(spk)
    sv1.server_hello(r1.hello())
    sv2.server_hello(r2.hello())
    r1.welcome(sv1.welcome())
    r2.welcome(sv2.welcome())
    r1.cookie = r2.cookie
    _err(zmq, errno.EBADMSG, sv1.server_initiate, r1.initiate())


def test_vouch_must_name_this_connection(core, zmq):
    spk, ssk = core._curve_keypair()
    for vouch in ("wrong-server", "wrong-transient"):
        sv = core._Curve(True, spk, ssk)
        ref = RefClient(spk)
        sv.server_hello(ref.hello())
        ref.welcome(sv.welcome())
        if vouch == "wrong-server":
            v = ref.Cp + core._curve_keypair()[0]
        else:
            v = core._curve_keypair()[0] + spk
        _err(zmq, errno.EACCES, sv.server_initiate, ref.initiate(vouch=v))
        assert sv.state == BROKEN


def test_vouch_from_another_key(core, zmq):
    # C in the box but the vouch made with a different secret: refused
    spk, ssk = core._curve_keypair()
    sv = core._Curve(True, spk, ssk)
    ref = RefClient(spk)
    sv.server_hello(ref.hello())
    ref.welcome(sv.welcome())
    ref.c = nacl.crypto_box_keypair()[1]
    _err(zmq, errno.EBADMSG, sv.server_initiate, ref.initiate())


def test_tampered_ready(core, zmq):
    for pos in (0, 5, 6, 13, 14, 29, 30, 40):
        cl, sv, _, _ = _pair(core)
        sv.server_hello(cl.hello())
        cl.client_welcome(sv.welcome())
        sv.server_initiate(cl.initiate())
        ready = sv.ready(SERVER_META)
        with pytest.raises(zmq.ZMQError) as e:
            cl.client_ready(_flip(ready, pos))
        assert e.value.errno in (errno.EPROTO, errno.EBADMSG)
        assert cl.state == BROKEN


def _handshaken(core):
    cl, sv, _, _ = _pair(core)
    _handshake(cl, sv)
    return cl, sv


def test_tampered_message(core, zmq):
    for pos in range(len(b"some payload") + 33):
        cl, sv = _handshaken(core)
        with pytest.raises(zmq.ZMQError) as e:
            sv.decode(_flip(cl.encode(b"some payload", 1), pos))
        assert e.value.errno in (errno.EPROTO, errno.EBADMSG), pos
        assert sv.state == BROKEN
    cl, sv = _handshaken(core)
    m = cl.encode(b"some payload", 1)
    # a message from another connection does not open here
    _err(zmq, errno.EBADMSG, _handshaken(core)[1].decode, m)
    assert sv.decode(m) == (b"some payload", 1)
    for cut in (0, 8, 16, 32):
        _err(zmq, errno.EPROTO, _handshaken(core)[1].decode, m[:cut])


def test_replay_and_reorder_refused(core, zmq):
    cl, sv = _handshaken(core)
    m1, m2 = cl.encode(b"one"), cl.encode(b"two")
    assert sv.decode(m1) == (b"one", 0)
    _err(zmq, errno.EPROTO, sv.decode, m1)  # replay
    cl, sv = _handshaken(core)
    m1, m2 = cl.encode(b"one"), cl.encode(b"two")
    assert sv.decode(m2) == (b"two", 0)  # a skipped nonce is fine (strictly increasing)
    _err(zmq, errno.EPROTO, sv.decode, m1)  # going back is not


def test_reflection_refused(core, zmq):
    # each direction has its own nonce prefix: a client's own message does not open at the client
    cl, sv = _handshaken(core)
    m = cl.encode(b"echo")
    _err(zmq, errno.EBADMSG, cl.decode, m)


def test_reserved_flags(core, zmq):
    sv, ref = _established_with_ref(core)
    _err(zmq, errno.EPROTO, sv.decode, ref.message(b"x", flags=0x80))
    sv, ref = _established_with_ref(core)
    _err(zmq, errno.EPROTO, sv.decode, ref.message(b"x", flags=0x04))
    cl, _ = _handshaken(core)
    _err(zmq, errno.EINVAL, cl.encode, b"x", 4)
    assert cl.state == ESTABLISHED  # a refused send changes nothing


def test_out_of_order_calls(core, zmq):
    cl, sv, _, _ = _pair(core)
    _err(zmq, errno.EPROTO, cl.encode, b"too early")
    assert cl.state == 0  # not fatal
    _err(zmq, errno.EPROTO, sv.welcome)  # before HELLO
    cl, sv, _, _ = _pair(core)
    _err(zmq, errno.EPROTO, sv.hello)  # a server says no HELLO
    cl, sv, _, _ = _pair(core)
    cl.hello()
    _err(zmq, errno.EPROTO, cl.hello)  # only once
    cl, sv, _, _ = _pair(core)
    _err(zmq, errno.EPROTO, sv.decode, cl.hello())  # MESSAGE before the handshake
    cl, sv = _handshaken(core)
    _err(zmq, errno.EPROTO, sv.server_hello, cl.encode(b"x"))


def test_buffer_too_small(core, zmq):
    cl, sv, _, _ = _pair(core)
    _err(zmq, zmq.ENOBUFS, cl.hello, 199)  # the C library's number (Windows: not WSAENOBUFS)
    assert cl.state == 0  # can retry with room
    assert len(cl.hello()) == 200


def test_error_command(core, zmq):
    cmd = core._curve_error("Access denied")
    assert cmd == b"\x05ERROR\x0dAccess denied"
    assert core._curve_parse_error(cmd) == b"Access denied"
    assert core._curve_parse_error(core._curve_error("")) == b""
    _err(zmq, errno.EPROTO, core._curve_parse_error, cmd[:-1])
    _err(zmq, errno.EPROTO, core._curve_parse_error, b"\x05READY\x00")
    _err(zmq, errno.EINVAL, core._curve_error, "x" * 256)


def test_keys_checked(core):
    with pytest.raises(ValueError):
        core._Curve(True, b"x" * 31, b"y" * 32)
    with pytest.raises(ValueError):
        core._Curve(False, b"x" * 32, b"y" * 32, b"z" * 3)


# ---- against libzmq, over raw TCP -----------------------------------------------------------


@pytest.fixture
def libzmq(pyzmq):
    if not pyzmq.has("curve"):
        pytest.skip("libzmq without CURVE")
    ctx = pyzmq.Context()
    yield pyzmq, ctx
    ctx.destroy(linger=0)


def test_libzmq_server(core, libzmq):
    # zf_curve as the client of a libzmq CURVE server: the handshake, then MESSAGEs, which
    # libzmq carries in data frames with MORE inside the box
    pyzmq, ctx = libzmq
    from zmq.utils import z85

    srv = ctx.socket(pyzmq.DEALER)
    spub, ssec = pyzmq.curve_keypair()
    srv.curve_server = True
    srv.curve_secretkey = ssec
    srv.curve_publickey = spub
    srv.rcvtimeo = 5000
    srv.heartbeat_ivl = 50  # PINGs: commands, which travel boxed with the command flag
    srv.heartbeat_timeout = 10000
    port = srv.bind_to_random_port("tcp://127.0.0.1")
    cpk, csk = core._curve_keypair()
    cl = core._Curve(False, cpk, csk, z85.decode(spub))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(greeting(mechanism=b"CURVE", as_server=0))
        g = read_exact(s, 64)
        # libzmq 4.3's CURVE server sends as-server 0 in its greeting: roles come from the
        # configuration, not from that byte
        assert g[12:17] == b"CURVE"
        s.sendall(frame(cl.hello(), CMD))
        flags, welcome = read_frame(s)
        assert flags == 4
        cl.client_welcome(welcome)
        s.sendall(frame(cl.initiate(CLIENT_META), CMD))
        flags, ready = read_frame(s)
        assert flags == 4
        assert prop(b"Socket-Type", b"DEALER") in cl.client_ready(ready)

        s.sendall(frame(cl.encode(b"part one", 1)))
        s.sendall(frame(cl.encode(b"part two", 0)))
        assert srv.recv_multipart() == [b"part one", b"part two"]
        big = os.urandom(100000)
        srv.send_multipart([b"a", big])
        got, pings = [], 0
        while len(got) < 2 or not pings:
            flags, m = read_frame(s)
            assert flags & ~2 == 0  # data frames (long or short), never MORE on the outside
            data, inner = cl.decode(m)
            if inner == 2:
                assert data[:5] == b"\x04PING"
                pings += 1
                s.sendall(frame(cl.encode(b"\x04PONG" + data[7:], 2)))
            else:
                got.append((data, inner))
        assert got == [(b"a", 1), (big, 0)]
        s.sendall(frame(cl.encode(b"still", 0)))
        assert srv.recv_multipart() == [b"still"]


def test_libzmq_client(core, libzmq):
    # zf_curve as the server for a libzmq CURVE client, which must know our key
    pyzmq, ctx = libzmq
    from zmq.utils import z85

    spk, ssk = core._curve_keypair()
    cpub, csec = pyzmq.curve_keypair()
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(5)
        cli = ctx.socket(pyzmq.DEALER)
        cli.curve_serverkey = z85.encode(spk)
        cli.curve_publickey = cpub
        cli.curve_secretkey = csec
        cli.rcvtimeo = 5000
        cli.connect("tcp://127.0.0.1:%d" % ls.getsockname()[1])
        s, _ = ls.accept()
        with s:
            s.settimeout(5)
            sv = core._Curve(True, spk, ssk)
            s.sendall(greeting(mechanism=b"CURVE", as_server=1))
            g = read_exact(s, 64)
            assert g[12:17] == b"CURVE" and g[32] == 0
            flags, hello = read_frame(s)
            assert flags == 4
            sv.server_hello(hello)
            s.sendall(frame(sv.welcome(), CMD))
            flags, initiate = read_frame(s)
            meta = sv.server_initiate(initiate)
            assert prop(b"Socket-Type", b"DEALER") in meta
            assert sv.peer_key == z85.decode(cpub)
            s.sendall(frame(sv.ready(prop(b"Socket-Type", b"DEALER")), CMD))

            s.sendall(frame(sv.encode(b"hello", 1)))
            s.sendall(frame(sv.encode(b"libzmq", 0)))
            assert cli.recv_multipart() == [b"hello", b"libzmq"]
            cli.send_multipart([b"", b"back"])
            flags, m = read_frame(s)
            assert sv.decode(m) == (b"", 1)
            flags, m = read_frame(s)
            assert sv.decode(m) == (b"back", 0)


def test_garbage_refused(core, zmq):
    # random bytes, under each command's own name and length range, never get through
    import random

    rng = random.Random(26)
    names = {"server_hello": b"\x05HELLO", "client_welcome": b"\x07WELCOME",
             "server_initiate": b"\x08INITIATE", "client_ready": b"\x05READY",
             "decode": b"\x07MESSAGE"}
    for _ in range(60):
        for method, name in names.items():
            cl, sv, _, _ = _pair(core)
            if method != "server_hello":
                sv.server_hello(cl.hello())
            if method in ("server_initiate", "client_ready", "decode"):
                cl.client_welcome(sv.welcome())
            if method in ("client_ready", "decode"):
                sv.server_initiate(cl.initiate())
            if method == "decode":
                cl.client_ready(sv.ready())
            side = sv if method in ("server_hello", "server_initiate", "decode") else cl
            n = rng.choice([0, 1, 5, 9, 29, 30, 33, 100, 168, 200, 257, 300])
            junk = rng.randbytes(n)
            if rng.random() < 0.7:
                junk = (name + junk)[:max(n, len(name))]
            with pytest.raises(zmq.ZMQError) as e:
                getattr(side, method)(junk)
            assert e.value.errno in (errno.EPROTO, errno.EBADMSG, errno.EACCES)
            assert side.state == BROKEN
