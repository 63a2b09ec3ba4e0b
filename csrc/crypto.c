/* crypto.c: X25519, XSalsa20-Poly1305 boxes and the OS random source, for CurveZMQ.
 * Everything that touches secret data runs in time independent of it: no branches on secret
 * bits, no secret-indexed memory, tag comparison without early exit. */
#include "crypto.h"

#include <errno.h>
#include <string.h>

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define ZF_HAVE_ARC4RANDOM 1
#include <stdlib.h>
#else
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#endif

void zf_crypto_wipe(void *p, size_t n)
{
    /* a volatile store cannot be proven dead, so the compiler keeps it */
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

/* ---- random ------------------------------------------------------------------------------ */

#ifndef ZF_HAVE_ARC4RANDOM
static int urandom(uint8_t *buf, size_t n)
{
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
#ifdef ZF_HAVE_ARC4RANDOM
    arc4random_buf(buf, n);
    return 0;
#else
#if defined(__linux__) && defined(SYS_getrandom)
    /* the raw syscall: manylinux's old glibc has no getrandom() wrapper, the kernel may */
    while (n > 0) {
        long r = syscall(SYS_getrandom, buf, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOSYS)
                break; /* kernel before 3.17 */
            return -errno;
        }
        buf += r;
        n -= (size_t)r;
    }
    if (n == 0)
        return 0;
#endif
    return urandom(buf, n);
#endif
}

/* ---- little-endian loads and stores -------------------------------------------------------- */

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- GF(2^255 - 19) ------------------------------------------------------------------------
 * Ten unsigned 26-bit limbs (260 bits): uniform limbs keep the reduction a single constant,
 * 2^260 = 32 * 2^255 = 32 * 19 = 608 (mod p). Limbs are left loose between operations; the
 * bounds that keep the 64-bit products from overflowing are noted where they matter. */

typedef uint64_t fe[10];

#define M26 ((uint64_t)0x3ffffff)
#define M21 ((uint64_t)0x1fffff)

static void fe_set(fe r, uint64_t v)
{
    memset(r, 0, sizeof(fe));
    r[0] = v;
}

static void fe_copy(fe r, const fe a)
{
    memcpy(r, a, sizeof(fe));
}

/* Limbs back under 2^26 (limb 1 may reach 2^26 + a few), value unchanged mod p. */
static void fe_carry(fe r)
{
    for (int i = 0; i < 9; i++) {
        r[i + 1] += r[i] >> 26;
        r[i] &= M26;
    }
    r[0] += 608 * (r[9] >> 26);
    r[9] &= M26;
    r[1] += r[0] >> 26;
    r[0] &= M26;
}

static void fe_add(fe r, const fe a, const fe b)
{
    for (int i = 0; i < 10; i++)
        r[i] = a[i] + b[i];
}

/* 128p written with limbs of about 2^28 each, so a - b + 128p never goes negative for any b
 * that came out of fe_carry or one fe_add. Result limbs stay under 2^29. */
static void fe_sub(fe r, const fe a, const fe b)
{
    r[0] = a[0] + (((uint64_t)1 << 28) - 2432) - b[0];
    for (int i = 1; i < 10; i++)
        r[i] = a[i] + (((uint64_t)1 << 28) - 4) - b[i];
}

/* Inputs under 2^29 per limb: each product is under 2^58 and ten of them under 2^62. */
static void fe_mul(fe r, const fe a, const fe b)
{
    uint64_t t[20] = {0};
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            t[i + j] += a[i] * b[j];
    for (int i = 0; i < 19; i++) {
        t[i + 1] += t[i] >> 26;
        t[i] &= M26;
    }
    for (int i = 0; i < 10; i++)
        r[i] = t[i] + 608 * t[i + 10];
    fe_carry(r);
}

/* Squaring: the cross products come in equal pairs, so each is made once and doubled. The sums
 * are those of fe_mul, so its bounds hold. */
