/* test_mech.c: the security mechanisms over byte buffers, as far as their headers expose them:
 *  - NULL: the READY each side sends (zmtp.h) and socket-type checking;
 *  - PLAIN: HELLO built and parsed exactly (mech_plain.h), ERROR and its ZAP status codes;
 *  - CURVE: the whole handshake between a client and a server struct (curve.h), MESSAGE boxes
 *    both ways, checked against an independent crypto_box of RFC 26's nonce, and every way a
 *    command can be wrong: altered, replayed, out of order, the wrong server key. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "crypto.h"
#include "curve.h"
#include "mech_plain.h"
#include "zmtp.h"

/* ---- NULL ------------------------------------------------------------------------------------ */

typedef struct {
    int type;
    const uint8_t *id;
    size_t idlen;
    int seen_type, seen_id;
} null_peer;

static int null_prop(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    null_peer *p = arg;
    if (nl == 11 && memcmp(name, "Socket-Type", 11) == 0) {
        p->type = zf_zmtp_type_from_name(val, vl);
        p->seen_type++;
    } else if (nl == 8 && memcmp(name, "Identity", 8) == 0) {
        p->id = val;
        p->idlen = vl;
        p->seen_id++;
    }
    return 0;
}

/* What a NULL server learns from a client's READY frame. */
static int null_read_ready(const uint8_t *frame, size_t len, null_peer *p)
{
    int flags;
    uint64_t size;
    size_t h = zf_zmtp_get_header(frame, len, &flags, &size);
    if (!h || !(flags & ZF_F_COMMAND) || h + size != len)
        return -EPROTO;
    const uint8_t *name, *body;
    size_t nl, bl;
    int rc = zf_zmtp_command(frame + h, (size_t)size, &name, &nl, &body, &bl);
    if (rc < 0)
        return rc;
    if (!zf_zmtp_is_command(name, nl, "READY"))
        return -EPROTO;
    return zf_zmtp_parse_metadata(body, bl, null_prop, p);
}

static void test_null_ready_exchange(void)
{
    uint8_t a[300], b[300];
    long na = zf_zmtp_ready(a, sizeof a, "READY", ZF_REQ, NULL, 0, 0);
    long nb = zf_zmtp_ready(b, sizeof b, "READY", ZF_ROUTER, (const uint8_t *)"r1", 2, 1);
    REQUIRE(na > 0 && nb > 0);
    null_peer pa = {-1, 0, 0, 0, 0}, pb = {-1, 0, 0, 0, 0};
    CHECK_EQ(null_read_ready(a, (size_t)na, &pa), 0);
    CHECK_EQ(null_read_ready(b, (size_t)nb, &pb), 0);
    CHECK_EQ(pa.type, ZF_REQ);
    CHECK_EQ(pa.seen_id, 0);
    CHECK_EQ(pb.type, ZF_ROUTER);
    CHECK_EQ(pb.idlen, 2);
    CHECK(zf_zmtp_compatible(ZF_ROUTER, pa.type));
    CHECK(zf_zmtp_compatible(ZF_REQ, pb.type));
    /* a PUSH meeting a PUB: each side refuses the other's type */
    long nc = zf_zmtp_ready(a, sizeof a, "READY", ZF_PUB, NULL, 0, 0);
    null_peer pc = {-1, 0, 0, 0, 0};
    CHECK_EQ(null_read_ready(a, (size_t)nc, &pc), 0);
    CHECK(!zf_zmtp_compatible(ZF_PUSH, pc.type));
    /* cut anywhere, the READY is not taken */
    for (long cut = 0; cut < na; cut++) {
        null_peer px = {-1, 0, 0, 0, 0};
        int rc = null_read_ready(b, (size_t)cut, &px);
        CHECK(rc < 0);
    }
}

/* ---- PLAIN ----------------------------------------------------------------------------------- */

