/* crypto.c: CurveZMQ's primitives, from libsodium, behind crypto.h; plus the OS random source.
 *
 * libsodium is the vendored subset in csrc/vendor/libsodium (built by setup.py with
 * csrc/sodium_config.h), or the system's when the build sets ZF_SYSTEM_SODIUM (setup.py does
 * for ZMQFAST_SYSTEM_SODIUM=1). Either way this file is the only one that sees it. */
#include "crypto.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef ZF_SYSTEM_SODIUM
/* The vendored objects are built with SODIUM_STATIC (no export attributes); the declarations
 * here must agree, or the two functions this file supplies to them would be exported. */
#define SODIUM_STATIC 1
#endif
#include <sodium/core.h>
#include <sodium/crypto_box.h>
#include <sodium/crypto_core_hsalsa20.h>
#include <sodium/crypto_onetimeauth_poly1305.h>
#include <sodium/crypto_scalarmult.h>
#include <sodium/crypto_secretbox.h>
#include <sodium/crypto_stream_salsa20.h>
#include <sodium/randombytes.h>
#include <sodium/runtime.h>
#include <sodium/utils.h>

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define ZF_HAVE_ARC4RANDOM 1
#endif
#include "platform.h" /* ZF_HIDDEN; on Windows windows.h, in the order Winsock needs */
#if defined(_WIN32)
#include <bcrypt.h>   /* BCryptGenRandom: link bcrypt */
#else
#include <fcntl.h>
#include <unistd.h>
#endif
#if defined(__linux__)
#include <poll.h>
#include <sys/syscall.h>
#endif

/* ---- choosing libsodium's implementations -------------------------------------------------- */

#ifndef ZF_SYSTEM_SODIUM
/* What sodium_init() would do for the primitives vendored: read the CPU's features and point
 * Salsa20, Poly1305 and X25519 at the fastest code for it (SSE2/AVX2 on x86). sodium_init
 * itself is not vendored: it also sets up every primitive libsodium has. Until this runs, the
 * portable C implementations are in place, so nothing is wrong before it, only slower. */
int _sodium_runtime_get_cpu_features(void);
int _crypto_onetimeauth_poly1305_pick_best_implementation(void);
int _crypto_scalarmult_curve25519_pick_best_implementation(void);
int _crypto_stream_salsa20_pick_best_implementation(void);

static void pick_keystream_chunk(void);

static void pick_implementations(void)
{
    _sodium_runtime_get_cpu_features();
    _crypto_onetimeauth_poly1305_pick_best_implementation();
    _crypto_scalarmult_curve25519_pick_best_implementation();
    _crypto_stream_salsa20_pick_best_implementation();
    pick_keystream_chunk();
}

/* The two functions the vendored files call that live in files not vendored (core.c,
 * randombytes.c, which bring in much else). Hidden, so that they never stand in for a
 * libsodium loaded elsewhere in the process. */
ZF_HIDDEN void sodium_misuse(void)
{
    abort(); /* what libsodium does without a handler: only an API misuse gets here */
}

/* Only libsodium's own key generators call this, and crypto.c uses none of them; should one
 * ever be used, it gets the same OS source as zf_crypto_random or nothing at all. */
ZF_HIDDEN void randombytes_buf(void *const buf, const size_t size)
{
    if (zf_crypto_random(buf, size) < 0)
        abort();
}
#else
static void pick_keystream_chunk(void);

static void pick_implementations(void)
{
    /* thread-safe and idempotent; on failure (-1) libsodium's portable defaults stay, which
     * are correct, and randomness does not come from libsodium here */
    if (sodium_init() < 0)
        return;
    pick_keystream_chunk();
}
#endif

static pthread_once_t picked = PTHREAD_ONCE_INIT;

/* Every entry point below calls this first: after the first call it costs a load and a
 * compare, and the implementations can never change under a thread that is using them. */
static inline void ready(void)
{
    pthread_once(&picked, pick_implementations);
}

void zf_crypto_wipe(void *p, size_t n)
{
    sodium_memzero(p, n); /* stores through a volatile pointer: not removable as dead */
}

/* ---- random ------------------------------------------------------------------------------ */

#if defined(_WIN32)
/* The system's preferred generator (CNG's AES-CTR DRBG, seeded by the kernel); there is no
 * device file to fall back to, so the "urandom" source is the same call. */
static int bcrypt_random(uint8_t *buf, size_t n)
{
    while (n > 0) {
        ULONG chunk = n > 0x40000000 ? 0x40000000 : (ULONG)n;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return -EIO;
        buf += chunk;
        n -= chunk;
    }
    return 0;
}