static void fe_sq(fe r, const fe a)
{
    uint64_t t[20] = {0};
    for (int i = 0; i < 10; i++) {
        t[2 * i] += a[i] * a[i];
        uint64_t a2 = 2 * a[i];
        for (int j = i + 1; j < 10; j++)
            t[i + j] += a2 * a[j];
    }
    for (int i = 0; i < 19; i++) {
        t[i + 1] += t[i] >> 26;
        t[i] &= M26;
    }
    for (int i = 0; i < 10; i++)
        r[i] = t[i] + 608 * t[i + 10];
    fe_carry(r);
}

/* r = a^(2^n) */
static void fe_sqn(fe r, const fe a, int n)
{
    fe_sq(r, a);
    while (--n > 0)
        fe_sq(r, r);
}

static void fe_mul_small(fe r, const fe a, uint32_t k)
{
    for (int i = 0; i < 10; i++)
        r[i] = a[i] * k;
    fe_carry(r);
}

/* 1/a = a^(p-2) = a^(2^255 - 21), by the usual addition chain: runs of ones 2^k - 1 long are
 * built by doubling, then 2^250 - 1 is shifted up five places and 11 added. */
static void fe_invert(fe r, const fe a)
{
    fe a2, a9, a11, t, e5, e10, e20, e50, e100;
    fe_sq(a2, a);           /* a^2 */
    fe_sqn(t, a2, 2);       /* a^8 */
    fe_mul(a9, t, a);       /* a^9 */
    fe_mul(a11, a9, a2);    /* a^11 */
    fe_sq(t, a11);          /* a^22 */
    fe_mul(e5, t, a9);      /* a^(2^5 - 1) */
    fe_sqn(t, e5, 5);
    fe_mul(e10, t, e5);     /* a^(2^10 - 1) */
    fe_sqn(t, e10, 10);
    fe_mul(e20, t, e10);    /* a^(2^20 - 1) */
    fe_sqn(t, e20, 20);
    fe_mul(t, t, e20);      /* a^(2^40 - 1) */
    fe_sqn(t, t, 10);
    fe_mul(e50, t, e10);    /* a^(2^50 - 1) */
    fe_sqn(t, e50, 50);
    fe_mul(e100, t, e50);   /* a^(2^100 - 1) */
    fe_sqn(t, e100, 100);
    fe_mul(t, t, e100);     /* a^(2^200 - 1) */
    fe_sqn(t, t, 50);
    fe_mul(t, t, e50);      /* a^(2^250 - 1) */
    fe_sqn(t, t, 5);        /* a^(2^255 - 32) */
    fe_mul(r, t, a11);      /* a^(2^255 - 21) */
}

/* Swap a and b when bit is 1, with the same memory traffic either way. */
static void fe_cswap(fe a, fe b, uint64_t bit)
{
    uint64_t mask = 0 - bit;
    for (int i = 0; i < 10; i++) {
        uint64_t x = mask & (a[i] ^ b[i]);
        a[i] ^= x;
        b[i] ^= x;
    }
}

static void fe_frombytes(fe r, const uint8_t s[32])
{
    uint64_t acc = 0;
    int bits = 0, j = 0;
    for (int i = 0; i < 10; i++) {
        while (bits < 26 && j < 32) {
            acc |= (uint64_t)s[j++] << bits;
            bits += 8;
        }
        r[i] = acc & M26;
        acc >>= 26;
        bits -= 26;
    }
    r[9] &= M21; /* RFC 7748 5: the u-coordinate's top bit is ignored */
}

/* Fold the bits at 2^255 and above back in as 19 each, limbs made exact. */
static void fe_fold255(fe t)
{
    uint64_t h = t[9] >> 21;
    t[9] &= M21;
    t[0] += 19 * h;
    for (int i = 0; i < 9; i++) {
        t[i + 1] += t[i] >> 26;
        t[i] &= M26;
    }
}