static void test_plain_hello_bytes_and_parse(void)
{
    uint8_t out[600];
    long n = zf_plain_hello(out, sizeof out, (const uint8_t *)"admin", 5,
                            (const uint8_t *)"secret", 6);
    /* RFC 24: HELLO = name, then user and password each behind one length byte */
    static const uint8_t want[] = "\x04\x13\x05HELLO\x05" "admin\x06" "secret";
    REQUIRE(n == (long)sizeof want - 1);
    CHECK_MEM(out, want, sizeof want - 1);
    const uint8_t *name, *body, *user, *pass;
    size_t nl, bl, ul, pl;
    REQUIRE(zf_zmtp_command(out + 2, (size_t)n - 2, &name, &nl, &body, &bl) == 0);
    CHECK(zf_zmtp_is_command(name, nl, "HELLO"));
    CHECK_EQ(zf_plain_parse_hello(body, bl, &user, &ul, &pass, &pl), 0);
    CHECK_EQ(ul, 5);
    CHECK_MEM(user, "admin", 5);
    CHECK_EQ(pl, 6);
    CHECK_MEM(pass, "secret", 6);
    /* empty credentials are well formed; 255 bytes each is the limit */
    /* (pointers, not NULL: zf_plain_hello memcpy's even 0 bytes, which UBSan calls undefined) */
    n = zf_plain_hello(out, sizeof out, (const uint8_t *)"", 0, (const uint8_t *)"", 0);
    REQUIRE(n > 0);
    REQUIRE(zf_zmtp_command(out + 2, (size_t)n - 2, &name, &nl, &body, &bl) == 0);
    CHECK_EQ(zf_plain_parse_hello(body, bl, &user, &ul, &pass, &pl), 0);
    CHECK_EQ(ul + pl, 0);
    static uint8_t big[256];
    memset(big, 'x', sizeof big);
    n = zf_plain_hello(out, sizeof out, big, 255, big, 255);
    REQUIRE(n > 0);
    CHECK_EQ(zf_zmtp_get_header(out, (size_t)n, &(int){0}, &(uint64_t){0}), 9); /* long frame */
    REQUIRE(zf_zmtp_command(out + 9, (size_t)n - 9, &name, &nl, &body, &bl) == 0);
    CHECK_EQ(zf_plain_parse_hello(body, bl, &user, &ul, &pass, &pl), 0);
    CHECK_EQ(ul, 255);
    CHECK_EQ(pl, 255);
    CHECK_EQ(zf_plain_hello(out, sizeof out, big, 256, big, 1), -EINVAL);
    CHECK_EQ(zf_plain_hello(out, sizeof out, big, 1, big, 256), -EINVAL);
    CHECK_EQ(zf_plain_hello(out, 10, big, 10, big, 10), -ENOBUFS);
}

static void test_plain_hello_malformed_refused(void)
{
    const uint8_t *user, *pass;
    size_t ul, pl;
    /* every truncation and every extension of a good body is refused */
    static const uint8_t good[] = "\x05" "admin\x06" "secret";
    size_t glen = sizeof good - 1;
    CHECK_EQ(zf_plain_parse_hello(good, glen, &user, &ul, &pass, &pl), 0);
    for (size_t cut = 0; cut < glen; cut++)
        CHECK_EQ(zf_plain_parse_hello(good, cut, &user, &ul, &pass, &pl), -EPROTO);
    uint8_t longer[32];
    memcpy(longer, good, glen);
    longer[glen] = 'x';
    CHECK_EQ(zf_plain_parse_hello(longer, glen + 1, &user, &ul, &pass, &pl), -EPROTO);
    /* a user length running past the end, and a password length past it */
    CHECK_EQ(zf_plain_parse_hello((const uint8_t *)"\xff" "ab", 3, &user, &ul, &pass, &pl), -EPROTO);
    CHECK_EQ(zf_plain_parse_hello((const uint8_t *)"\x01" "a\xff", 3, &user, &ul, &pass, &pl), -EPROTO);
    CHECK_EQ(zf_plain_parse_hello((const uint8_t *)"\x00", 1, &user, &ul, &pass, &pl), -EPROTO);
    CHECK_EQ(zf_plain_parse_hello((const uint8_t *)"\x00\x00", 2, &user, &ul, &pass, &pl), 0);
}