int zf_crypto_random_urandom(uint8_t *buf, size_t n) { return bcrypt_random(buf, n); }
#else
int zf_crypto_random_urandom(uint8_t *buf, size_t n)
{
#if defined(__linux__)
    /* Linux's /dev/urandom answers even before the kernel's pool has been seeded (early boot,
     * containers started then), with guessable output. /dev/random turns readable once it has
     * been, so wait for that first, as libsodium does. */
    int rfd;
    do
        rfd = open("/dev/random", O_RDONLY | O_CLOEXEC);
    while (rfd < 0 && errno == EINTR);
    if (rfd < 0)
        return -errno; /* cannot tell whether the pool is ready: no output rather than weak */
    struct pollfd pfd = {.fd = rfd, .events = POLLIN};
    int prc;
    do
        prc = poll(&pfd, 1, -1);
    while (prc < 0 && (errno == EINTR || errno == EAGAIN));
    int perr = prc < 0 ? errno : 0;
    close(rfd);
    if (perr)
        return -perr;
#endif
    int fd;
    do
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    while (n > 0) {
        ssize_t r = read(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int err = r < 0 ? errno : EIO;
            close(fd);
            return -err;
        }
        buf += r;
        n -= (size_t)r;
    }
    close(fd);
    return 0;
}
#endif

int zf_crypto_random(uint8_t *buf, size_t n)
{
#if defined(_WIN32)
    return bcrypt_random(buf, n);
#elif defined(ZF_HAVE_ARC4RANDOM)
    arc4random_buf(buf, n); /* seeded by the kernel, cannot fail */
    return 0;
#else
#if defined(__linux__) && defined(SYS_getrandom)
    /* the raw syscall: manylinux's old glibc has no getrandom() wrapper, the kernel may. With
     * no flags it blocks until the pool is seeded, then never again. */
    while (n > 0) {
        long r = syscall(SYS_getrandom, buf, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* ENOSYS (before 3.17), EPERM from a seccomp filter...: the fallback */
        buf += r;
        n -= (size_t)r;
    }
    if (n == 0)
        return 0;
#endif
    return zf_crypto_random_urandom(buf, n);
#endif
}

/* ---- X25519 and boxes ------------------------------------------------------------------------ */

int zf_crypto_scalarmult(uint8_t q[32], const uint8_t n[32], const uint8_t p[32])
{
    ready();
    /* libsodium refuses p of small order, and any all-zero result, with -1 */
    return crypto_scalarmult(q, n, p) == 0 ? 0 : -EINVAL;
}

void zf_crypto_scalarmult_base(uint8_t q[32], const uint8_t n[32])
{
    ready();
    /* fails only for a zero result, which a clamped scalar times the base point never is */
    if (crypto_scalarmult_base(q, n) != 0)
        memset(q, 0, 32);
}

int zf_crypto_box_keypair(uint8_t pk[32], uint8_t sk[32])
{
    /* crypto_box_keypair would draw from libsodium's randombytes; ours is zf_crypto_random */
    int rc = zf_crypto_random(sk, 32);
    if (rc < 0)
        return rc;
    zf_crypto_scalarmult_base(pk, sk);
    return 0;
}

int zf_crypto_box_beforenm(uint8_t k[32], const uint8_t pk[32], const uint8_t sk[32])
{
    ready();
    return crypto_box_beforenm(k, pk, sk) == 0 ? 0 : -EINVAL;
}

/* The _easy forms lay a box out as CURVE does: tag, then ciphertext. */
void zf_crypto_secretbox(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t nonce[24],
                         const uint8_t k[32])
{
    ready();
    /* fails only for a message over crypto_secretbox_MESSAGEBYTES_MAX (2^64 - 17 bytes) */
    if (crypto_secretbox_easy(c, m, mlen, nonce, k) != 0)
        abort();
}

int zf_crypto_secretbox_open(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t nonce[24],
                             const uint8_t k[32])
{
    ready();
    /* verifies the tag before it writes m; -1 also for clen < 16 */
    return crypto_secretbox_open_easy(m, c, clen, nonce, k) == 0 ? 0 : -EBADMSG;
}

void zf_crypto_poly1305(uint8_t tag[16], const uint8_t *m, size_t mlen, const uint8_t key[32])
{
    ready();
    crypto_onetimeauth_poly1305(tag, m, mlen, key);
}

/* ---- secretbox with the HSalsa20 step done once ------------------------------------------------
 * crypto_secretbox is, by its definition (NaCl; libsodium's crypto_secretbox_detached): subkey =
 * HSalsa20(k, nonce[0..16]); keystream = Salsa20(subkey, nonce[16..24]); its first 32 bytes are
 * the Poly1305 key, the rest is XORed into m; the tag is Poly1305 of the ciphertext. Only the
 * composition is here; every primitive is libsodium's.
 *
 * How much keystream the first Salsa20 call makes. One 64-byte block is a chain of 20 dependent
 * rounds: libsodium's SIMD code computes it in about as long as its 4-block (SSE2, 256 bytes) or
 * 8-block (AVX2, 512 bytes) paths compute four or eight blocks side by side. A 64-byte CURVE
 * message (65 bytes boxed, so 97 bytes of keystream) took one block, then a second call for a
 * second block (~140 + ~190 ns on the project's EPYC VM); one 256-byte call takes ~215 ns, and is
 * wiped in ~10. So where the SIMD paths are in use the first call makes 256 bytes, or 512 with
 * AVX2 when more than 256 are wanted, and only what lies beyond (a message over 224/480 bytes)
 * takes a second call. Where they are not (the portable C on aarch64, arm64 macOS), blocks cost
 * the same one by one, and the first call makes one block, as crypto_secretbox does. A choice of
 * speed only: any chunk gives the same bytes. Set once, by ready(); read without a lock after. */
#define KS_MAX 512
static size_t ks_wide = 64; /* 64, 256 (4 blocks side by side) or 512 (8) */

static void pick_keystream_chunk(void)
{
    /* libsodium's x86 Salsa20 code (vendored: xmm6int, SSE2 and AVX2; a system copy may have its
     * amd64 assembly instead, which also takes 256 bytes at a time) is what it picks whenever
     * the CPU has SSE2; runtime.c answers 0 when the build has no SIMD files (ZF_SODIUM_PORTABLE,
     * non-x86), where the portable code is in use */
    if (sodium_runtime_has_avx2())
        ks_wide = 512;
    else if (sodium_runtime_has_sse2())
        ks_wide = 256;
}

/* Bytes of keystream for the first call, need = 32 + message length: whole blocks, one if that
 * is enough, else as many as the SIMD path computes at once (a multiple of 64: the rest of the
 * keystream, if any, starts at block chunk / 64). */
static inline size_t ks_chunk(size_t need)
{
    if (need <= 64 || ks_wide == 64)
        return 64;
    return need <= 256 ? 256 : ks_wide;
}

/* out = in ^ ks over n bytes, eight at a time; out == in is allowed (each word is read before it
 * is written), as sealing and opening in place need. */
static inline void xor_bytes(uint8_t *out, const uint8_t *in, const uint8_t *ks, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, in + i, 8);
        memcpy(&b, ks + i, 8);
        a ^= b;
        memcpy(out + i, &a, 8);
    }
    for (; i < n; i++)
        out[i] = in[i] ^ ks[i];
}