/* The unique representative in [0, p), little-endian. */
static void fe_tobytes(uint8_t s[32], const fe a)
{
    fe t, g;
    fe_copy(t, a);
    fe_carry(t);
    for (int i = 0; i < 9; i++) { /* fe_carry can leave limb 1 at 2^26 */
        t[i + 1] += t[i] >> 26;
        t[i] &= M26;
    }
    fe_fold255(t); /* now under 2^255 + 2^11 */
    fe_fold255(t); /* now under 2^255 */
    /* t >= p exactly when t + 19 reaches 2^255; then t - p is that sum without bit 255 */
    fe_copy(g, t);
    g[0] += 19;
    for (int i = 0; i < 9; i++) {
        g[i + 1] += g[i] >> 26;
        g[i] &= M26;
    }
    uint64_t ge = g[9] >> 21;
    g[9] &= M21;
    fe_cswap(t, g, ge);

    uint64_t acc = 0;
    int bits = 0, j = 0;
    for (int i = 0; i < 10; i++) {
        acc |= t[i] << bits;
        bits += 26;
        while (bits >= 8 && j < 32) {
            s[j++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    zf_crypto_wipe(t, sizeof t);
    zf_crypto_wipe(g, sizeof g);
}

/* ---- X25519 (RFC 7748 section 5) ---------------------------------------------------------- */

int zf_crypto_scalarmult(uint8_t q[32], const uint8_t n[32], const uint8_t p[32])
{
    uint8_t k[32];
    fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
    uint64_t swap = 0;

    memcpy(k, n, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;

    fe_frombytes(x1, p);
    fe_set(x2, 1);
    fe_set(z2, 0);
    fe_copy(x3, x1);
    fe_set(z3, 1);

    /* Montgomery ladder: the same field operations for every bit, the bit only steering
     * which pair gets swapped in, by mask */
    for (int t = 254; t >= 0; t--) {
        uint64_t kt = (k[t >> 3] >> (t & 7)) & 1;
        swap ^= kt;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = kt;

        fe_add(a, x2, z2);
        fe_sq(aa, a);
        fe_sub(b, x2, z2);
        fe_sq(bb, b);
        fe_sub(e, aa, bb);
        fe_add(c, x3, z3);
        fe_sub(d, x3, z3);
        fe_mul(da, d, a);
        fe_mul(cb, c, b);
        fe_add(x3, da, cb);
        fe_sq(x3, x3);
        fe_sub(z3, da, cb);
        fe_sq(z3, z3);
        fe_mul(z3, z3, x1);
        fe_mul(x2, aa, bb);
        fe_mul_small(z2, e, 121665); /* a24 = (486662 - 2) / 4 */
        fe_add(z2, z2, aa);
        fe_mul(z2, z2, e);
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);

    fe_invert(z2, z2);
    fe_mul(x2, x2, z2);
    fe_tobytes(q, x2);

    zf_crypto_wipe(k, sizeof k);
    zf_crypto_wipe(x2, sizeof x2);
    zf_crypto_wipe(z2, sizeof z2);
    zf_crypto_wipe(x3, sizeof x3);
    zf_crypto_wipe(z3, sizeof z3);

    uint8_t any = 0;
    for (int i = 0; i < 32; i++)
        any |= q[i];
    return any ? 0 : -EINVAL;
}

void zf_crypto_scalarmult_base(uint8_t q[32], const uint8_t n[32])
{
    static const uint8_t nine[32] = {9};
    (void)zf_crypto_scalarmult(q, n, nine); /* n * 9 is never zero: 9 has prime order */
}

int zf_crypto_box_keypair(uint8_t pk[32], uint8_t sk[32])
{
    int rc = zf_crypto_random(sk, 32);
    if (rc < 0)
        return rc;
    zf_crypto_scalarmult_base(pk, sk);
    return 0;
}

/* ---- Salsa20 core, HSalsa20, XSalsa20 ---------------------------------------------------- */

static uint32_t rotl(uint32_t v, int c)
{
    return (v << c) | (v >> (32 - c));
}

#define QR(a, b, c, d)             \
    do {                           \
        x[b] ^= rotl(x[a] + x[d], 7);  \
        x[c] ^= rotl(x[b] + x[a], 9);  \
        x[d] ^= rotl(x[c] + x[b], 13); \
        x[a] ^= rotl(x[d] + x[c], 18); \
    } while (0)

static void salsa20_rounds(uint32_t x[16])
{
    for (int i = 0; i < 10; i++) {
        /* columns */
        QR(0, 4, 8, 12);
        QR(5, 9, 13, 1);
        QR(10, 14, 2, 6);
        QR(15, 3, 7, 11);
        /* rows */
        QR(0, 1, 2, 3);
        QR(5, 6, 7, 4);
        QR(10, 11, 8, 9);
        QR(15, 12, 13, 14);
    }
}

/* The 32-byte-key layout: "expand 32-byte k" on the diagonal, key halves around it, the
 * 16 input bytes (nonce and counter, or HSalsa20's input) in the middle. */
static void salsa20_init(uint32_t x[16], const uint8_t key[32], const uint8_t in[16])
{
    x[0] = 0x61707865;
    x[5] = 0x3320646e;
    x[10] = 0x79622d32;
    x[15] = 0x6b206574;
    for (int i = 0; i < 4; i++) {
        x[1 + i] = ld32(key + 4 * i);
        x[11 + i] = ld32(key + 16 + 4 * i);
        x[6 + i] = ld32(in + 4 * i);
    }
}

/* One 64-byte block for the state s (key, nonce, counter laid out); x is the caller's scratch,
 * so that it is wiped once per stream rather than once per block. */
static void salsa20_block(uint8_t out[64], const uint32_t s[16], uint32_t x[16])
{
    memcpy(x, s, 16 * sizeof *x);
    salsa20_rounds(x);
    for (int i = 0; i < 16; i++)
        st32(out + 4 * i, x[i] + s[i]);
}

/* HSalsa20 drops the feed-forward and keeps the words an attacker could otherwise solve for
 * from the known diagonal and input: that is what makes it a PRF for XSalsa20's subkeys. */
static void hsalsa20(uint8_t out[32], const uint8_t key[32], const uint8_t in[16])
{
    static const int pick[8] = {0, 5, 10, 15, 6, 7, 8, 9};
    uint32_t x[16];
    salsa20_init(x, key, in);
    salsa20_rounds(x);
    for (int i = 0; i < 8; i++)
        st32(out + 4 * i, x[pick[i]]);
    zf_crypto_wipe(x, sizeof x);
}

/* XSalsa20's state for key and 24-byte nonce: the HSalsa20 subkey, the last 8 nonce bytes,
 * block counter 0. */
static void xsalsa20_init(uint32_t s[16], const uint8_t nonce[24], const uint8_t key[32])
{
    uint8_t sub[32], in[16];
    hsalsa20(sub, key, nonce);
    memcpy(in, nonce + 16, 8);
    memset(in + 8, 0, 8);
    salsa20_init(s, sub, in);
    zf_crypto_wipe(sub, sizeof sub);
}

static void xor_bytes(uint8_t *out, const uint8_t *in, const uint8_t *ks, size_t n)
{
    size_t i = 0;
    /* eight bytes at a time through memcpy: no alignment assumed, and compilers make it
     * plain 64-bit loads and stores */
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

/* XSalsa20 keystream XOR from offset 32 of the stream into out; the first 32 keystream
 * bytes, which NaCl spends on the Poly1305 key, go to polykey. */
static void xsalsa20_xor(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[24],
                         const uint8_t key[32], uint8_t polykey[32])
{
    uint32_t s[16], x[16];
    uint8_t ks[64];
    uint64_t counter = 0;
    size_t off = 32;

    xsalsa20_init(s, nonce, key);
    salsa20_block(ks, s, x);
    memcpy(polykey, ks, 32);
    while (len > 0) {
        if (off == 64) {
            counter++;
            s[8] = (uint32_t)counter;
            s[9] = (uint32_t)(counter >> 32);
            salsa20_block(ks, s, x);
            off = 0;
        }
        size_t n = 64 - off < len ? 64 - off : len;
        xor_bytes(out, in, ks + off, n);
        out += n;
        in += n;
        len -= n;
        off += n;
    }
    zf_crypto_wipe(s, sizeof s);
    zf_crypto_wipe(x, sizeof x);
    zf_crypto_wipe(ks, sizeof ks);
}

/* ---- Poly1305 (RFC 8439 section 2.5) ------------------------------------------------------
 * The accumulator in five 26-bit limbs; 2^130 = 5 (mod 2^130 - 5) folds the high products. */

void zf_crypto_poly1305(uint8_t tag[16], const uint8_t *m, size_t mlen, const uint8_t key[32])
{
    uint8_t rb[16];
    memcpy(rb, key, 16);
    rb[3] &= 15;
    rb[7] &= 15;
    rb[11] &= 15;
    rb[15] &= 15;
    rb[4] &= 252;
    rb[8] &= 252;
    rb[12] &= 252;

    uint64_t t0 = ld32(rb), t1 = ld32(rb + 4), t2 = ld32(rb + 8), t3 = ld32(rb + 12);
    uint64_t r0 = t0 & M26, r1 = ((t0 >> 26) | (t1 << 6)) & M26,
             r2 = ((t1 >> 20) | (t2 << 12)) & M26, r3 = ((t2 >> 14) | (t3 << 18)) & M26,
             r4 = t3 >> 8;
    uint64_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint64_t h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, c;

    while (mlen > 0) {
        uint8_t blk[16];
        const uint8_t *p = m;
        uint64_t hibit = (uint64_t)1 << 24; /* the appended 0x01 of a full block: bit 128 */
        size_t n = 16;
        if (mlen < 16) {
            memset(blk, 0, sizeof blk);
            memcpy(blk, m, mlen);
            blk[mlen] = 1;
            p = blk;
            hibit = 0;
            n = mlen;
        }
        t0 = ld32(p);
        t1 = ld32(p + 4);
        t2 = ld32(p + 8);
        t3 = ld32(p + 12);
        h0 += t0 & M26;
        h1 += ((t0 >> 26) | (t1 << 6)) & M26;
        h2 += ((t1 >> 20) | (t2 << 12)) & M26;
        h3 += ((t2 >> 14) | (t3 << 18)) & M26;
        h4 += (t3 >> 8) | hibit;

        /* limbs of h under 2^27, of r under 2^26, of 5r under 2^29: sums stay under 2^59 */
        uint64_t d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
        uint64_t d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
        uint64_t d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
        uint64_t d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
        uint64_t d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
        d1 += d0 >> 26;
        h0 = d0 & M26;
        d2 += d1 >> 26;
        h1 = d1 & M26;
        d3 += d2 >> 26;
        h2 = d2 & M26;
        d4 += d3 >> 26;
        h3 = d3 & M26;
        h4 = d4 & M26;
        h0 += (d4 >> 26) * 5;
        h1 += h0 >> 26;
        h0 &= M26;

        m += n;
        mlen -= n;
    }

    /* fully carry: h < 2^130 + a little, so below 2p */
    c = h1 >> 26; h1 &= M26; h2 += c;
    c = h2 >> 26; h2 &= M26; h3 += c;
    c = h3 >> 26; h3 &= M26; h4 += c;
    c = h4 >> 26; h4 &= M26; h0 += c * 5;
    c = h0 >> 26; h0 &= M26; h1 += c;

    /* g = h - p = h + 5 - 2^130; take it when it is not negative, by mask */
    uint64_t g0 = h0 + 5;
    c = g0 >> 26; g0 &= M26;
    uint64_t g1 = h1 + c;
    c = g1 >> 26; g1 &= M26;
    uint64_t g2 = h2 + c;
    c = g2 >> 26; g2 &= M26;
    uint64_t g3 = h3 + c;
    c = g3 >> 26; g3 &= M26;
    uint64_t g4 = h4 + c - ((uint64_t)1 << 26);
    uint64_t take = (g4 >> 63) - 1; /* all ones when g4 >= 0 */
    h0 = (h0 & ~take) | (g0 & take);
    h1 = (h1 & ~take) | (g1 & take);
    h2 = (h2 & ~take) | (g2 & take);
    h3 = (h3 & ~take) | (g3 & take);
    h4 = (h4 & ~take) | (g4 & take);

    /* tag = (h + s) mod 2^128, adding limbs rather than OR-ing so loose limbs are harmless */
    uint64_t acc = h0 + (h1 << 26) + ld32(key + 16);
    st32(tag, (uint32_t)acc);
    acc = (acc >> 32) + (h2 << 20) + ld32(key + 20);
    st32(tag + 4, (uint32_t)acc);
    acc = (acc >> 32) + (h3 << 14) + ld32(key + 24);
    st32(tag + 8, (uint32_t)acc);
    acc = (acc >> 32) + (h4 << 8) + ld32(key + 28);
    st32(tag + 12, (uint32_t)acc);

    zf_crypto_wipe(rb, sizeof rb);
}

/* All 16 bytes are compared whatever the first difference, so timing says nothing of where
 * a forged tag goes wrong. */
static int tag_equal(const uint8_t a[16], const uint8_t b[16])
{
    uint32_t diff = 0;
    for (int i = 0; i < 16; i++)
        diff |= (uint32_t)(a[i] ^ b[i]);
    return (int)(1 & ((diff - 1) >> 8));
}

/* ---- boxes --------------------------------------------------------------------------------- */

void zf_crypto_secretbox(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t nonce[24],
                         const uint8_t k[32])
{
    uint8_t polykey[32];
    xsalsa20_xor(c + ZF_CRYPTO_TAGBYTES, m, mlen, nonce, k, polykey);
    zf_crypto_poly1305(c, c + ZF_CRYPTO_TAGBYTES, mlen, polykey);
    zf_crypto_wipe(polykey, sizeof polykey);
}

int zf_crypto_secretbox_open(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t nonce[24],
                             const uint8_t k[32])
{
    uint8_t polykey[32], ks[64], tag[16];
    uint32_t s[16], x[16];
    if (clen < ZF_CRYPTO_TAGBYTES)
        return -EBADMSG;
    /* the Poly1305 key alone first: nothing is decrypted before the tag checks out */
    xsalsa20_init(s, nonce, k);
    salsa20_block(ks, s, x);
    memcpy(polykey, ks, 32);
    zf_crypto_wipe(s, sizeof s);
    zf_crypto_wipe(x, sizeof x);
    zf_crypto_wipe(ks, sizeof ks);
    zf_crypto_poly1305(tag, c + ZF_CRYPTO_TAGBYTES, clen - ZF_CRYPTO_TAGBYTES, polykey);
    int ok = tag_equal(tag, c);
    if (ok)
        xsalsa20_xor(m, c + ZF_CRYPTO_TAGBYTES, clen - ZF_CRYPTO_TAGBYTES, nonce, k, polykey);
    zf_crypto_wipe(polykey, sizeof polykey);
    return ok ? 0 : -EBADMSG;
}

int zf_crypto_box_beforenm(uint8_t k[32], const uint8_t pk[32], const uint8_t sk[32])
{
    static const uint8_t zero[16] = {0};
    uint8_t s[32];
    int rc = zf_crypto_scalarmult(s, sk, pk);
    if (rc == 0)
        hsalsa20(k, s, zero);
    zf_crypto_wipe(s, sizeof s);
    return rc;
}