static void test_error_command_and_zap_status(void)
{
    uint8_t out[300];
    long n = zf_zmtp_error(out, sizeof out, "400");
    static const uint8_t want[] = "\x04\x0a\x05" "ERROR\x03" "400";
    REQUIRE(n == (long)sizeof want - 1);
    CHECK_MEM(out, want, sizeof want - 1);
    const uint8_t *name, *body;
    size_t nl, bl;
    REQUIRE(zf_zmtp_command(out + 2, (size_t)n - 2, &name, &nl, &body, &bl) == 0);
    CHECK(zf_zmtp_is_command(name, nl, "ERROR"));
    CHECK_EQ(zf_zmtp_error_status(body, bl), 400);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x03" "300", 4), 300);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x03" "500", 4), 500);
    /* anything else is a reason, not a ZAP status */
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x03" "200", 4), 0);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x03" "600", 4), 0);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x03" "4x0", 4), 0);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x04" "4000", 5), 0);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"\x02" "40", 3), 0);
    CHECK_EQ(zf_zmtp_error_status((const uint8_t *)"", 0), 0);
    /* a reason over 255 bytes is cut to 255 */
    char reason[400];
    memset(reason, 'r', 399);
    reason[399] = 0;
    n = zf_zmtp_error(out, sizeof out, reason);
    REQUIRE(n > 0);
    CHECK_EQ(n, 9 + 1 + 5 + 1 + 255);
}

/* ---- CURVE ----------------------------------------------------------------------------------- */

typedef struct keys {
    uint8_t cpk[32], csk[32], spk[32], ssk[32];
} keys;

static void make_keys(keys *k)
{
    if (zf_crypto_box_keypair(k->cpk, k->csk) || zf_crypto_box_keypair(k->spk, k->ssk))
        abort();
}

/* Runs the handshake; returns 0 when both sides are ESTABLISHED. The client's transient secret
 * and the server's transient public key are copied out (before READY wipes the secret) so that
 * a test can check MESSAGE boxes with a crypto_box of its own. */
static int handshake(const keys *k, zf_curve *cl, zf_curve *sv, const uint8_t *cmeta, size_t cml,
                     const uint8_t *smeta, size_t sml, uint8_t ctsk[32], uint8_t stpk[32])
{
    static uint8_t buf[4096];
    const uint8_t *m;
    size_t ml;
    if (zf_curve_client_init(cl, k->spk, k->cpk, k->csk) || zf_curve_server_init(sv, k->spk, k->ssk))
        return -1;
    if (ctsk)
        memcpy(ctsk, cl->tsk, 32);
    long n = zf_curve_hello(cl, buf, sizeof buf);
    if (n != ZF_CURVE_HELLO_SIZE || zf_curve_server_hello(sv, buf, (size_t)n))
        return -2;
    n = zf_curve_welcome(sv, buf, sizeof buf);
    if (n != ZF_CURVE_WELCOME_SIZE || zf_curve_client_welcome(cl, buf, (size_t)n))
        return -3;
    if (stpk)
        memcpy(stpk, cl->peer_tpk, 32);
    n = zf_curve_initiate(cl, buf, sizeof buf, cmeta, cml);
    if (n != (long)(ZF_CURVE_INITIATE_MIN + cml) || zf_curve_server_initiate(sv, buf, (size_t)n, &m, &ml))
        return -4;
    if (ml != cml || (cml && memcmp(m, cmeta, cml)))
        return -5;
    n = zf_curve_ready(sv, buf, sizeof buf, smeta, sml);
    if (n != (long)(ZF_CURVE_READY_MIN + sml) || zf_curve_client_ready(cl, buf, (size_t)n, &m, &ml))
        return -6;
    if (ml != sml || (sml && memcmp(m, smeta, sml)))
        return -7;
    return cl->state == ZF_CURVE_ESTABLISHED && sv->state == ZF_CURVE_ESTABLISHED ? 0 : -8;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= p[i];
    return d == 0;
}

