# _crypto.pxi: CURVE keys (csrc/crypto.c) for Python, included into _core.pyx. The public API
# (zmqfast.curve_keypair / curve_public) is built on _curve_keypair and _curve_public. The
# primitives themselves are tested outside the extension: known answers in C
# (csrc/tests/test_crypto.c), against libsodium through a test-only build of crypto.c
# (tests/crypto_lib.py). _Curve below drives the handshake for tests/test_curve_handshake.py.

cdef extern from "crypto.h" nogil:
    void zf_crypto_scalarmult_base(uint8_t *q, const uint8_t *n)
    int zf_crypto_box_keypair(uint8_t *pk, uint8_t *sk)


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


# ---- the CurveZMQ handshake (csrc/curve.c), for the tests --------------------------------------

from libc.stdint cimport uint64_t

cdef extern from "curve.h" nogil:
    ctypedef struct zf_curve:
        int as_server
        int state
        uint8_t pk[32]
        uint8_t sk[32]
        uint8_t peer_pk[32]
        uint8_t tpk[32]
        uint8_t tsk[32]
        uint8_t peer_tpk[32]
        uint8_t precom[32]
        uint8_t msg_tx[32]
        uint8_t msg_rx[32]
        uint8_t cookie[96]
        uint8_t cookie_key[32]
        int64_t cookie_deadline
        uint64_t send_nonce
        uint64_t recv_nonce
    int ZF_CURVE_HELLO_SIZE
    int ZF_CURVE_WELCOME_SIZE
    int ZF_CURVE_INITIATE_MIN
    int ZF_CURVE_READY_MIN
    int ZF_CURVE_MESSAGE_MIN
    int zf_curve_client_init(zf_curve *c, const uint8_t *server_pk, const uint8_t *pk,
                             const uint8_t *sk)
    int zf_curve_server_init(zf_curve *c, const uint8_t *pk, const uint8_t *sk)
    void zf_curve_wipe(zf_curve *c)
    long zf_curve_hello(zf_curve *c, uint8_t *out, size_t cap)
    int zf_curve_server_hello(zf_curve *c, const uint8_t *cmd, size_t len)
    long zf_curve_welcome(zf_curve *c, uint8_t *out, size_t cap)
    int zf_curve_client_welcome(zf_curve *c, const uint8_t *cmd, size_t len)
    long zf_curve_initiate(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *meta,
                           size_t metalen)
    int zf_curve_server_initiate(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **meta,
                                 size_t *metalen)
    long zf_curve_ready(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *meta,
                        size_t metalen)
    int zf_curve_client_ready(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **meta,
                              size_t *metalen)
    long zf_curve_encode(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *data,
                         size_t len, int flags)
    int zf_curve_decode(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **data,
                        size_t *datalen, int *flags)
    long zf_curve_error(uint8_t *out, size_t cap, const char *reason)
    int zf_curve_parse_error(const uint8_t *cmd, size_t len, const uint8_t **reason,
                             size_t *reasonlen)


cdef object _built(bytearray out, long n):
    # a builder's result: its length, trimmed to, or the error it gave
    if n < 0:
        _raise(<int>n)
    return bytes(out[:n])


