/* fuzz_curve: CurveZMQ (RFC 26) from a peer: HELLO, WELCOME, INITIATE and READY as either side
 * receives them, and MESSAGE boxes once established (curve.c, over crypto.c).
 *
 * Bytes picked at random never open a box, so the harness also plays the honest peer and lets
 * the input steer it: the metadata inside INITIATE and READY (which the receiver then walks
 * with zf_zmtp_parse_metadata, as mech.c does), the messages and their flags, and single-byte
 * alterations of genuine commands, which must always be refused. The first input byte picks
 * the case. Keys come from the OS: inputs replay their coverage, not their exact bytes. */
#include "fuzz.h"
#include "crypto.h"
#include "curve.h"
#include "zmtp.h"

#include <errno.h>

static uint8_t server_pk[32], server_sk[32], client_pk[32], client_sk[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    CHECK(zf_crypto_box_keypair(server_pk, server_sk) == 0);
    CHECK(zf_crypto_box_keypair(client_pk, client_sk) == 0);
    return 0;
}

static int prop(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    const uint8_t **span = arg; /* [begin, end) of the opened metadata */
    CHECK(name >= span[0] && name + nl <= span[1] && val >= span[0] && val + vl <= span[1]);
    return 0;
}

static void walk(const uint8_t *meta, size_t ml)
{
    const uint8_t *span[2] = {meta, meta + ml};
    int rc = zf_zmtp_parse_metadata(meta, ml, prop, span);
    CHECK(rc == 0 || rc == -EPROTO);
}

/* The handshake between c (client) and s (server) up to the point `upto` names; the command
 * the next step would take is in out/outlen when it is the peer's to build. */
enum { UPTO_HELLO, UPTO_WELCOME, UPTO_INITIATE, UPTO_READY, UPTO_DONE };

static void handshake(zf_curve *c, zf_curve *s, int upto, const uint8_t *meta, size_t ml,
                      uint8_t *out, size_t cap, size_t *outlen)
{
    CHECK(zf_curve_client_init(c, server_pk, client_pk, client_sk) == 0);
    CHECK(zf_curve_server_init(s, server_pk, server_sk) == 0);
    long n = zf_curve_hello(c, out, cap);
    CHECK(n == ZF_CURVE_HELLO_SIZE);
    *outlen = (size_t)n;
    if (upto == UPTO_HELLO)
        return;
    CHECK(zf_curve_server_hello(s, out, (size_t)n) == 0);
    n = zf_curve_welcome(s, out, cap);
    CHECK(n == ZF_CURVE_WELCOME_SIZE);
    *outlen = (size_t)n;
    if (upto == UPTO_WELCOME)
        return;
    CHECK(zf_curve_client_welcome(c, out, (size_t)n) == 0);
    n = zf_curve_initiate(c, out, cap, meta, ml);
    CHECK(n > 0);
    *outlen = (size_t)n;
    if (upto == UPTO_INITIATE)
        return;
    const uint8_t *m;
    size_t mlen;
    CHECK(zf_curve_server_initiate(s, out, (size_t)n, &m, &mlen) == 0);
    CHECK(mlen == ml && (ml == 0 || memcmp(m, meta, ml) == 0));
    CHECK(memcmp(s->peer_pk, client_pk, 32) == 0);
    n = zf_curve_ready(s, out, cap, meta, ml);
    CHECK(n > 0);
    *outlen = (size_t)n;
    if (upto == UPTO_READY)
        return;
    CHECK(zf_curve_client_ready(c, out, (size_t)n, &m, &mlen) == 0);
    CHECK(mlen == ml);
}

/* A peer's command given as raw input to the side that expects it. */
static void raw(int which, const uint8_t *d, size_t n)
{
    zf_curve c, s;
    uint8_t out[512];
    size_t ol;
    static const int upto[] = {-1, UPTO_HELLO, UPTO_WELCOME, UPTO_INITIATE};
    if (which == 0) {
        CHECK(zf_curve_server_init(&s, server_pk, server_sk) == 0);
    } else {
        handshake(&c, &s, upto[which], NULL, 0, out, sizeof out, &ol);
    }
    uint8_t *p = fuzz_dup(d, n);
    const uint8_t *m;
    size_t ml;
    int rc;
    switch (which) {
    case 0: rc = zf_curve_server_hello(&s, p, n); break;            /* HELLO to a server */
    case 1: rc = zf_curve_client_welcome(&c, p, n); break;          /* WELCOME to a client */
    case 2: rc = zf_curve_server_initiate(&s, p, n, &m, &ml); break; /* INITIATE to a server */
    default: rc = zf_curve_client_ready(&c, p, n, &m, &ml); break;  /* READY to a client */
    }
    /* nobody can make a box without the keys, which this run made up */
    CHECK(rc == -EPROTO || rc == -EBADMSG || rc == -EACCES);
    if (which == 0)
        CHECK(s.state == ZF_CURVE_BROKEN);
    free(p);
    zf_curve_wipe(&c);
    zf_curve_wipe(&s);
}