static void test_curve_handshake_metadata_and_wiped_secrets(void)
{
    keys k;
    make_keys(&k);
    zf_curve cl, sv;
    uint8_t cmeta[64], smeta[64];
    size_t cml = zf_zmtp_put_prop(cmeta, "Socket-Type", (const uint8_t *)"DEALER", 6);
    size_t sml = zf_zmtp_put_prop(smeta, "Socket-Type", (const uint8_t *)"ROUTER", 6);
    REQUIRE(handshake(&k, &cl, &sv, cmeta, cml, smeta, sml, NULL, NULL) == 0);
    /* the server learned the client's permanent key, to authenticate (ZAP) */
    CHECK_MEM(sv.peer_pk, k.cpk, 32);
    /* and nothing secret but the two MESSAGE subkeys is left on either side */
    zf_curve *sides[2] = {&cl, &sv};
    for (int i = 0; i < 2; i++) {
        CHECK(all_zero(sides[i]->sk, 32));
        CHECK(all_zero(sides[i]->tsk, 32));
        CHECK(all_zero(sides[i]->precom, 32));
        CHECK(all_zero(sides[i]->cookie, 96));
        CHECK(all_zero(sides[i]->cookie_key, 32));
        CHECK(!all_zero(sides[i]->msg_tx, 32));
    }
    CHECK_MEM(cl.msg_tx, sv.msg_rx, 32);
    CHECK_MEM(cl.msg_rx, sv.msg_tx, 32);
    CHECK(memcmp(cl.msg_tx, cl.msg_rx, 32) != 0); /* one key per direction */
    zf_curve_wipe(&cl);
    zf_curve_wipe(&sv);
    CHECK(all_zero(cl.msg_tx, 32) && all_zero(cl.msg_rx, 32));
}

static void test_curve_messages_both_ways_match_rfc26_boxes(void)
{
    keys k;
    make_keys(&k);
    zf_curve cl, sv;
    uint8_t ctsk[32], stpk[32], key[32];
    REQUIRE(handshake(&k, &cl, &sv, NULL, 0, NULL, 0, ctsk, stpk) == 0);
    /* an independent box key: C' secret with S' public (RFC 26's MESSAGE box) */
    REQUIRE(zf_crypto_box_beforenm(key, stpk, ctsk) == 0);
    static uint8_t data[3000], cmd[3100], copy[3100], plain[3100];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i ^ 0x3c);
    size_t lens[] = {0, 1, 31, 32, 255, 256, 3000};
    for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
        size_t n = lens[j];
        int flags_in = (int)(j % 4);
        /* client to server */
        long len = zf_curve_encode(&cl, cmd, sizeof cmd, data, n, flags_in);
        REQUIRE(len == (long)(ZF_CURVE_MESSAGE_MIN + n));
        CHECK_MEM(cmd, "\x07MESSAGE", 8);
        /* nonce "CurveZMQMESSAGEC" + the 8-byte counter; box = tag, flags, data */
        uint8_t nonce[24];
        memcpy(nonce, "CurveZMQMESSAGEC", 16);
        memcpy(nonce + 16, cmd + 8, 8);
        CHECK_EQ(zf_crypto_box_open_afternm(plain, cmd + 16, (size_t)len - 16, nonce, key), 0);
        CHECK_EQ(plain[0], flags_in);
        CHECK_MEM(plain + 1, data, n);
        memcpy(copy, cmd, (size_t)len);
        const uint8_t *out;
        size_t outlen;
        int flags;
        CHECK_EQ(zf_curve_decode(&sv, cmd, (size_t)len, &out, &outlen, &flags), 0);
        CHECK_EQ(outlen, n);
        CHECK_EQ(flags, flags_in);
        CHECK_MEM(out, data, n);
        /* server to client, under the other prefix */
        len = zf_curve_encode(&sv, cmd, sizeof cmd, data, n, 0);
        REQUIRE(len > 0);
        memcpy(nonce, "CurveZMQMESSAGES", 16);
        memcpy(nonce + 16, cmd + 8, 8);
        CHECK_EQ(zf_crypto_box_open_afternm(plain, cmd + 16, (size_t)len - 16, nonce, key), 0);
        CHECK_EQ(zf_curve_decode(&cl, cmd, (size_t)len, &out, &outlen, &flags), 0);
        CHECK_EQ(outlen, n);
        CHECK_MEM(out, data, n);
    }
    /* builder errors that change nothing */
    CHECK_EQ(zf_curve_encode(&cl, cmd, 10, data, 5, 0), -ENOBUFS);
    CHECK_EQ(zf_curve_encode(&cl, cmd, sizeof cmd, data, 5, 4), -EINVAL);
    CHECK_EQ(cl.state, ZF_CURVE_ESTABLISHED);
    zf_curve_wipe(&cl);
    zf_curve_wipe(&sv);
}