@cython.final
cdef class _Curve:
    """One side of a CurveZMQ connection (zf_curve), driven command by command. Keys raw."""
    cdef zf_curve c

    def __cinit__(self, bint as_server, public, secret, server_public=None):
        cdef bytes pk = _fixed(public, 32, "public key")
        cdef bytes sk = _fixed(secret, 32, "secret key")
        cdef bytes spk
        cdef int rc
        if as_server:
            rc = zf_curve_server_init(&self.c, _p(pk), _p(sk))
        else:
            spk = _fixed(server_public, 32, "server public key")
            rc = zf_curve_client_init(&self.c, _p(spk), _p(pk), _p(sk))
        if rc < 0:
            _raise(rc)

    def __dealloc__(self):
        zf_curve_wipe(&self.c)

    @property
    def state(self):
        return self.c.state

    @property
    def peer_key(self):
        """The peer's permanent public key (on a server: C, once INITIATE is in)."""
        return bytes(self.c.peer_pk[:32])

    @property
    def transient_key(self):
        return bytes(self.c.tpk[:32])

    @property
    def peer_transient_key(self):
        return bytes(self.c.peer_tpk[:32])

    @property
    def secrets(self):
        """What the struct holds that must not outlive the handshake: permanent and transient
        secret keys, the cookie (a client's) and the cookie key (a server's)."""
        return {"secret": bytes(self.c.sk[:32]), "transient_secret": bytes(self.c.tsk[:32]),
                "box_key": bytes(self.c.precom[:32]), "cookie": bytes(self.c.cookie[:96]),
                "cookie_key": bytes(self.c.cookie_key[:32])}

    @property
    def session_keys(self):
        """After READY: the MESSAGE subkeys, (ours to send, the peer's to receive)."""
        return bytes(self.c.msg_tx[:32]), bytes(self.c.msg_rx[:32])

    @property
    def cookie_deadline(self):
        """Server: the monotonic time (ms, time.monotonic's clock) past which INITIATE is
        refused. Settable, so that a test can stand in for a minute's wait."""
        return self.c.cookie_deadline

    @cookie_deadline.setter
    def cookie_deadline(self, int64_t ms):
        self.c.cookie_deadline = ms

    @property
    def send_nonce(self):
        return self.c.send_nonce

    @property
    def recv_nonce(self):
        return self.c.recv_nonce

    def hello(self, Py_ssize_t cap=ZF_CURVE_HELLO_SIZE):
        cdef bytearray out = bytearray(cap)
        return _built(out, zf_curve_hello(&self.c, <uint8_t *><char *>out, <size_t>cap))

    def server_hello(self, cmd):
        cdef bytes b = _buf(cmd)
        cdef int rc = zf_curve_server_hello(&self.c, _p(b), <size_t>PyBytes_GET_SIZE(b))
        if rc < 0:
            _raise(rc)

    def welcome(self):
        cdef bytearray out = bytearray(ZF_CURVE_WELCOME_SIZE)
        return _built(out, zf_curve_welcome(&self.c, <uint8_t *><char *>out, <size_t>len(out)))

    def client_welcome(self, cmd):
        cdef bytes b = _buf(cmd)
        cdef int rc = zf_curve_client_welcome(&self.c, _p(b), <size_t>PyBytes_GET_SIZE(b))
        if rc < 0:
            _raise(rc)

    def initiate(self, meta=b""):
        cdef bytes m = _buf(meta)
        cdef bytearray out = bytearray(ZF_CURVE_INITIATE_MIN + PyBytes_GET_SIZE(m))
        return _built(out, zf_curve_initiate(&self.c, <uint8_t *><char *>out, <size_t>len(out), _p(m),
                                             <size_t>PyBytes_GET_SIZE(m)))

    def server_initiate(self, cmd):
        """The client's metadata; its permanent key is then in peer_key."""
        cdef bytearray b = bytearray(_buf(cmd))
        cdef const uint8_t *meta = NULL
        cdef size_t metalen = 0
        cdef int rc = zf_curve_server_initiate(&self.c, <uint8_t *><char *>b, <size_t>len(b), &meta,
                                               &metalen)
        if rc < 0:
            _raise(rc)
        return PyBytes_FromStringAndSize(<const char *>meta, <Py_ssize_t>metalen)

    def ready(self, meta=b""):
        cdef bytes m = _buf(meta)
        cdef bytearray out = bytearray(ZF_CURVE_READY_MIN + PyBytes_GET_SIZE(m))
        return _built(out, zf_curve_ready(&self.c, <uint8_t *><char *>out, <size_t>len(out), _p(m),
                                          <size_t>PyBytes_GET_SIZE(m)))

    def client_ready(self, cmd):
        cdef bytearray b = bytearray(_buf(cmd))
        cdef const uint8_t *meta = NULL
        cdef size_t metalen = 0
        cdef int rc = zf_curve_client_ready(&self.c, <uint8_t *><char *>b, <size_t>len(b), &meta,
                                            &metalen)
        if rc < 0:
            _raise(rc)
        return PyBytes_FromStringAndSize(<const char *>meta, <Py_ssize_t>metalen)

    def encode(self, data, int flags=0):
        cdef bytes d = _buf(data)
        cdef bytearray out = bytearray(ZF_CURVE_MESSAGE_MIN + PyBytes_GET_SIZE(d))
        return _built(out, zf_curve_encode(&self.c, <uint8_t *><char *>out, <size_t>len(out), _p(d),
                                           <size_t>PyBytes_GET_SIZE(d), flags))

    def decode(self, cmd):
        """(data, flags) of a MESSAGE command."""
        cdef bytearray b = bytearray(_buf(cmd))
        cdef const uint8_t *data = NULL
        cdef size_t datalen = 0
        cdef int flags = 0
        cdef int rc = zf_curve_decode(&self.c, <uint8_t *><char *>b, <size_t>len(b), &data, &datalen,
                                      &flags)
        if rc < 0:
            _raise(rc)
        return PyBytes_FromStringAndSize(<const char *>data, <Py_ssize_t>datalen), flags


def _curve_error(reason):
    cdef bytes r = reason if isinstance(reason, bytes) else str(reason).encode()
    cdef bytearray out = bytearray(7 + len(r))
    return _built(out, zf_curve_error(<uint8_t *><char *>out, <size_t>len(out), <const char *>r))


def _curve_parse_error(cmd):
    cdef bytes b = _buf(cmd)
    cdef const uint8_t *reason = NULL
    cdef size_t n = 0
    cdef int rc = zf_curve_parse_error(_p(b), <size_t>PyBytes_GET_SIZE(b), &reason, &n)
    if rc < 0:
        _raise(rc)
    return PyBytes_FromStringAndSize(<const char *>reason, <Py_ssize_t>n)
