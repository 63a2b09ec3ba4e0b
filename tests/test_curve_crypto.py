"""CurveZMQ's cryptography (csrc/crypto.c): RFC vectors, libsodium (PyNaCl) cross-checks in both
directions, tamper detection, and the public curve_keypair/curve_public against pyzmq's."""

import errno
import os
import random
import threading

import pytest

nacl = pytest.importorskip("nacl.bindings")

h = bytes.fromhex

# box lengths: every small one (block and Poly1305 boundaries at 16/32/64 fall inside), then
# some large, odd-sized ones
LENGTHS = list(range(0, 300)) + [1023, 1024, 1025, 65535, 65536, 65537, 70001, 1 << 20]


@pytest.fixture(scope="module")
def core():
    import zmqfast._core as c

    return c


@pytest.fixture
def rng():
    return random.Random(0x5EED)


def _rand(rng, n):
    return rng.randbytes(n)


# ---- X25519 --------------------------------------------------------------------------------


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("scalar, u, out", [
    # RFC 7748 section 5.2
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
])
def test_x25519_rfc7748_vectors(core, scalar, u, out):
    assert core._crypto_scalarmult(h(scalar), h(u)) == h(out)


@pytest.mark.zmqfast_only
def test_x25519_rfc7748_iterated(core):
    # k = X25519(k, u), u = old k, starting from k = u = 9
    k = u = h("09" + "00" * 31)
    for i in range(1, 1001):
        k, u = core._crypto_scalarmult(k, u), k
        if i == 1:
            assert k == h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    assert k == h("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")


@pytest.mark.zmqfast_only
def test_x25519_rfc7748_alice_bob(core):
    a_sk = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    a_pk = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    b_sk = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    b_pk = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    assert core._crypto_scalarmult_base(a_sk) == a_pk
    assert core._curve_public(b_sk) == b_pk
    assert core._crypto_scalarmult(a_sk, b_pk) == shared
    assert core._crypto_scalarmult(b_sk, a_pk) == shared


@pytest.mark.zmqfast_only
def test_x25519_matches_libsodium(core, rng):
    for _ in range(200):
        n, p = _rand(rng, 32), _rand(rng, 32)
        assert core._crypto_scalarmult(n, p) == nacl.crypto_scalarmult(n, p)
        assert core._crypto_scalarmult_base(n) == nacl.crypto_scalarmult_base(n)


@pytest.mark.zmqfast_only
def test_x25519_edge_scalars(core):
    # clamping makes these all valid scalars; the extremes exercise the ladder's first and
    # last bits and the final reduction
    for n in (b"\x00" * 32, b"\xff" * 32, b"\x01" + b"\x00" * 31, b"\x00" * 31 + b"\x80"):
        assert core._crypto_scalarmult_base(n) == nacl.crypto_scalarmult_base(n)


@pytest.mark.zmqfast_only
def test_x25519_u_top_bit_and_noncanonical(core, rng):
    n = _rand(rng, 32)
    base = core._crypto_scalarmult_base(n)
    nine = (9).to_bytes(32, "little")
    # RFC 7748 5: the top bit of u is masked, and u >= p is taken mod p
    assert core._crypto_scalarmult(n, bytes(nine[:31]) + b"\x80") == base
    p = 2**255 - 19
    assert core._crypto_scalarmult(n, (p + 9).to_bytes(32, "little")) == base
    for _ in range(20):
        u = _rand(rng, 32)
        top = bytearray(u)
        top[31] ^= 0x80
        assert core._crypto_scalarmult(n, bytes(top)) == core._crypto_scalarmult(n, u)


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("u", [0, 1, 2**255 - 19, 2**255 - 19 + 1])
def test_x25519_small_order_point_refused(core, zmq, rng, u):
    # points of small order give an all-zero shared secret: refused, as libsodium does
    point = u.to_bytes(32, "little")
    with pytest.raises(zmq.ZMQError) as e:
        core._crypto_scalarmult(_rand(rng, 32), point)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(zmq.ZMQError):
        core._crypto_box_beforenm(point, _rand(rng, 32))


@pytest.mark.zmqfast_only
def test_keypair(core):
    pairs = [core._curve_keypair() for _ in range(20)]
    for pk, sk in pairs:
        assert type(pk) is bytes and type(sk) is bytes and len(pk) == len(sk) == 32
        assert nacl.crypto_scalarmult_base(sk) == pk
    assert len({sk for _, sk in pairs}) == 20


@pytest.mark.zmqfast_only
def test_random(core):
    assert core._crypto_random(0) == b""
    blobs = [core._crypto_random(n) for n in (1, 32, 100, 70000)]
    assert [len(b) for b in blobs] == [1, 32, 100, 70000]
    assert core._crypto_random(32) != core._crypto_random(32)
    big = blobs[-1]
    assert len(set(big)) == 256  # 70000 random bytes miss a byte value with odds ~ 2^-380
    with pytest.raises(ValueError):
        core._crypto_random(-1)