static void test_curve_replayed_altered_and_reflected_messages_refused(void)
{
    keys k;
    make_keys(&k);
    zf_curve cl, sv;
    REQUIRE(handshake(&k, &cl, &sv, NULL, 0, NULL, 0, NULL, NULL) == 0);
    uint8_t cmd[100], first[100];
    const uint8_t *out;
    size_t outlen;
    int flags;
    long n = zf_curve_encode(&cl, cmd, sizeof cmd, (const uint8_t *)"hello", 5, 0);
    REQUIRE(n > 0);
    memcpy(first, cmd, (size_t)n);
    CHECK_EQ(zf_curve_decode(&sv, cmd, (size_t)n, &out, &outlen, &flags), 0);
    /* the same MESSAGE again: its nonce is not above the last */
    memcpy(cmd, first, (size_t)n);
    CHECK_EQ(zf_curve_decode(&sv, cmd, (size_t)n, &out, &outlen, &flags), -EPROTO);
    CHECK_EQ(sv.state, ZF_CURVE_BROKEN);
    zf_curve_wipe(&cl);
    zf_curve_wipe(&sv);

    /* one flipped bit anywhere in the box: refused */
    for (size_t pos = 16; pos < ZF_CURVE_MESSAGE_MIN + 5; pos++) {
        REQUIRE(handshake(&k, &cl, &sv, NULL, 0, NULL, 0, NULL, NULL) == 0);
        n = zf_curve_encode(&cl, cmd, sizeof cmd, (const uint8_t *)"hello", 5, 0);
        cmd[pos] ^= 0x20;
        CHECK_EQ(zf_curve_decode(&sv, cmd, (size_t)n, &out, &outlen, &flags), -EBADMSG);
        zf_curve_wipe(&cl);
        zf_curve_wipe(&sv);
    }
    /* a client's MESSAGE sent back to the client: the server prefix does not open it */
    REQUIRE(handshake(&k, &cl, &sv, NULL, 0, NULL, 0, NULL, NULL) == 0);
    n = zf_curve_encode(&cl, cmd, sizeof cmd, (const uint8_t *)"hello", 5, 0);
    CHECK_EQ(zf_curve_decode(&cl, cmd, (size_t)n, &out, &outlen, &flags), -EBADMSG);
    /* a truncated MESSAGE, and a non-MESSAGE command */
    REQUIRE(handshake(&k, &cl, &sv, NULL, 0, NULL, 0, NULL, NULL) == 0);
    n = zf_curve_encode(&cl, cmd, sizeof cmd, (const uint8_t *)"hello", 5, 0);
    CHECK_EQ(zf_curve_decode(&sv, cmd, ZF_CURVE_MESSAGE_MIN - 1, &out, &outlen, &flags), -EPROTO);
    REQUIRE(handshake(&k, &cl, &sv, NULL, 0, NULL, 0, NULL, NULL) == 0);
    n = zf_curve_encode(&cl, cmd, sizeof cmd, (const uint8_t *)"hello", 5, 0);
    memcpy(cmd + 1, "MASSAGE", 7);
    CHECK_EQ(zf_curve_decode(&sv, cmd, (size_t)n, &out, &outlen, &flags), -EPROTO);
    zf_curve_wipe(&cl);
    zf_curve_wipe(&sv);
}