void zf_crypto_xsalsa20_subkey(uint8_t sub[32], const uint8_t k[32], const uint8_t prefix[16])
{
    ready();
    crypto_core_hsalsa20(sub, prefix, k, NULL);
}

void zf_crypto_secretbox_sub_parts(uint8_t *c, const uint8_t *head, size_t hlen, const uint8_t *m,
                                   size_t mlen, const uint8_t n8[8], const uint8_t sub[32])
{
    uint8_t ks[KS_MAX];
    ready();
    size_t total = hlen + mlen, chunk = ks_chunk(32 + total);
    size_t room = chunk - 32; /* plaintext bytes the first call covers: at least 32 >= hlen */
    size_t first = total < room ? mlen : room - hlen; /* of them, bytes of m */
    uint8_t *ct = c + ZF_CRYPTO_TAGBYTES;
    /* keystream bytes 0-31: the Poly1305 key; 32 on: XORed into head, then m. Each byte of m
     * is read before the same byte of ct is written, so m == ct + hlen (in place) is safe. */
    crypto_stream_salsa20(ks, chunk, n8, sub);
    xor_bytes(ct, head, ks + 32, hlen);
    xor_bytes(ct + hlen, m, ks + 32 + hlen, first);
    if (mlen > first) /* ct + room starts keystream block chunk / 64 */
        crypto_stream_salsa20_xor_ic(ct + room, m + first, mlen - first, n8, chunk / 64, sub);
    crypto_onetimeauth_poly1305(c, ct, total, ks);
    zf_crypto_wipe(ks, chunk);
}

void zf_crypto_secretbox_sub(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t n8[8],
                             const uint8_t sub[32])
{
    zf_crypto_secretbox_sub_parts(c, NULL, 0, m, mlen, n8, sub);
}

int zf_crypto_secretbox_open_sub(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t n8[8],
                                 const uint8_t sub[32])
{
    uint8_t ks[KS_MAX];
    if (clen < ZF_CRYPTO_TAGBYTES)
        return -EBADMSG;
    ready();
    const uint8_t *ct = c + ZF_CRYPTO_TAGBYTES;
    size_t mlen = clen - ZF_CRYPTO_TAGBYTES;
    size_t chunk = ks_chunk(32 + mlen), head = mlen < chunk - 32 ? mlen : chunk - 32;
    /* the keystream once, for both the Poly1305 key and the first bytes of m (libsodium's
     * crypto_secretbox_open makes block 0 twice); nothing is written to m before the tag has
     * been verified */
    crypto_stream_salsa20(ks, chunk, n8, sub);
    if (crypto_onetimeauth_poly1305_verify(c, ct, mlen, ks) != 0) {
        zf_crypto_wipe(ks, chunk);
        return -EBADMSG;
    }
    xor_bytes(m, ct, ks + 32, head);
    if (mlen > head)
        crypto_stream_salsa20_xor_ic(m + head, ct + head, mlen - head, n8, chunk / 64, sub);
    zf_crypto_wipe(ks, chunk);
    return 0;
}
