/* test_crypto.c: known answers for CURVE's primitives (crypto.h), typed from the published
 * vectors: X25519 from RFC 7748 (5.2 and 6.1, and the iterated test: 1 and 1,000 steps always,
 * 1,000,000 with CTEST_SLOW=1, about a minute), crypto_secretbox and crypto_box from NaCl's own
 * tests (tests/secretbox.c, tests/box.c: the same 131-byte message, also in libsodium's test
 * suite), Poly1305 from RFC 8439 (2.5.2 and appendix A.3). Then the properties the vectors do not
 * cover: boxes refused when altered, small-order points refused, the split (subkey) boxes equal
 * to the plain ones, and the random source. The differential checks against libsodium itself
 * run from Python (tests/test_curve_crypto.py, against PyNaCl). */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "crypto.h"

#define HEX(buf, text) check_unhex(buf, sizeof buf, text)

/* ---- X25519 ---------------------------------------------------------------------------------- */

static void test_x25519_rfc7748_section_5_2(void)
{
    static const char *v[2][3] = {
        {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
        {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
    };
    for (int i = 0; i < 2; i++) {
        uint8_t k[32], u[32], want[32], got[32];
        HEX(k, v[i][0]);
        HEX(u, v[i][1]);
        HEX(want, v[i][2]);
        CHECK_EQ(zf_crypto_scalarmult(got, k, u), 0);
        CHECK_MEM(got, want, 32);
    }
}

static void test_x25519_rfc7748_iterated(void)
{
    /* k = X25519(k, u), u = the old k, from k = u = 9 */
    uint8_t k[32] = {9}, u[32] = {9}, next[32], want[32];
    long steps = getenv("CTEST_SLOW") ? 1000000 : 1000;
    for (long i = 1; i <= steps; i++) {
        REQUIRE(zf_crypto_scalarmult(next, k, u) == 0);
        memcpy(u, k, 32);
        memcpy(k, next, 32);
        if (i == 1) {
            HEX(want, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
            CHECK_MEM(k, want, 32);
        } else if (i == 1000) {
            HEX(want, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
            CHECK_MEM(k, want, 32);
        } else if (i == 1000000) {
            HEX(want, "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424");
            CHECK_MEM(k, want, 32);
        }
    }
    if (steps < 1000000)
        printf("  (1,000,000 steps: CTEST_SLOW=1)\n");
}

static const char ALICE_SK[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char ALICE_PK[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char BOB_SK[] = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char BOB_PK[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

static void test_x25519_rfc7748_diffie_hellman(void)
{
    uint8_t a_sk[32], a_pk[32], b_sk[32], b_pk[32], shared[32], got[32];
    HEX(a_sk, ALICE_SK);
    HEX(a_pk, ALICE_PK);
    HEX(b_sk, BOB_SK);
    HEX(b_pk, BOB_PK);
    HEX(shared, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    zf_crypto_scalarmult_base(got, a_sk);
    CHECK_MEM(got, a_pk, 32);
    zf_crypto_scalarmult_base(got, b_sk);
    CHECK_MEM(got, b_pk, 32);
    CHECK_EQ(zf_crypto_scalarmult(got, a_sk, b_pk), 0);
    CHECK_MEM(got, shared, 32);
    CHECK_EQ(zf_crypto_scalarmult(got, b_sk, a_pk), 0);
    CHECK_MEM(got, shared, 32);
}

static void test_x25519_u_top_bit_ignored_and_noncanonical_reduced(void)
{
    uint8_t n[32], base[32], got[32], u[32] = {9};
    HEX(n, ALICE_SK);
    zf_crypto_scalarmult_base(base, n);
    u[31] = 0x80; /* 9 with the top bit set: masked (RFC 7748 5) */
    CHECK_EQ(zf_crypto_scalarmult(got, n, u), 0);
    CHECK_MEM(got, base, 32);
    /* p + 9 = 2^255 - 19 + 9 = 2^255 - 10, taken mod p */
    memset(u, 0xff, 32);
    u[0] = 0xf6;
    u[31] = 0x7f;
    CHECK_EQ(zf_crypto_scalarmult(got, n, u), 0);
    CHECK_MEM(got, base, 32);
}

static void test_x25519_small_order_points_refused(void)
{
    /* 0, 1, p and p + 1 have small order: the result is all zero, which must be refused */
    uint8_t pts[4][32] = {{0}, {1}};
    memset(pts[2], 0xff, 32);
    pts[2][0] = 0xed;
    pts[2][31] = 0x7f;
    memcpy(pts[3], pts[2], 32);
    pts[3][0] = 0xee;
    uint8_t n[32], q[32], k[32];
    HEX(n, BOB_SK);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(zf_crypto_scalarmult(q, n, pts[i]), -EINVAL);
        CHECK_EQ(zf_crypto_box_beforenm(k, pts[i], n), -EINVAL);
    }
}

/* ---- boxes: NaCl's tests/secretbox.c and tests/box.c ---------------------------------------- */

static const char NACL_KEY[] = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
static const char NACL_NONCE[] = "69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37";
static const char NACL_MSG[] =
    "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc"
    "e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31"
    "0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde"
    "048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705";
/* NaCl prints the box from its 16th byte: the Poly1305 tag, then the ciphertext */
static const char NACL_BOX[] =
    "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce"
    "48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972"
    "71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae"
    "90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b3"
    "7973f622a43d14a6599b1f654cb45a74e355a5";

static void test_secretbox_nacl_vector_both_ways(void)
{
    uint8_t k[32], nonce[24], m[131], want[147], c[147], back[131];
    HEX(k, NACL_KEY);
    HEX(nonce, NACL_NONCE);
    REQUIRE(HEX(m, NACL_MSG) == 131);
    REQUIRE(HEX(want, NACL_BOX) == 147);
    zf_crypto_secretbox(c, m, sizeof m, nonce, k);
    CHECK_MEM(c, want, sizeof want);
    memset(back, 0, sizeof back);
    CHECK_EQ(zf_crypto_secretbox_open(back, want, sizeof want, nonce, k), 0);
    CHECK_MEM(back, m, sizeof m);
    /* in place, behind the 16-byte gap the header allows */
    uint8_t buf[147];
    memcpy(buf + 16, m, sizeof m);
    zf_crypto_secretbox(buf, buf + 16, sizeof m, nonce, k);
    CHECK_MEM(buf, want, sizeof want);
    CHECK_EQ(zf_crypto_secretbox_open(buf + 16, buf, sizeof buf, nonce, k), 0);
    CHECK_MEM(buf + 16, m, sizeof m);
}

static void test_box_nacl_vector(void)
{
    /* tests/box.c: Alice's secret, Bob's public key; the key between them is the one above */
    uint8_t a_sk[32], a_pk[32], b_sk[32], b_pk[32], k[32], k2[32], want_k[32];
    HEX(a_sk, ALICE_SK);
    HEX(a_pk, ALICE_PK);
    HEX(b_sk, BOB_SK);
    HEX(b_pk, BOB_PK);
    HEX(want_k, NACL_KEY);
    CHECK_EQ(zf_crypto_box_beforenm(k, b_pk, a_sk), 0);
    CHECK_MEM(k, want_k, 32);
    CHECK_EQ(zf_crypto_box_beforenm(k2, a_pk, b_sk), 0); /* Bob's side: the same key */
    CHECK_MEM(k2, want_k, 32);
    uint8_t nonce[24], m[131], want[147], c[147], back[131];
    HEX(nonce, NACL_NONCE);
    HEX(m, NACL_MSG);
    HEX(want, NACL_BOX);
    zf_crypto_box_afternm(c, m, sizeof m, nonce, k);
    CHECK_MEM(c, want, sizeof want);
    CHECK_EQ(zf_crypto_box_open_afternm(back, c, sizeof c, nonce, k2), 0);
    CHECK_MEM(back, m, sizeof m);
}

static void test_altered_boxes_refused_and_output_untouched(void)
{
    uint8_t k[32], nonce[24], m[131], box[147], bad[147], out[131];
    HEX(k, NACL_KEY);
    HEX(nonce, NACL_NONCE);
    HEX(m, NACL_MSG);
    HEX(box, NACL_BOX);
    for (size_t pos = 0; pos < sizeof box; pos++) {
        memcpy(bad, box, sizeof box);
        bad[pos] ^= (uint8_t)(1u << (pos % 8));
        memset(out, 0xAA, sizeof out);
        CHECK_EQ(zf_crypto_secretbox_open(out, bad, sizeof bad, nonce, k), -EBADMSG);
        /* m is written only once the tag has been verified */
        for (size_t i = 0; i < sizeof out; i++)
            if (out[i] != 0xAA) {
                CHECK_EQ(out[i], 0xAA);
                break;
            }
    }
    for (size_t cut = 0; cut < sizeof box; cut += 7)
        CHECK_EQ(zf_crypto_secretbox_open(out, box, cut, nonce, k), -EBADMSG);
    nonce[23] ^= 1;
    CHECK_EQ(zf_crypto_secretbox_open(out, box, sizeof box, nonce, k), -EBADMSG);
    nonce[23] ^= 1;
    k[0] ^= 0x80;
    CHECK_EQ(zf_crypto_secretbox_open(out, box, sizeof box, nonce, k), -EBADMSG);
}

static void test_empty_box_is_a_tag(void)
{
    uint8_t k[32], nonce[24], c[16], m[1];
    HEX(k, NACL_KEY);
    HEX(nonce, NACL_NONCE);
    zf_crypto_secretbox(c, m, 0, nonce, k);
    CHECK_EQ(zf_crypto_secretbox_open(m, c, 16, nonce, k), 0);
    c[3] ^= 1;
    CHECK_EQ(zf_crypto_secretbox_open(m, c, 16, nonce, k), -EBADMSG);
}

static void test_subkey_boxes_equal_plain_boxes(void)
{
    /* CURVE's MESSAGE boxes: HSalsa20 of the nonce's first 16 bytes once, then its last 8 */
    uint8_t k[32], nonce[24], sub[32];
    HEX(k, NACL_KEY);
    HEX(nonce, NACL_NONCE);
    zf_crypto_xsalsa20_subkey(sub, k, nonce);
    static uint8_t m[5000], want[5016], got[5016], back[5000];
    for (size_t i = 0; i < sizeof m; i++)
        m[i] = (uint8_t)(i * 13 + 5);
    /* block and Poly1305 edges, and where the first keystream call (64, 256 or 512 bytes,
     * 32 of them the Poly1305 key) stops covering the message */
    size_t lens[] = {0,   1,   15,  16,  17,  31,  32,  33,  63,   64,   65,  131,
                     223, 224, 225, 479, 480, 481, 512, 1000, 4096, 5000};
    for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
        size_t n = lens[j];
        zf_crypto_secretbox(want, m, n, nonce, k);
        zf_crypto_secretbox_sub(got, m, n, nonce + 16, sub);
        CHECK_MEM(got, want, n + 16);
        /* sealed in place (c + 16 == m), as zf_curve_encode does */
        memcpy(got + 16, m, n);
        zf_crypto_secretbox_sub(got, got + 16, n, nonce + 16, sub);
        CHECK_MEM(got, want, n + 16);
        CHECK_EQ(zf_crypto_secretbox_open_sub(back, want, n + 16, nonce + 16, sub), 0);
        CHECK_MEM(back, m, n);
        /* opened in place, as zf_curve_decode does */
        CHECK_EQ(zf_crypto_secretbox_open_sub(got + 16, got, n + 16, nonce + 16, sub), 0);
        CHECK_MEM(got + 16, m, n);
        zf_crypto_secretbox(want, m, n, nonce, k);
        want[n ? 16 + n / 2 : 0] ^= 4;
        CHECK_EQ(zf_crypto_secretbox_open_sub(back, want, n + 16, nonce + 16, sub), -EBADMSG);
    }
    CHECK_EQ(zf_crypto_secretbox_open_sub(back, want, 15, nonce + 16, sub), -EBADMSG);
    /* the NaCl vector through the split construction */
    uint8_t nm[131], nbox[147];
    HEX(nm, NACL_MSG);
    HEX(nbox, NACL_BOX);
    zf_crypto_secretbox_sub(got, nm, sizeof nm, nonce + 16, sub);
    CHECK_MEM(got, nbox, sizeof nbox);
}

/* ---- Poly1305: RFC 8439 --------------------------------------------------------------------- */

static void test_poly1305_rfc8439(void)
{
    struct { const char *key, *msg, *tag; } v[] = {
        /* 2.5.2 ("Cryptographic Forum Research Group") */
        {"85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
         "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
         "a8061dc1305136c6c22b8baf0c0127a9"},
        /* A.3 #1: all zero */
        {"0000000000000000000000000000000000000000000000000000000000000000",
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000",
         "00000000000000000000000000000000"},
        /* A.3 #5 and #6: h reaching 2^130 - 5, the final reduction */
        {"0200000000000000000000000000000000000000000000000000000000000000",
         "ffffffffffffffffffffffffffffffff", "03000000000000000000000000000000"},
        {"02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
         "02000000000000000000000000000000", "03000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t key[32], msg[64], want[16], got[16];
        HEX(key, v[i].key);
        size_t n = HEX(msg, v[i].msg);
        HEX(want, v[i].tag);
        zf_crypto_poly1305(got, msg, n, key);
        CHECK_MEM(got, want, 16);
    }
}

/* ---- randomness and wiping ------------------------------------------------------------------- */

static int all_byte_values(const uint8_t *p, size_t n)
{
    int seen[256] = {0}, count = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[p[i]]++)
            count++;
    return count == 256;
}

static void test_random_source_and_its_fallback(void)
{
    static uint8_t a[70000], b[70000];
    CHECK_EQ(zf_crypto_random(a, 0), 0);
    CHECK_EQ(zf_crypto_random(a, sizeof a), 0);
    CHECK_EQ(zf_crypto_random(b, sizeof b), 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(all_byte_values(a, sizeof a)); /* 70,000 random bytes miss a value with odds ~2^-380 */
#ifndef ZF_CTEST_NO_POSIX
    /* the /dev/urandom fallback (getrandom failing: old kernel, seccomp) */
    CHECK_EQ(zf_crypto_random_urandom(a, 0), 0);
    CHECK_EQ(zf_crypto_random_urandom(a, sizeof a), 0);
    CHECK_EQ(zf_crypto_random_urandom(b, sizeof b), 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(all_byte_values(a, sizeof a));
#endif
}

static void test_keypairs_are_fresh_and_consistent(void)
{
    uint8_t pk[4][32], sk[4][32], q[32];
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(zf_crypto_box_keypair(pk[i], sk[i]), 0);
        zf_crypto_scalarmult_base(q, sk[i]);
        CHECK_MEM(q, pk[i], 32);
        for (int j = 0; j < i; j++)
            CHECK(memcmp(sk[i], sk[j], 32) != 0);
    }
}

static void test_wipe_zeroes(void)
{
    uint8_t secret[77];
    memset(secret, 0x5A, sizeof secret);
    zf_crypto_wipe(secret + 1, 75);
    CHECK_EQ(secret[0], 0x5A);
    for (int i = 1; i < 76; i++)
        CHECK_EQ(secret[i], 0);
    CHECK_EQ(secret[76], 0x5A);
}

int main(void)
{
    RUN(test_x25519_rfc7748_section_5_2);
    RUN(test_x25519_rfc7748_iterated);
    RUN(test_x25519_rfc7748_diffie_hellman);
    RUN(test_x25519_u_top_bit_ignored_and_noncanonical_reduced);
    RUN(test_x25519_small_order_points_refused);
    RUN(test_secretbox_nacl_vector_both_ways);
    RUN(test_box_nacl_vector);
    RUN(test_altered_boxes_refused_and_output_untouched);
    RUN(test_empty_box_is_a_tag);
    RUN(test_subkey_boxes_equal_plain_boxes);
    RUN(test_poly1305_rfc8439);
    RUN(test_random_source_and_its_fallback);
    RUN(test_keypairs_are_fresh_and_consistent);
    RUN(test_wipe_zeroes);
    return check_summary("test_crypto");
}