static void test_curve_wrong_server_key_and_order_refused(void)
{
    keys k, other;
    make_keys(&k);
    make_keys(&other);
    zf_curve cl, sv;
    uint8_t buf[512];
    /* the client was given another server's key: HELLO's box does not open */
    REQUIRE(zf_curve_client_init(&cl, other.spk, k.cpk, k.csk) == 0);
    REQUIRE(zf_curve_server_init(&sv, k.spk, k.ssk) == 0);
    long n = zf_curve_hello(&cl, buf, sizeof buf);
    REQUIRE(n == ZF_CURVE_HELLO_SIZE);
    CHECK_EQ(zf_curve_server_hello(&sv, buf, (size_t)n), -EBADMSG);
    CHECK_EQ(sv.state, ZF_CURVE_BROKEN);
    zf_curve_wipe(&cl);
    zf_curve_wipe(&sv);
    /* HELLO altered in the version or the padding (first and last byte), or cut: refused as
     * malformed; altered in the client's transient key (byte 80 on): the box does not open */
    size_t spots[] = {6, 7, 8, 79, 80, 111};
    for (size_t i = 0; i < 6; i++) {
        REQUIRE(zf_curve_client_init(&cl, k.spk, k.cpk, k.csk) == 0);
        REQUIRE(zf_curve_server_init(&sv, k.spk, k.ssk) == 0);
        n = zf_curve_hello(&cl, buf, sizeof buf);
        buf[spots[i]] ^= 1;
        CHECK_EQ(zf_curve_server_hello(&sv, buf, (size_t)n), spots[i] < 80 ? -EPROTO : -EBADMSG);
        zf_curve_wipe(&cl);
        zf_curve_wipe(&sv);
    }
    REQUIRE(zf_curve_client_init(&cl, k.spk, k.cpk, k.csk) == 0);
    REQUIRE(zf_curve_server_init(&sv, k.spk, k.ssk) == 0);
    n = zf_curve_hello(&cl, buf, sizeof buf);
    CHECK_EQ(zf_curve_server_hello(&sv, buf, (size_t)n - 1), -EPROTO);
    zf_curve_wipe(&cl);
    zf_curve_wipe(&sv);
    /* out of order: a client asked to parse what only a server parses; MESSAGE too early */
    REQUIRE(zf_curve_client_init(&cl, k.spk, k.cpk, k.csk) == 0);
    n = zf_curve_hello(&cl, buf, sizeof buf);
    CHECK_EQ(zf_curve_encode(&cl, buf, sizeof buf, (const uint8_t *)"x", 1, 0), -EPROTO);
    CHECK_EQ(cl.state, ZF_CURVE_WELCOME); /* the early encode changed nothing */
    CHECK_EQ(zf_curve_server_hello(&cl, buf, (size_t)n), -EPROTO);
    CHECK_EQ(cl.state, ZF_CURVE_BROKEN);
    zf_curve_wipe(&cl);
    /* the builder's -ENOBUFS is not fatal */
    REQUIRE(zf_curve_client_init(&cl, k.spk, k.cpk, k.csk) == 0);
    CHECK_EQ(zf_curve_hello(&cl, buf, ZF_CURVE_HELLO_SIZE - 1), -ENOBUFS);
    CHECK_EQ(zf_curve_hello(&cl, buf, sizeof buf), ZF_CURVE_HELLO_SIZE);
    zf_curve_wipe(&cl);
}

