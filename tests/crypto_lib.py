"""csrc/crypto.c and the vendored libsodium subset, built as a small shared library for the tests
and loaded with ctypes, so that the extension carries no test hooks: tests/test_curve_crypto.py
checks these primitives against libsodium itself (PyNaCl). Known answers (RFC 7748, NaCl,
RFC 8439) are in csrc/tests/test_crypto.c.

The library is compiled as setup.py compiles those files (the sodium list and its per-file
defines from setup.py, through .ci/sodium-sources) into build/test-crypto/<hash>/, the hash
covering the compiler and every input file, so later runs reuse it. crypto() skips the calling
test when the sources are not here (the suite running from a copy, as .ci/check-packaging does)
or there is no C compiler."""

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SODIUM_INC = os.path.join("csrc", "vendor", "libsodium", "src", "libsodium", "include")


class CryptoError(OSError):
    """A negative errno from crypto.c (EBADMSG: a box that does not open; EINVAL: a small-order
    point)."""


def _sources():
    out = subprocess.run([sys.executable, os.path.join(REPO_ROOT, ".ci", "sodium-sources")],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return [(line.split("\t")[0], line.split("\t")[1].split()) for line in out.splitlines() if line]


def _build(cc, extra=()):
    sodium = _sources()
    inputs = ["csrc/crypto.c", "csrc/crypto.h", "csrc/sodium_config.h"] + [s for s, _ in sodium]
    h = hashlib.sha256(cc.encode())
    for rel in inputs:
        with open(os.path.join(REPO_ROOT, rel), "rb") as f:
            h.update(rel.encode() + b"\0" + f.read())
    for _, defines in sodium:
        h.update(" ".join(defines).encode())
    h.update(" ".join(extra).encode())
    out_dir = os.path.join(REPO_ROOT, "build", "test-crypto", h.hexdigest()[:16])
    lib = os.path.join(out_dir, "libzfcrypto.so")
    if os.path.exists(lib):
        return lib
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    work = tempfile.mkdtemp(dir=os.path.dirname(out_dir))
    try:
        sodium_flags = ["-O2", "-w", "-fPIC", "-fvisibility=hidden", "-include",
                        "csrc/sodium_config.h", "-I" + os.path.join(SODIUM_INC, "sodium")]
        jobs = [[cc, *sodium_flags, *extra, *defines, "-c", src, "-o", os.path.join(work, f"s{i}.o")]
                for i, (src, defines) in enumerate(sodium)]
        jobs.append([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-fPIC", "-Icsrc", "-I" + SODIUM_INC,
                     "-c", "csrc/crypto.c", "-o", os.path.join(work, "crypto.o")])

        # the compiler is not to inherit a sanitizer runtime preloaded into the interpreter
        # (.ci/sanitize)
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

        def run(cmd):
            return subprocess.run(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=env)

        with ThreadPoolExecutor(2) as pool:
            for r in pool.map(run, jobs):
                if r.returncode:
                    raise RuntimeError(f"building the crypto test library: {r.args}\n{r.stdout}")
        objs = sorted(os.path.join(work, f) for f in os.listdir(work) if f.endswith(".o"))
        r = run([cc, "-shared", "-o", os.path.join(work, "libzfcrypto.so"), *objs, "-lpthread"])
        if r.returncode:
            raise RuntimeError(f"linking the crypto test library\n{r.stdout}")
        try:
            os.rename(work, out_dir)  # atomic: another run may have got there first
        except OSError:
            if not os.path.exists(lib):
                raise
        return lib
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bytes(obj):
    # through memoryview, so that an int is refused instead of becoming that many zeros
    return bytes(memoryview(obj))


def _fixed(obj, size, what):
    b = _bytes(obj)
    if len(b) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(b)}")
    return b


