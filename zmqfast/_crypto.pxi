# _crypto.pxi: the CurveZMQ primitives (csrc/crypto.c) for Python, included into _core.pyx.
# The public API (zmqfast.curve_keypair / curve_public) is built on _curve_keypair and
# _curve_public; the _crypto_* functions exist for the tests, which check them against
# libsodium (PyNaCl) and the RFC vectors.

cdef extern from "crypto.h" nogil:
    int zf_crypto_random(uint8_t *buf, size_t n)
    int zf_crypto_scalarmult(uint8_t *q, const uint8_t *n, const uint8_t *p)
    void zf_crypto_scalarmult_base(uint8_t *q, const uint8_t *n)
    int zf_crypto_box_keypair(uint8_t *pk, uint8_t *sk)
    int zf_crypto_box_beforenm(uint8_t *k, const uint8_t *pk, const uint8_t *sk)
    void zf_crypto_secretbox(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *nonce,
                             const uint8_t *k)
    int zf_crypto_secretbox_open(uint8_t *m, const uint8_t *c, size_t clen,
                                 const uint8_t *nonce, const uint8_t *k)
    void zf_crypto_poly1305(uint8_t *tag, const uint8_t *m, size_t mlen, const uint8_t *key)
    void zf_crypto_wipe(void *p, size_t n)


cdef bytes _buf(obj):
    # through memoryview, so that an int is refused instead of becoming that many zeros
    return bytes(memoryview(obj))


cdef bytes _fixed(obj, Py_ssize_t size, str what):
    cdef bytes b = _buf(obj)
    if PyBytes_GET_SIZE(b) != size:
        raise ValueError(f"{what} must be {size} bytes, got {PyBytes_GET_SIZE(b)}")
    return b


cdef inline const uint8_t *_p(bytes b):
    return <const uint8_t *>PyBytes_AS_STRING(b)


cdef inline uint8_t *_w(bytes b):
    # only on a bytes object this module has just created and nobody else has seen
    return <uint8_t *>PyBytes_AS_STRING(b)


def _curve_keypair():
    """A new X25519 key pair, raw: (public, secret), 32 bytes each."""
    cdef bytes pk = PyBytes_FromStringAndSize(NULL, 32)
    cdef bytes sk = PyBytes_FromStringAndSize(NULL, 32)
    cdef int rc = zf_crypto_box_keypair(_w(pk), _w(sk))
    if rc < 0:
        _raise(rc)
    return pk, sk


def _curve_public(secret):
    """The raw public key (32 bytes) of a raw secret key."""
    cdef bytes sk = _fixed(secret, 32, "secret key")
    cdef bytes pk = PyBytes_FromStringAndSize(NULL, 32)
    zf_crypto_scalarmult_base(_w(pk), _p(sk))
    return pk


def _crypto_random(Py_ssize_t n):
    if n < 0:
        raise ValueError("n must not be negative")
    cdef bytes b = PyBytes_FromStringAndSize(NULL, n)
    cdef int rc = zf_crypto_random(_w(b), <size_t>n)
    if rc < 0:
        _raise(rc)
    return b


def _crypto_scalarmult(n, p):
    cdef bytes bn = _fixed(n, 32, "scalar")
    cdef bytes bp = _fixed(p, 32, "point")
    cdef bytes q = PyBytes_FromStringAndSize(NULL, 32)
    cdef int rc = zf_crypto_scalarmult(_w(q), _p(bn), _p(bp))
    if rc < 0:
        _raise(rc)
    return q


def _crypto_scalarmult_base(n):
    return _curve_public(n)


def _crypto_box_beforenm(pk, sk):
    cdef bytes bpk = _fixed(pk, 32, "public key")
    cdef bytes bsk = _fixed(sk, 32, "secret key")
    cdef bytes k = PyBytes_FromStringAndSize(NULL, 32)
    cdef int rc = zf_crypto_box_beforenm(_w(k), _p(bpk), _p(bsk))
    if rc < 0:
        _raise(rc)
    return k


def _crypto_secretbox(msg, nonce, key):
    """tag (16 bytes) + ciphertext: NaCl's crypto_secretbox without its zero padding."""
    cdef bytes m = _buf(msg)
    cdef bytes n = _fixed(nonce, 24, "nonce")
    cdef bytes k = _fixed(key, 32, "key")
    cdef size_t mlen = <size_t>PyBytes_GET_SIZE(m)
    cdef bytes c = PyBytes_FromStringAndSize(NULL, PyBytes_GET_SIZE(m) + 16)
    cdef uint8_t *cp = _w(c)
    cdef const uint8_t *mp = _p(m)
    cdef const uint8_t *np = _p(n)
    cdef const uint8_t *kp = _p(k)
    with nogil:
        zf_crypto_secretbox(cp, mp, mlen, np, kp)
    return c


def _crypto_secretbox_open(box, nonce, key):
    """The plaintext of a box from _crypto_secretbox; ZMQError(EBADMSG) if it was altered."""
    cdef bytes c = _buf(box)
    cdef bytes n = _fixed(nonce, 24, "nonce")
    cdef bytes k = _fixed(key, 32, "key")
    cdef size_t clen = <size_t>PyBytes_GET_SIZE(c)
    cdef bytes m = PyBytes_FromStringAndSize(NULL, clen - 16 if clen >= 16 else 0)
    cdef uint8_t *mp = _w(m)
    cdef const uint8_t *cp = _p(c)
    cdef const uint8_t *np = _p(n)
    cdef const uint8_t *kp = _p(k)
    cdef int rc
    with nogil:
        rc = zf_crypto_secretbox_open(mp, cp, clen, np, kp)
    if rc < 0:
        _raise(rc)
    return m


def _crypto_box_afternm(msg, nonce, key):
    return _crypto_secretbox(msg, nonce, key)


def _crypto_box_open_afternm(box, nonce, key):
    return _crypto_secretbox_open(box, nonce, key)


def _crypto_box(msg, nonce, pk, sk):
    """crypto_box to the holder of pk's secret, from sk: tag + ciphertext."""
    return _crypto_secretbox(msg, nonce, _crypto_box_beforenm(pk, sk))


def _crypto_box_open(box, nonce, pk, sk):
    return _crypto_secretbox_open(box, nonce, _crypto_box_beforenm(pk, sk))


def _crypto_poly1305(msg, key):
    cdef bytes m = _buf(msg)
    cdef bytes k = _fixed(key, 32, "key")
    cdef bytes tag = PyBytes_FromStringAndSize(NULL, 16)
    zf_crypto_poly1305(_w(tag), _p(m), <size_t>PyBytes_GET_SIZE(m), _p(k))
    return tag