static void test_curve_initiate_with_foreign_cookie_refused(void)
{
    /* an INITIATE from one connection replayed on another: its cookie is not this server's */
    keys k;
    make_keys(&k);
    zf_curve c1, s1, c2, s2;
    uint8_t b1[512], b2[512];
    const uint8_t *m;
    size_t ml;
    REQUIRE(zf_curve_client_init(&c1, k.spk, k.cpk, k.csk) == 0 && zf_curve_server_init(&s1, k.spk, k.ssk) == 0);
    REQUIRE(zf_curve_client_init(&c2, k.spk, k.cpk, k.csk) == 0 && zf_curve_server_init(&s2, k.spk, k.ssk) == 0);
    long n = zf_curve_hello(&c1, b1, sizeof b1);
    REQUIRE(zf_curve_server_hello(&s1, b1, (size_t)n) == 0);
    n = zf_curve_hello(&c2, b2, sizeof b2);
    REQUIRE(zf_curve_server_hello(&s2, b2, (size_t)n) == 0);
    n = zf_curve_welcome(&s1, b1, sizeof b1);
    REQUIRE(zf_curve_client_welcome(&c1, b1, (size_t)n) == 0);
    n = zf_curve_welcome(&s2, b2, sizeof b2);
    REQUIRE(zf_curve_client_welcome(&c2, b2, (size_t)n) == 0);
    n = zf_curve_initiate(&c1, b1, sizeof b1, NULL, 0);
    REQUIRE(n > 0);
    CHECK_EQ(zf_curve_server_initiate(&s2, b1, (size_t)n, &m, &ml), -EBADMSG);
    /* and a server whose cookie has expired (RFC 26: 60 s) refuses its own */
    n = zf_curve_initiate(&c2, b2, sizeof b2, NULL, 0);
    zf_curve s3;
    zf_curve c3;
    REQUIRE(zf_curve_client_init(&c3, k.spk, k.cpk, k.csk) == 0 && zf_curve_server_init(&s3, k.spk, k.ssk) == 0);
    n = zf_curve_hello(&c3, b1, sizeof b1);
    REQUIRE(zf_curve_server_hello(&s3, b1, (size_t)n) == 0);
    n = zf_curve_welcome(&s3, b1, sizeof b1);
    REQUIRE(zf_curve_client_welcome(&c3, b1, (size_t)n) == 0);
    n = zf_curve_initiate(&c3, b1, sizeof b1, NULL, 0);
    s3.cookie_deadline -= ZF_CURVE_COOKIE_MS + 1; /* stands in for a minute's wait */
    CHECK_EQ(zf_curve_server_initiate(&s3, b1, (size_t)n, &m, &ml), -EBADMSG);
    CHECK(all_zero(s3.cookie_key, 32));
    zf_curve *all[] = {&c1, &s1, &c2, &s2, &c3, &s3};
    for (int i = 0; i < 6; i++)
        zf_curve_wipe(all[i]);
}

static void test_curve_error_command(void)
{
    uint8_t out[300];
    long n = zf_curve_error(out, sizeof out, "Invalid key");
    REQUIRE(n == 7 + 11);
    CHECK_MEM(out, "\x05" "ERROR\x0bInvalid key", 18);
    const uint8_t *r;
    size_t rl;
    CHECK_EQ(zf_curve_parse_error(out, (size_t)n, &r, &rl), 0);
    CHECK_EQ(rl, 11);
    CHECK_MEM(r, "Invalid key", 11);
    CHECK_EQ(zf_curve_parse_error(out, (size_t)n - 1, &r, &rl), -EPROTO);
    out[6] = 12;
    CHECK_EQ(zf_curve_parse_error(out, (size_t)n, &r, &rl), -EPROTO);
    CHECK_EQ(zf_curve_error(out, 10, "Invalid key"), -ENOBUFS);
    char big[300];
    memset(big, 'e', 299);
    big[299] = 0;
    CHECK_EQ(zf_curve_error(out, sizeof out, big), -EINVAL);
}

int main(void)
{
    RUN(test_null_ready_exchange);
    RUN(test_plain_hello_bytes_and_parse);
    RUN(test_plain_hello_malformed_refused);
    RUN(test_error_command_and_zap_status);
    RUN(test_curve_handshake_metadata_and_wiped_secrets);
    RUN(test_curve_messages_both_ways_match_rfc26_boxes);
    RUN(test_curve_replayed_altered_and_reflected_messages_refused);
    RUN(test_curve_wrong_server_key_and_order_refused);
    RUN(test_curve_initiate_with_foreign_cookie_refused);
    RUN(test_curve_error_command);
    return check_summary("test_mech");
}