@pytest.mark.zmqfast_only
def test_random_fallback_when_getrandom_fails(core):
    # what zf_crypto_random falls back to when getrandom fails: /dev/urandom, read once the
    # kernel's pool is seeded (on a running test machine it is, so this returns at once)
    assert core._crypto_random_urandom(0) == b""
    a, b = core._crypto_random_urandom(70000), core._crypto_random_urandom(70000)
    assert len(a) == len(b) == 70000 and a != b
    assert len(set(a)) == 256
    with pytest.raises(ValueError):
        core._crypto_random_urandom(-1)


# ---- Poly1305, secretbox, box ----------------------------------------------------------------


@pytest.mark.zmqfast_only
def test_poly1305_rfc8439_vector(core):
    # RFC 8439 section 2.5.2
    key = h("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
    tag = core._crypto_poly1305(b"Cryptographic Forum Research Group", key)
    assert tag == h("a8061dc1305136c6c22b8baf0c0127a9")


@pytest.mark.zmqfast_only
def test_poly1305_wraparound(core):
    # h reaching p = 2^130 - 5 and beyond exercises the final conditional subtraction:
    # r = 1 leaves h = the sum of the blocks, so these blocks make h = p + small exactly
    key_r1 = b"\x01" + b"\x00" * 31
    p = 2**130 - 5
    for target in (p - 1, p, p + 1, p + 4, 2**130 - 1):
        # a full block adds itself + 2^128: two zero blocks and a third make the target
        blocks = [0, 0, target - 3 * 2**128]
        msg = b"".join(b.to_bytes(16, "little") for b in blocks)
        want = (target % p) % 2**128
        assert core._crypto_poly1305(msg, key_r1) == want.to_bytes(16, "little"), hex(target)


@pytest.mark.zmqfast_only
def test_secretbox_both_directions(core, rng):
    for n in LENGTHS:
        key, nonce, msg = _rand(rng, 32), _rand(rng, 24), _rand(rng, n)
        ours = core._crypto_secretbox(msg, nonce, key)
        assert len(ours) == n + 16
        assert ours == nacl.crypto_secretbox(msg, nonce, key), n
        assert nacl.crypto_secretbox_open(ours, nonce, key) == msg
        msg2 = _rand(rng, n)
        theirs = nacl.crypto_secretbox(msg2, nonce, key)
        assert core._crypto_secretbox_open(theirs, nonce, key) == msg2, n


@pytest.mark.zmqfast_only
def test_secretbox_with_subkey_is_secretbox(core, rng, zmq):
    # CURVE's MESSAGE boxes: HSalsa20 of the nonce's fixed first 16 bytes done once, then the
    # box from its last 8 (opened in place); byte for byte libsodium's crypto_secretbox
    for n in LENGTHS + [31, 32, 33, 63, 64, 65, 1000, 4096]:
        key, nonce, msg = _rand(rng, 32), _rand(rng, 24), _rand(rng, n)
        ours = core._crypto_secretbox_sub(msg, nonce, key)
        assert ours == nacl.crypto_secretbox(msg, nonce, key), n
        msg2 = _rand(rng, n)
        theirs = nacl.crypto_secretbox(msg2, nonce, key)
        assert core._crypto_secretbox_open_sub(theirs, nonce, key) == msg2, n
        for pos in {0, 15, min(16, len(theirs) - 1), len(theirs) - 1}:
            bad = bytearray(theirs)
            bad[pos] ^= 1
            _assert_bad(zmq, core._crypto_secretbox_open_sub, bytes(bad), nonce, key)
    _assert_bad(zmq, core._crypto_secretbox_open_sub, b"x" * 15, nonce, key)


@pytest.mark.zmqfast_only
def test_box_both_directions(core, rng):
    a_pk, a_sk = nacl.crypto_box_keypair()
    b_pk, b_sk = core._curve_keypair()
    k_ours = core._crypto_box_beforenm(a_pk, b_sk)
    assert k_ours == nacl.crypto_box_beforenm(b_pk, a_sk) == core._crypto_box_beforenm(b_pk, a_sk)
    for n in LENGTHS:
        nonce, msg = _rand(rng, 24), _rand(rng, n)
        # we encrypt, libsodium opens
        c = core._crypto_box(msg, nonce, a_pk, b_sk)
        assert c == core._crypto_box_afternm(msg, nonce, k_ours)
        assert nacl.crypto_box_open(c, nonce, b_pk, a_sk) == msg
        assert nacl.crypto_box_open_afternm(c, nonce, k_ours) == msg
        # libsodium encrypts, we open
        c = nacl.crypto_box(msg, nonce, b_pk, a_sk)
        assert core._crypto_box_open(c, nonce, a_pk, b_sk) == msg
        assert core._crypto_box_open_afternm(nacl.crypto_box_afternm(msg, nonce, k_ours), nonce,
                                             k_ours) == msg


def _assert_bad(zmq, fn, *args):
    with pytest.raises(zmq.ZMQError) as e:
        fn(*args)
    assert e.value.errno == errno.EBADMSG


@pytest.mark.zmqfast_only
def test_tampered_box_refused(core, zmq, rng):
    key, nonce = _rand(rng, 32), _rand(rng, 24)
    for n in (0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 1000):
        box = core._crypto_secretbox(_rand(rng, n), nonce, key)
        for pos in range(len(box)):
            bad = bytearray(box)
            bad[pos] ^= 1 << rng.randrange(8)
            _assert_bad(zmq, core._crypto_secretbox_open, bytes(bad), nonce, key)
        # truncated, extended, wrong nonce, wrong key
        for cut in range(min(len(box), 20)):
            _assert_bad(zmq, core._crypto_secretbox_open, box[:cut], nonce, key)
        _assert_bad(zmq, core._crypto_secretbox_open, box + b"\x00", nonce, key)
        other = bytearray(nonce)
        other[23] ^= 1
        _assert_bad(zmq, core._crypto_secretbox_open, box, bytes(other), key)
        other = bytearray(key)
        other[0] ^= 0x80
        _assert_bad(zmq, core._crypto_secretbox_open, box, nonce, bytes(other))


@pytest.mark.zmqfast_only
def test_box_wrong_key_refused(core, zmq, rng):
    a_pk, a_sk = core._curve_keypair()
    b_pk, b_sk = core._curve_keypair()
    e_pk, e_sk = core._curve_keypair()
    nonce = _rand(rng, 24)
    box = core._crypto_box(b"hello", nonce, a_pk, b_sk)
    assert core._crypto_box_open(box, nonce, b_pk, a_sk) == b"hello"
    _assert_bad(zmq, core._crypto_box_open, box, nonce, e_pk, a_sk)
    _assert_bad(zmq, core._crypto_box_open, box, nonce, b_pk, e_sk)


@pytest.mark.zmqfast_only
def test_hook_arguments_checked(core):
    with pytest.raises(ValueError):
        core._crypto_secretbox(b"m", b"n" * 23, b"k" * 32)
    with pytest.raises(ValueError):
        core._crypto_secretbox(b"m", b"n" * 24, b"k" * 33)
    with pytest.raises(ValueError):
        core._curve_public(b"s" * 31)
    with pytest.raises(TypeError):
        core._curve_public(32)  # not 32 zero bytes
    # any buffer works
    key, nonce = bytearray(32), memoryview(bytes(24))
    assert core._crypto_secretbox(bytearray(b"abc"), nonce, key) == nacl.crypto_secretbox(
        b"abc", bytes(nonce), bytes(key))


@pytest.mark.zmqfast_only
def test_boxes_from_many_threads(core):
    # no global state: concurrent boxes (the big ones run without the GIL) stay correct
    key, nonce = os.urandom(32), os.urandom(24)
    msg = os.urandom(300000)
    want = nacl.crypto_secretbox(msg, nonce, key)
    bad = []

    def work():
        for _ in range(5):
            if core._crypto_secretbox(msg, nonce, key) != want:
                bad.append(1)
            if core._crypto_secretbox_open(want, nonce, key) != msg:
                bad.append(2)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


# ---- public API: curve_keypair / curve_public (run against pyzmq too) -------------------------


def test_curve_keypair(zmq):
    from zmq.utils import z85 as py_z85

    public, secret = zmq.curve_keypair()
    assert type(public) is bytes and type(secret) is bytes
    assert len(public) == len(secret) == 40
    assert zmq.curve_public(secret) == public
    assert nacl.crypto_scalarmult_base(py_z85.decode(secret)) == py_z85.decode(public)
    assert zmq.curve_keypair()[1] != secret


def test_curve_keys_interoperate_with_libzmq(zmq, pyzmq):
    for _ in range(10):
        public, secret = zmq.curve_keypair()
        assert pyzmq.curve_public(secret) == public
        public, secret = pyzmq.curve_keypair()
        assert zmq.curve_public(secret) == public
        assert zmq.curve_public(secret.decode("ascii")) == public
        assert zmq.curve_public(bytearray(secret)) == public


def test_curve_public_known_key(zmq):
    # RFC 7748's Alice, in Z85
    from zmq.utils import z85 as py_z85

    sk = py_z85.encode(h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    pk = py_z85.encode(h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
    assert zmq.curve_public(sk) == pk


BAD_SECRETS = [b"abc", b"", "x" * 39, b"x" * 41, "\u00e9" * 40, "\u00e9" * 20, b" " * 40,
               b"~" * 40, b"#" * 40, b"\x00" * 40, b"0" * 39 + b"\x00", memoryview(b"0" * 40),
               5, None, [1] * 40]


@pytest.mark.parametrize("bad", BAD_SECRETS, ids=repr)
def test_curve_public_errors_match_pyzmq(zmq, pyzmq, bad):
    def outcome(impl):
        try:
            impl.curve_public(bad)
        except Exception as e:
            return type(e).__name__, getattr(e, "errno", None), (
                str(e) if isinstance(e, ValueError) else None)
        return "no error"

    want = outcome(pyzmq)
    assert want != "no error"
    assert outcome(zmq) == want


def test_backend_curve_functions(zmq):
    import importlib

    backend = importlib.import_module(zmq.__name__ + ".backend")
    public, secret = backend.curve_keypair()
    assert backend.curve_public(secret) == public == zmq.curve_public(secret)
