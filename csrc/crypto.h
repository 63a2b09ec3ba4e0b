/* crypto.h: the NaCl primitives CurveZMQ (RFC 26) needs: X25519 (RFC 7748), XSalsa20-Poly1305
 * boxes, Poly1305, and the OS random source. crypto.c takes them from libsodium (vendored, or the
 * system's); nothing else in the engine includes libsodium, so this header is the seam.
 *
 * Boxes are NaCl's crypto_box / crypto_secretbox, byte for byte, laid out as libsodium's _easy
 * forms: sealing m (mlen bytes) writes mlen + ZF_CRYPTO_TAGBYTES bytes, the 16-byte Poly1305
 * tag first and then the ciphertext, which is exactly the box that CURVE puts on the wire.
 *
 * No allocation; every function is safe to call from any thread (the first call picks
 * libsodium's implementations for this CPU, once). Errors are negative errno values. */
#ifndef ZF_CRYPTO_H
#define ZF_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define ZF_CRYPTO_KEYBYTES 32   /* X25519 public and secret keys, box and secretbox keys */
#define ZF_CRYPTO_NONCEBYTES 24 /* XSalsa20 nonce */
#define ZF_CRYPTO_TAGBYTES 16   /* Poly1305 tag at the head of every box */

/* n bytes from the OS's generator: arc4random_buf on macOS/BSD; on Linux getrandom, and on any
 * failure of it (ENOSYS on old kernels, EPERM under a seccomp filter...) the fallback below.
 * 0, or a negative errno when the OS gives nothing it vouches for: never a weaker source. */
int zf_crypto_random(uint8_t *buf, size_t n);
/* That fallback, exposed for its test: /dev/urandom, on Linux only once /dev/random has turned
 * readable (the kernel's pool is seeded), as libsodium waits before its first read. */
int zf_crypto_random_urandom(uint8_t *buf, size_t n);

/* X25519: q = n * p (RFC 7748, scalar clamped as it says, top bit of p ignored).
 * -EINVAL when q comes out all zero (p is of small order): a peer could otherwise force a
 * known shared key, so callers must not proceed. */
int zf_crypto_scalarmult(uint8_t q[32], const uint8_t n[32], const uint8_t p[32]);
/* q = n * 9, the public key for secret n. */
void zf_crypto_scalarmult_base(uint8_t q[32], const uint8_t n[32]);

/* A new key pair: sk random, pk = sk * 9. 0 or the error of zf_crypto_random. */
int zf_crypto_box_keypair(uint8_t pk[32], uint8_t sk[32]);

/* k = HSalsa20(X25519(sk, pk), 0): the shared key crypto_box_afternm uses.
 * -EINVAL for a small-order pk (see zf_crypto_scalarmult). */
int zf_crypto_box_beforenm(uint8_t k[32], const uint8_t pk[32], const uint8_t sk[32]);

/* Seal m into c (mlen + 16 bytes: tag, then ciphertext). c and m must not overlap, except
 * that c + 16 == m is allowed (sealing in place behind a 16-byte gap). */
void zf_crypto_secretbox(uint8_t *c, const uint8_t *m, size_t mlen,
                         const uint8_t nonce[24], const uint8_t k[32]);
/* Open c (clen bytes, tag first) into m (clen - 16 bytes). m is written only once the tag
 * has been verified; m == c + 16 is allowed. -EBADMSG when the tag does not match or clen
 * is under 16. */
int zf_crypto_secretbox_open(uint8_t *m, const uint8_t *c, size_t clen,
                             const uint8_t nonce[24], const uint8_t k[32]);

/* crypto_box with a key from zf_crypto_box_beforenm is secretbox with that key. */
static inline void zf_crypto_box_afternm(uint8_t *c, const uint8_t *m, size_t mlen,
                                         const uint8_t nonce[24], const uint8_t k[32])
{
    zf_crypto_secretbox(c, m, mlen, nonce, k);
}

static inline int zf_crypto_box_open_afternm(uint8_t *m, const uint8_t *c, size_t clen,
                                             const uint8_t nonce[24], const uint8_t k[32])
{
    return zf_crypto_secretbox_open(m, c, clen, nonce, k);
}

/* The same boxes for a nonce whose first 16 bytes stay fixed (CURVE's MESSAGE nonces: a
 * 16-byte prefix per direction, then the counter): XSalsa20's HSalsa20 step depends only on
 * the key and those 16 bytes, so zf_crypto_xsalsa20_subkey does it once, and the _sub functions
 * take the nonce's last 8 bytes. Byte for byte the boxes of zf_crypto_secretbox and
 * zf_crypto_secretbox_open with nonce = prefix + n8, at two Salsa20 blocks less per small box
 * (no HSalsa20 per box, and opening computes the first block once where libsodium's open
 * computes it twice), and with the first keystream made in one call, four or eight blocks side
 * by side where libsodium's SIMD Salsa20 runs (crypto.c, ks_chunk). Same overlap rules. */
void zf_crypto_xsalsa20_subkey(uint8_t sub[32], const uint8_t k[32], const uint8_t prefix[16]);
void zf_crypto_secretbox_sub(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t n8[8],
                             const uint8_t sub[32]);
/* The box of a message in two parts, head (hlen bytes, at most 32) then m, sealed without
 * joining them first (CURVE's flags byte and a frame's data: a large frame is not copied before
 * it is encrypted). c gets 16 + hlen + mlen bytes. head must not overlap c; m may lie where its
 * ciphertext goes (m == c + 16 + hlen) or apart from c. */
void zf_crypto_secretbox_sub_parts(uint8_t *c, const uint8_t *head, size_t hlen, const uint8_t *m,
                                   size_t mlen, const uint8_t n8[8], const uint8_t sub[32]);
int zf_crypto_secretbox_open_sub(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t n8[8],
                                 const uint8_t sub[32]);

/* Poly1305 (RFC 8439 2.5) of m under a one-time key; exposed for its test vectors. */
void zf_crypto_poly1305(uint8_t tag[16], const uint8_t *m, size_t mlen, const uint8_t key[32]);

/* Zero memory in a way the compiler may not drop (sodium_memzero): secrets on the stack, and
 * in memory about to be freed, where a plain memset is a dead store the optimiser may remove. */
void zf_crypto_wipe(void *p, size_t n);

#endif