/* Genuine commands with one byte altered (position and mask from the input): refused, HELLO's
 * padding included (zmqfast requires it to be zeros). */
static void altered(const uint8_t *d, size_t n)
{
    if (n < 4)
        return;
    int which = d[0] % 4;
    size_t at = (size_t)d[1] << 8 | d[2];
    uint8_t mask = d[3] ? d[3] : 1;
    zf_curve c, s;
    uint8_t out[512];
    size_t ol;
    handshake(&c, &s, which, d + 4, n - 4 < 200 ? n - 4 : 200, out, sizeof out, &ol);
    at %= ol;
    out[at] ^= mask;
    uint8_t *p = fuzz_dup(out, ol);
    const uint8_t *m;
    size_t ml;
    int rc;
    switch (which) {
    case UPTO_HELLO:
        rc = zf_curve_server_hello(&s, p, ol);
        CHECK(rc < 0); /* HELLO's padding too: it must be zeros */
        break;
    case UPTO_WELCOME: CHECK(zf_curve_client_welcome(&c, p, ol) < 0); break;
    case UPTO_INITIATE: CHECK(zf_curve_server_initiate(&s, p, ol, &m, &ml) < 0); break;
    default: CHECK(zf_curve_client_ready(&c, p, ol, &m, &ml) < 0); break;
    }
    free(p);
    zf_curve_wipe(&c);
    zf_curve_wipe(&s);
}

/* An established pair; the input is a script of messages either way:
 * [op][len][len bytes]..., op bits 0-1: flags, bit 2: from the server, bit 3: alter one byte
 * (position from the next input byte), bit 4: hand the receiver the raw bytes instead. */
static void messages(const uint8_t *d, size_t n)
{
    zf_curve c, s;
    uint8_t out[512];
    size_t ol;
    size_t ml = n && d[0] < n ? d[0] : 0; /* metadata for INITIATE and READY */
    handshake(&c, &s, UPTO_DONE, d + 1, ml > 0 ? ml - 1 : 0, out, sizeof out, &ol);
    size_t pos = ml;
    static uint8_t box[ZF_CURVE_MESSAGE_MIN + 256];
    while (pos + 2 <= n) {
        int op = d[pos], len = d[pos + 1];
        pos += 2;
        if ((size_t)len > n - pos)
            len = (int)(n - pos);
        const uint8_t *data = d + pos;
        pos += (size_t)len;
        zf_curve *from = op & 4 ? &s : &c, *to = op & 4 ? &c : &s;
        if (from->state != ZF_CURVE_ESTABLISHED || to->state != ZF_CURVE_ESTABLISHED)
            break;
        uint8_t *p;
        size_t bl;
        int forged = 1;
        if (op & 16) {
            p = fuzz_dup(data, (size_t)len);
            bl = (size_t)len;
        } else {
            long r = zf_curve_encode(from, box, sizeof box, data, (size_t)len, op & 3);
            CHECK(r == ZF_CURVE_MESSAGE_MIN + len);
            bl = (size_t)r;
            if ((op & 8) && pos < n)
                box[d[pos++] % bl] ^= 0x80;
            else
                forged = 0;
            p = fuzz_dup(box, bl);
        }
        const uint8_t *got;
        size_t gl;
        int flags;
        int rc = zf_curve_decode(to, p, bl, &got, &gl, &flags);
        if (forged) {
            CHECK(rc < 0 && to->state == ZF_CURVE_BROKEN);
        } else {
            CHECK(rc == 0 && flags == (op & 3) && gl == (size_t)len);
            CHECK(fuzz_within(p, bl, got, gl) && memcmp(got, data, gl) == 0);
        }
        free(p);
    }
    zf_curve_wipe(&c);
    zf_curve_wipe(&s);
}

/* Metadata of the peer's choosing, carried honestly in INITIATE and READY: walked after
 * opening, as mech.c's zf_mech_take_metadata does. */
static void metadata(const uint8_t *d, size_t n)
{
    zf_curve c, s;
    uint8_t out[512];
    size_t ol;
    size_t ml = n < 200 ? n : 200;
    handshake(&c, &s, UPTO_READY, d, ml, out, sizeof out, &ol);
    const uint8_t *m;
    size_t mlen;
    uint8_t *p = fuzz_dup(out, ol);
    CHECK(zf_curve_client_ready(&c, p, ol, &m, &mlen) == 0 && mlen == ml);
    walk(m, mlen);
    free(p);
    zf_curve_wipe(&c);
    zf_curve_wipe(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    int which = d[0] % 7;
    d++, n--;
    if (which < 4)
        raw(which, d, n);
    else if (which == 4)
        altered(d, n);
    else if (which == 5)
        messages(d, n);
    else
        metadata(d, n);
    return 0;
}
