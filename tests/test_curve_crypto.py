"""CurveZMQ's cryptography (csrc/crypto.c): libsodium (PyNaCl) cross-checks in both directions,
tamper detection, and the public curve_keypair/curve_public against pyzmq's.

The primitives are reached through a test-only build of crypto.c (tests/crypto_lib.py, ctypes),
not through the extension, which carries no test hooks; their known answers (RFC 7748, NaCl's
box and secretbox vectors, RFC 8439) are C tests: csrc/tests/test_crypto.c."""

import errno
import os
import random
import threading

import pytest

from conftest import pyzmq_module

nacl = pytest.importorskip("nacl.bindings")

# the first test to use lib builds crypto.c and libsodium (tests/crypto_lib.py): past the suite's
# 60 s on a busy machine
pytestmark = pytest.mark.timeout(300)

h = bytes.fromhex

# box lengths: every small one (block and Poly1305 boundaries at 16/32/64 fall inside), then
# some large, odd-sized ones
LENGTHS = list(range(0, 300)) + [1023, 1024, 1025, 65535, 65536, 65537, 70001, 1 << 20]


@pytest.fixture(scope="module")
def core():
    import zmqfast._core as c

    return c


@pytest.fixture(scope="module")
def lib():
    """crypto.c's functions (tests/crypto_lib.py)."""
    import crypto_lib

    return crypto_lib.crypto()


@pytest.fixture
def rng():
    return random.Random(0x5EED)


def _rand(rng, n):
    return rng.randbytes(n)


# ---- X25519 --------------------------------------------------------------------------------