class Crypto:
    """The crypto.h functions over bytes, as the tests use them. ctypes releases the GIL for
    each call, so threads really run them concurrently."""

    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(path)
        p, n = ctypes.c_char_p, ctypes.c_size_t
        for name, args, res in [
            ("zf_crypto_random", [p, n], ctypes.c_int),
            ("zf_crypto_random_urandom", [p, n], ctypes.c_int),
            ("zf_crypto_scalarmult", [p, p, p], ctypes.c_int),
            ("zf_crypto_scalarmult_base", [p, p], None),
            ("zf_crypto_box_keypair", [p, p], ctypes.c_int),
            ("zf_crypto_box_beforenm", [p, p, p], ctypes.c_int),
            ("zf_crypto_secretbox", [p, p, n, p, p], None),
            ("zf_crypto_secretbox_open", [p, p, n, p, p], ctypes.c_int),
            ("zf_crypto_xsalsa20_subkey", [p, p, p], None),
            ("zf_crypto_secretbox_sub", [p, p, n, p, p], None),
            ("zf_crypto_secretbox_open_sub", [p, p, n, p, p], ctypes.c_int),
            ("zf_crypto_secretbox_sub_parts", [p, p, n, p, n, p, p], None),
            ("zf_crypto_poly1305", [p, p, n, p], None),
            ("zf_crypto_wipe", [p, n], None),
        ]:
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, res

    @staticmethod
    def _check(rc):
        if rc < 0:
            raise CryptoError(-rc, os.strerror(-rc))

    def random(self, n):
        if n < 0:
            raise ValueError("n must not be negative")
        b = ctypes.create_string_buffer(n)
        self._check(self.lib.zf_crypto_random(b, n))
        return b.raw

    def random_urandom(self, n):
        # zf_crypto_random's fallback when getrandom fails, called directly
        if n < 0:
            raise ValueError("n must not be negative")
        b = ctypes.create_string_buffer(n)
        self._check(self.lib.zf_crypto_random_urandom(b, n))
        return b.raw

    def scalarmult(self, n, p):
        q = ctypes.create_string_buffer(32)
        self._check(self.lib.zf_crypto_scalarmult(q, _fixed(n, 32, "scalar"),
                                                  _fixed(p, 32, "point")))
        return q.raw

    def scalarmult_base(self, n):
        q = ctypes.create_string_buffer(32)
        self.lib.zf_crypto_scalarmult_base(q, _fixed(n, 32, "scalar"))
        return q.raw

    def box_keypair(self):
        pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(32)
        self._check(self.lib.zf_crypto_box_keypair(pk, sk))
        return pk.raw, sk.raw

    def box_beforenm(self, pk, sk):
        k = ctypes.create_string_buffer(32)
        self._check(self.lib.zf_crypto_box_beforenm(k, _fixed(pk, 32, "public key"),
                                                    _fixed(sk, 32, "secret key")))
        return k.raw

    def secretbox(self, msg, nonce, key):
        """tag (16 bytes) + ciphertext: NaCl's crypto_secretbox without its zero padding."""
        m = _bytes(msg)
        c = ctypes.create_string_buffer(len(m) + 16)
        self.lib.zf_crypto_secretbox(c, m, len(m), _fixed(nonce, 24, "nonce"),
                                     _fixed(key, 32, "key"))
        return c.raw

    def secretbox_open(self, box, nonce, key):
        c = _bytes(box)
        m = ctypes.create_string_buffer(max(len(c) - 16, 0) or 1)
        self._check(self.lib.zf_crypto_secretbox_open(m, c, len(c), _fixed(nonce, 24, "nonce"),
                                                      _fixed(key, 32, "key")))
        return m.raw[:max(len(c) - 16, 0)]

    def box(self, msg, nonce, pk, sk):
        """crypto_box to the holder of pk's secret, from sk: tag + ciphertext."""
        return self.secretbox(msg, nonce, self.box_beforenm(pk, sk))

    def box_open(self, box, nonce, pk, sk):
        return self.secretbox_open(box, nonce, self.box_beforenm(pk, sk))

    box_afternm = secretbox
    box_open_afternm = secretbox_open

    def _subkey(self, nonce, key):
        sub = ctypes.create_string_buffer(32)
        self.lib.zf_crypto_xsalsa20_subkey(sub, _fixed(key, 32, "key"), _fixed(nonce, 24, "nonce"))
        return sub

    def secretbox_sub(self, msg, nonce, key):
        # a secretbox by the split construction: subkey from nonce[:16], the box from nonce[16:]
        m = _bytes(msg)
        c = ctypes.create_string_buffer(len(m) + 16)
        self.lib.zf_crypto_secretbox_sub(c, m, len(m), _bytes(nonce)[16:], self._subkey(nonce, key))
        return c.raw

    def secretbox_sub_in_place(self, msg, nonce, key):
        # sealed where the message lies (c + 16 == m), as zf_curve_encode seals
        b = ctypes.create_string_buffer(b"\0" * 16 + _bytes(msg), 16 + len(msg))
        m = ctypes.cast(ctypes.addressof(b) + 16, ctypes.c_char_p)
        self.lib.zf_crypto_secretbox_sub(b, m, len(msg), _bytes(nonce)[16:],
                                         self._subkey(nonce, key))
        return b.raw

    def secretbox_sub_parts(self, head, msg, nonce, key, in_place=False):
        # the box of head + msg from the two parts as they lie (head at most 32 bytes);
        # in_place: msg already where its ciphertext goes
        hd, m = _bytes(head), _bytes(msg)
        size = 16 + len(hd) + len(m)
        c = ctypes.create_string_buffer(b"\0" * (16 + len(hd)) + m if in_place else b"", size)
        src = ctypes.cast(ctypes.addressof(c) + 16 + len(hd), ctypes.c_char_p) if in_place else m
        self.lib.zf_crypto_secretbox_sub_parts(c, hd, len(hd), src, len(m), _bytes(nonce)[16:],
                                               self._subkey(nonce, key))
        return c.raw

    def secretbox_open_sub(self, box, nonce, key):
        # the opening counterpart, in place (m == c + 16), as zf_curve_decode opens
        b = ctypes.create_string_buffer(_bytes(box), len(box))
        sub = self._subkey(nonce, key)
        m = ctypes.cast(ctypes.addressof(b) + 16, ctypes.c_char_p)
        self._check(self.lib.zf_crypto_secretbox_open_sub(m, b, len(box), _bytes(nonce)[16:], sub))
        return b.raw[16:]

    def poly1305(self, msg, key):
        m = _bytes(msg)
        tag = ctypes.create_string_buffer(16)
        self.lib.zf_crypto_poly1305(tag, m, len(m), _fixed(key, 32, "key"))
        return tag.raw


_loaded = {}


def crypto(portable=False):
    """The library (built on first use), or a skip of the calling test with the reason.

    ``portable``: libsodium built with ZF_SODIUM_PORTABLE (sodium_config.h), the portable C that
    aarch64 and arm64 macOS run, with no SIMD files and no CPU detection, on any machine."""
    if portable not in _loaded:
        if not os.path.exists(os.path.join(REPO_ROOT, "csrc", "crypto.c")):
            pytest.skip("the engine's sources are not here (the suite runs from a copy)")
        cc = os.environ.get("CC", "gcc")
        if not shutil.which(cc):
            pytest.skip(f"no C compiler ({cc}) to build crypto.c for the tests")
        _loaded[portable] = Crypto(_build(cc, ["-DZF_SODIUM_PORTABLE"] if portable else []))
    return _loaded[portable]