@pytest.mark.zmqfast_only
def test_curve_public_rfc7748_keys(core):
    # the public API's path (the extension's _curve_public) on RFC 7748 6.1's key pairs; the
    # rest of the RFC's vectors are C tests (csrc/tests/test_crypto.c)
    alice = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    bob = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    assert core._curve_public(alice) == h(
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert core._curve_public(bob) == h(
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")


@pytest.mark.zmqfast_only
def test_x25519_matches_libsodium(lib, rng):
    for _ in range(200):
        n, p = _rand(rng, 32), _rand(rng, 32)
        assert lib.scalarmult(n, p) == nacl.crypto_scalarmult(n, p)
        assert lib.scalarmult_base(n) == nacl.crypto_scalarmult_base(n)


@pytest.mark.zmqfast_only
def test_x25519_edge_scalars(lib):
    # clamping makes these all valid scalars; the extremes exercise the ladder's first and
    # last bits and the final reduction
    for n in (b"\x00" * 32, b"\xff" * 32, b"\x01" + b"\x00" * 31, b"\x00" * 31 + b"\x80"):
        assert lib.scalarmult_base(n) == nacl.crypto_scalarmult_base(n)


@pytest.mark.zmqfast_only
def test_x25519_u_top_bit_and_noncanonical(lib, rng):
    n = _rand(rng, 32)
    base = lib.scalarmult_base(n)
    nine = (9).to_bytes(32, "little")
    # RFC 7748 5: the top bit of u is masked, and u >= p is taken mod p
    assert lib.scalarmult(n, bytes(nine[:31]) + b"\x80") == base
    p = 2**255 - 19
    assert lib.scalarmult(n, (p + 9).to_bytes(32, "little")) == base
    for _ in range(20):
        u = _rand(rng, 32)
        top = bytearray(u)
        top[31] ^= 0x80
        assert lib.scalarmult(n, bytes(top)) == lib.scalarmult(n, u)
        assert lib.scalarmult(n, u) == nacl.crypto_scalarmult(n, u)


@pytest.mark.zmqfast_only
@pytest.mark.parametrize("u", [0, 1, 2**255 - 19, 2**255 - 19 + 1])
def test_x25519_small_order_point_refused(lib, rng, u):
    # points of small order give an all-zero shared secret: refused, as libsodium does
    point = u.to_bytes(32, "little")
    with pytest.raises(OSError) as e:
        lib.scalarmult(_rand(rng, 32), point)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        lib.box_beforenm(point, _rand(rng, 32))
    assert e.value.errno == errno.EINVAL


@pytest.mark.zmqfast_only
def test_keypair(core, lib):
    # the extension's (the public API's) and crypto.c's own
    pairs = [core._curve_keypair() for _ in range(20)] + [lib.box_keypair() for _ in range(20)]
    for pk, sk in pairs:
        assert type(pk) is bytes and type(sk) is bytes and len(pk) == len(sk) == 32
        assert nacl.crypto_scalarmult_base(sk) == pk
    assert len({sk for _, sk in pairs}) == 40


@pytest.mark.zmqfast_only
def test_random(lib):
    assert lib.random(0) == b""
    blobs = [lib.random(n) for n in (1, 32, 100, 70000)]
    assert [len(b) for b in blobs] == [1, 32, 100, 70000]
    assert lib.random(32) != lib.random(32)
    big = blobs[-1]
    assert len(set(big)) == 256  # 70000 random bytes miss a byte value with odds ~ 2^-380
    with pytest.raises(ValueError):
        lib.random(-1)


@pytest.mark.zmqfast_only
def test_random_fallback_when_getrandom_fails(lib):
    # what zf_crypto_random falls back to when getrandom fails: /dev/urandom, read once the
    # kernel's pool is seeded (on a running test machine it is, so this returns at once)
    assert lib.random_urandom(0) == b""
    a, b = lib.random_urandom(70000), lib.random_urandom(70000)
    assert len(a) == len(b) == 70000 and a != b
    assert len(set(a)) == 256
    with pytest.raises(ValueError):
        lib.random_urandom(-1)


# ---- Poly1305, secretbox, box ----------------------------------------------------------------


@pytest.mark.zmqfast_only
def test_poly1305_wraparound(lib):
    # h reaching p = 2^130 - 5 and beyond exercises the final conditional subtraction:
    # r = 1 leaves h = the sum of the blocks, so these blocks make h = p + small exactly
    key_r1 = b"\x01" + b"\x00" * 31
    p = 2**130 - 5
    for target in (p - 1, p, p + 1, p + 4, 2**130 - 1):
        # a full block adds itself + 2^128: two zero blocks and a third make the target
        blocks = [0, 0, target - 3 * 2**128]
        msg = b"".join(b.to_bytes(16, "little") for b in blocks)
        want = (target % p) % 2**128
        assert lib.poly1305(msg, key_r1) == want.to_bytes(16, "little"), hex(target)


@pytest.mark.zmqfast_only
def test_secretbox_both_directions(lib, rng):
    for n in LENGTHS:
        key, nonce, msg = _rand(rng, 32), _rand(rng, 24), _rand(rng, n)
        ours = lib.secretbox(msg, nonce, key)
        assert len(ours) == n + 16
        assert ours == nacl.crypto_secretbox(msg, nonce, key), n
        assert nacl.crypto_secretbox_open(ours, nonce, key) == msg
        msg2 = _rand(rng, n)
        theirs = nacl.crypto_secretbox(msg2, nonce, key)
        assert lib.secretbox_open(theirs, nonce, key) == msg2, n


# Where a MESSAGE box's first keystream call (64, 256 or 512 bytes, crypto.c's ks_chunk) ends:
# 32 bytes of it are the Poly1305 key, so message lengths 32, 224 and 480 are the last ones it
# covers whole, and the rest comes from a second call
CHUNK_EDGES = [31, 32, 33, 63, 64, 65, 223, 224, 225, 255, 256, 257, 479, 480, 481, 511, 512,
               513, 1000, 4096]


def _check_subkey_boxes(lib, rng, lengths):
    for n in lengths:
        key, nonce, msg = _rand(rng, 32), _rand(rng, 24), _rand(rng, n)
        ours = lib.secretbox_sub(msg, nonce, key)
        assert ours == nacl.crypto_secretbox(msg, nonce, key), n
        assert lib.secretbox_sub_in_place(msg, nonce, key) == ours, n
        msg2 = _rand(rng, n)
        theirs = nacl.crypto_secretbox(msg2, nonce, key)
        assert lib.secretbox_open_sub(theirs, nonce, key) == msg2, n
        for pos in {0, 15, min(16, len(theirs) - 1), len(theirs) - 1}:
            bad = bytearray(theirs)
            bad[pos] ^= 1
            _assert_bad(lib.secretbox_open_sub, bytes(bad), nonce, key)
    _assert_bad(lib.secretbox_open_sub, b"x" * 15, nonce, key)


@pytest.mark.zmqfast_only
def test_secretbox_with_subkey_is_secretbox(lib, rng):
    # CURVE's MESSAGE boxes: HSalsa20 of the nonce's fixed first 16 bytes done once, then the
    # box from its last 8 (opened in place); byte for byte libsodium's crypto_secretbox, with
    # this machine's Salsa20 (SIMD on x86: the first keystream call makes 256 or 512 bytes)
    _check_subkey_boxes(lib, rng, LENGTHS + CHUNK_EDGES)


@pytest.mark.zmqfast_only
def test_secretbox_of_two_parts_is_the_box_of_their_join(lib, rng):
    # zf_curve_encode seals the flags byte and the frame's data without joining them: the same
    # bytes as crypto_secretbox of the joined message, the data apart or already in place
    for hlen in (0, 1, 2, 31, 32):
        for n in [0, 1, 30, 31, 32, 33, 64, 65, 100] + CHUNK_EDGES + [70001]:
            key, nonce = _rand(rng, 32), _rand(rng, 24)
            head, msg = _rand(rng, hlen), _rand(rng, n)
            want = nacl.crypto_secretbox(head + msg, nonce, key)
            assert lib.secretbox_sub_parts(head, msg, nonce, key) == want, (hlen, n)
            assert lib.secretbox_sub_parts(head, msg, nonce, key, in_place=True) == want, (hlen, n)


@pytest.mark.zmqfast_only
def test_secretbox_with_subkey_on_portable_libsodium(rng):
    # the same on the portable C (aarch64, arm64 macOS: one keystream block, then the rest),
    # built here with ZF_SODIUM_PORTABLE whatever this machine is
    import crypto_lib

    lib = crypto_lib.crypto(portable=True)
    _check_subkey_boxes(lib, rng, list(range(0, 100)) + CHUNK_EDGES)
    for n in [0, 1, 31, 32, 33, 64, 65] + CHUNK_EDGES:
        key, nonce, msg = _rand(rng, 32), _rand(rng, 24), _rand(rng, n)
        assert lib.secretbox_sub_parts(b"\x01", msg, nonce, key) == \
            nacl.crypto_secretbox(b"\x01" + msg, nonce, key), n


@pytest.mark.zmqfast_only
def test_box_both_directions(core, lib, rng):
    a_pk, a_sk = nacl.crypto_box_keypair()
    b_pk, b_sk = core._curve_keypair()
    k_ours = lib.box_beforenm(a_pk, b_sk)
    assert k_ours == nacl.crypto_box_beforenm(b_pk, a_sk) == lib.box_beforenm(b_pk, a_sk)
    for n in LENGTHS:
        nonce, msg = _rand(rng, 24), _rand(rng, n)
        # we encrypt, libsodium opens
        c = lib.box(msg, nonce, a_pk, b_sk)
        assert c == lib.box_afternm(msg, nonce, k_ours)
        assert nacl.crypto_box_open(c, nonce, b_pk, a_sk) == msg
        assert nacl.crypto_box_open_afternm(c, nonce, k_ours) == msg
        # libsodium encrypts, we open
        c = nacl.crypto_box(msg, nonce, b_pk, a_sk)
        assert lib.box_open(c, nonce, a_pk, b_sk) == msg
        assert lib.box_open_afternm(nacl.crypto_box_afternm(msg, nonce, k_ours), nonce,
                                    k_ours) == msg


def _assert_bad(fn, *args):
    with pytest.raises(OSError) as e:
        fn(*args)
    assert e.value.errno == errno.EBADMSG


@pytest.mark.zmqfast_only
def test_tampered_box_refused(lib, rng):
    key, nonce = _rand(rng, 32), _rand(rng, 24)
    for n in (0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 1000):
        box = lib.secretbox(_rand(rng, n), nonce, key)
        for pos in range(len(box)):
            bad = bytearray(box)
            bad[pos] ^= 1 << rng.randrange(8)
            _assert_bad(lib.secretbox_open, bytes(bad), nonce, key)
        # truncated, extended, wrong nonce, wrong key
        for cut in range(min(len(box), 20)):
            _assert_bad(lib.secretbox_open, box[:cut], nonce, key)
        _assert_bad(lib.secretbox_open, box + b"\x00", nonce, key)
        other = bytearray(nonce)
        other[23] ^= 1
        _assert_bad(lib.secretbox_open, box, bytes(other), key)
        other = bytearray(key)
        other[0] ^= 0x80
        _assert_bad(lib.secretbox_open, box, nonce, bytes(other))


@pytest.mark.zmqfast_only
def test_box_wrong_key_refused(core, lib, rng):
    a_pk, a_sk = core._curve_keypair()
    b_pk, b_sk = core._curve_keypair()
    e_pk, e_sk = core._curve_keypair()
    nonce = _rand(rng, 24)
    box = lib.box(b"hello", nonce, a_pk, b_sk)
    assert lib.box_open(box, nonce, b_pk, a_sk) == b"hello"
    _assert_bad(lib.box_open, box, nonce, e_pk, a_sk)
    _assert_bad(lib.box_open, box, nonce, b_pk, e_sk)


@pytest.mark.zmqfast_only
def test_curve_public_arguments_checked(core):
    with pytest.raises(ValueError):
        core._curve_public(b"s" * 31)
    with pytest.raises(TypeError):
        core._curve_public(32)  # not 32 zero bytes
    # any buffer works
    sk = bytes(range(32))
    assert core._curve_public(bytearray(sk)) == core._curve_public(memoryview(sk)) == \
        nacl.crypto_scalarmult_base(sk)


@pytest.mark.zmqfast_only
def test_boxes_from_many_threads(lib):
    # no global state: concurrent boxes (ctypes calls run without the GIL) stay correct
    key, nonce = os.urandom(32), os.urandom(24)
    msg = os.urandom(300000)
    want = nacl.crypto_secretbox(msg, nonce, key)
    bad = []

    def work():
        for _ in range(5):
            if lib.secretbox(msg, nonce, key) != want:
                bad.append(1)
            if lib.secretbox_open(want, nonce, key) != msg:
                bad.append(2)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


# ---- public API: curve_keypair / curve_public (run against pyzmq too) -------------------------


def test_curve_keypair(zmq):
    py_z85 = pyzmq_module("zmq.utils.z85")

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
    py_z85 = pyzmq_module("zmq.utils.z85")

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
