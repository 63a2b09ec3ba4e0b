/* curve.c: CurveZMQ (RFC 26) commands, built and parsed over caller buffers. */
#include "curve.h"

#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "platform.h"

/* Field offsets, from RFC 26's grammar. */
#define HELLO_CLIENT 80 /* after name (6), version (2) and anti-amplification padding (72) */
#define HELLO_NONCE 112
#define HELLO_BOX 120
#define WELCOME_NONCE 8
#define WELCOME_BOX 24
#define INITIATE_COOKIE 9
#define INITIATE_NONCE 105
#define INITIATE_BOX 113
#define READY_NONCE 6
#define READY_BOX 14
#define MESSAGE_NONCE 8
#define MESSAGE_BOX 16

#define TAG ZF_CRYPTO_TAGBYTES

/* Spelled out byte by byte rather than as loops: GCC and clang turn this form into one load or
 * store and a byte swap (the loops stayed eight shifts and ors, twice per MESSAGE received). */
static void put_be64(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)(v >> 56), p[1] = (uint8_t)(v >> 48), p[2] = (uint8_t)(v >> 40);
    p[3] = (uint8_t)(v >> 32), p[4] = (uint8_t)(v >> 24), p[5] = (uint8_t)(v >> 16);
    p[6] = (uint8_t)(v >> 8), p[7] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* A short nonce: a 16-character prefix naming the command, then the 8-byte counter. */
static void short_nonce(uint8_t n[24], const char *prefix, const uint8_t counter[8])
{
    memcpy(n, prefix, 16);
    memcpy(n + 16, counter, 8);
}

/* A long nonce: an 8-character prefix, then 16 random bytes. */
static void long_nonce(uint8_t n[24], const char *prefix, const uint8_t random[16])
{
    memcpy(n, prefix, 8);
    memcpy(n + 8, random, 16);
}

static int is_cmd(const uint8_t *cmd, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && (size_t)cmd[0] == n && memcmp(cmd + 1, name, n) == 0;
}

static size_t put_name(uint8_t *out, const char *name)
{
    size_t n = strlen(name);
    out[0] = (uint8_t)n;
    memcpy(out + 1, name, n);
    return n + 1;
}

/* Keys are compared in full whatever differs first: a secret (s') is among them. */
static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= a[i] ^ b[i];
    return d == 0;
}

/* The counter for our next command. The RFC caps a connection at 2^64 - 1 commands, which
 * also keeps a counter from ever repeating under the same key. */
static int next_nonce(zf_curve *c, uint8_t out[8])
{
    if (c->send_nonce == UINT64_MAX)
        return -EOVERFLOW;
    put_be64(out, c->send_nonce++);
    return 0;
}

/* Replays are refused: each short nonce must be above the last (first: any, as the peer
 * starts its counter where it likes). Committed by the caller once the box has opened. */
static int fresh_nonce(const zf_curve *c, const uint8_t in[8], int first)
{
    return first || get_be64(in) > c->recv_nonce ? 0 : -EPROTO;
}

/* After READY only the session key (precom) and the public keys are needed: the permanent
 * secret, the transient secret and the cookie and its key go, so that memory read later (a core
 * dump, a leak of the heap) cannot decrypt recorded traffic or impersonate us. */
static void forget_secrets(zf_curve *c)
{
    zf_crypto_wipe(c->precom, sizeof c->precom);
    zf_crypto_wipe(c->sk, sizeof c->sk);
    zf_crypto_wipe(c->tsk, sizeof c->tsk);
    zf_crypto_wipe(c->cookie, sizeof c->cookie);
    zf_crypto_wipe(c->cookie_key, sizeof c->cookie_key);
    c->cookie_deadline = 0;
}

/* Each direction has its own prefix, so a message cannot be reflected back at its sender. */
static const char *message_prefix(int from_server)
{
    return from_server ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC";
}

/* READY is through: MESSAGE boxes from now on, under the two subkeys of precom (each
 * direction's prefix is fixed, so its HSalsa20 is done here once rather than per message). */
static void establish(zf_curve *c)
{
    zf_crypto_xsalsa20_subkey(c->msg_tx, c->precom, (const uint8_t *)message_prefix(c->as_server));
    zf_crypto_xsalsa20_subkey(c->msg_rx, c->precom, (const uint8_t *)message_prefix(!c->as_server));
    forget_secrets(c);
    c->state = ZF_CURVE_ESTABLISHED;
}

static int broken(zf_curve *c, int rc)
{
    c->state = ZF_CURVE_BROKEN;
    return rc;
}

static int init(zf_curve *c, int as_server, const uint8_t pk[32], const uint8_t sk[32])
{
    memset(c, 0, sizeof *c);
    c->as_server = as_server;
    c->state = ZF_CURVE_START;
    c->send_nonce = 1; /* as libzmq: 0 is never sent */
    memcpy(c->pk, pk, 32);
    memcpy(c->sk, sk, 32);
    if (as_server)
        return 0; /* its transient pair waits for a valid HELLO (RFC 26), so a peer that
                   * merely connects costs no key generation */
    int rc = zf_crypto_box_keypair(c->tpk, c->tsk);
    if (rc < 0)
        zf_curve_wipe(c);
    return rc;
}

int zf_curve_client_init(zf_curve *c, const uint8_t server_pk[32], const uint8_t pk[32],
                         const uint8_t sk[32])
{
    int rc = init(c, 0, pk, sk);
    if (rc == 0)
        memcpy(c->peer_pk, server_pk, 32);
    return rc;
}

int zf_curve_server_init(zf_curve *c, const uint8_t pk[32], const uint8_t sk[32])
{
    static const uint8_t unset[32] = {0};
    int rc = init(c, 1, pk, sk);
    /* libzmq's server needs only CURVE_SECRETKEY: with no public key set, ours is the secret's
     * (the vouch names it, and is checked against it) */
    if (rc == 0 && memcmp(pk, unset, 32) == 0)
        zf_crypto_scalarmult_base(c->pk, sk);
    return rc;
}

void zf_curve_wipe(zf_curve *c)
{
    zf_crypto_wipe(c, sizeof *c);
    c->state = ZF_CURVE_BROKEN;
}

/* ---- HELLO: C' in clear, and Box[64 zeros](C'->S) to prove we hold c' -------------------- */

long zf_curve_hello(zf_curve *c, uint8_t *out, size_t cap)
{
    static const uint8_t zeros[64] = {0};
    uint8_t nonce[24];
    if (c->as_server || c->state != ZF_CURVE_START)
        return broken(c, -EPROTO);
    if (cap < ZF_CURVE_HELLO_SIZE)
        return -ENOBUFS;
    /* kept in precom until WELCOME, which comes in a box between the same two keys */
    int rc = zf_crypto_box_beforenm(c->precom, c->peer_pk, c->tsk);
    if (rc < 0)
        return broken(c, rc); /* a server key of small order: misconfigured */
    rc = next_nonce(c, out + HELLO_NONCE);
    if (rc < 0)
        return broken(c, rc);
    size_t p = put_name(out, "HELLO");
    out[p++] = 1; /* CurveZMQ 1.0 */
    out[p++] = 0;
    memset(out + p, 0, HELLO_CLIENT - p);
    memcpy(out + HELLO_CLIENT, c->tpk, 32);
    short_nonce(nonce, "CurveZMQHELLO---", out + HELLO_NONCE);
    zf_crypto_box_afternm(out + HELLO_BOX, zeros, sizeof zeros, nonce, c->precom);
    c->state = ZF_CURVE_WELCOME;
    return ZF_CURVE_HELLO_SIZE;
}

int zf_curve_server_hello(zf_curve *c, const uint8_t *cmd, size_t len)
{
    uint8_t nonce[24], plain[64];
    if (!c->as_server || c->state != ZF_CURVE_START)
        return broken(c, -EPROTO);
    static const uint8_t zeros[72] = {0};
    if (len != ZF_CURVE_HELLO_SIZE || !is_cmd(cmd, len, "HELLO") || cmd[6] != 1 || cmd[7] != 0)
        return broken(c, -EPROTO);
    /* RFC 26: the anti-amplification padding is zeros (libzmq does not look; a HELLO that
     * carries something there is not one a conforming client sent) */
    if (memcmp(cmd + 8, zeros, HELLO_CLIENT - 8) != 0)
        return broken(c, -EPROTO);
    memcpy(c->peer_tpk, cmd + HELLO_CLIENT, 32);
    if (zf_crypto_box_beforenm(c->precom, c->peer_tpk, c->sk) < 0)
        return broken(c, -EPROTO);
    short_nonce(nonce, "CurveZMQHELLO---", cmd + HELLO_NONCE);
    if (zf_crypto_box_open_afternm(plain, cmd + HELLO_BOX, 80, nonce, c->precom) < 0)
        return broken(c, -EBADMSG);
    if (!same(plain, zeros, 64))
        return broken(c, -EPROTO);
    c->recv_nonce = get_be64(cmd + HELLO_NONCE);
    c->state = ZF_CURVE_WELCOME;
    return 0;
}

/* ---- WELCOME: Box[S' + cookie](S->C'), cookie = Box[C' + s'](cookie key) ----------------- */

long zf_curve_welcome(zf_curve *c, uint8_t *out, size_t cap)
{
    uint8_t nonce[24], plain[64], rnd[32];
    int rc;
    if (!c->as_server || c->state != ZF_CURVE_WELCOME)
        return broken(c, -EPROTO);
    if (cap < ZF_CURVE_WELCOME_SIZE)
        return -ENOBUFS;
    /* the transient pair, two long nonces and the cookie key: fresh per WELCOME */
    if ((rc = zf_crypto_box_keypair(c->tpk, c->tsk)) < 0 ||
        (rc = zf_crypto_random(rnd, sizeof rnd)) < 0 ||
        (rc = zf_crypto_random(c->cookie_key, sizeof c->cookie_key)) < 0)
        return broken(c, rc);

    /* the box's plaintext is laid out where its ciphertext goes, sealed in place */
    uint8_t *pt = out + WELCOME_BOX + TAG;
    memcpy(pt, c->tpk, 32);
    uint8_t *cookie = pt + 32;
    memcpy(cookie, rnd + 16, 16);
    memcpy(plain, c->peer_tpk, 32);
    memcpy(plain + 32, c->tsk, 32);
    long_nonce(nonce, "COOKIE--", cookie);
    zf_crypto_secretbox(cookie + 16, plain, sizeof plain, nonce, c->cookie_key);
    zf_crypto_wipe(plain, sizeof plain);
    c->cookie_deadline = zf_now_ms() + ZF_CURVE_COOKIE_MS;

    size_t p = put_name(out, "WELCOME");
    memcpy(out + p, rnd, 16);
    long_nonce(nonce, "WELCOME-", out + WELCOME_NONCE);
    zf_crypto_box_afternm(out + WELCOME_BOX, pt, 128, nonce, c->precom);

    /* from here on the transient pairs talk; S and C' are done with */
    rc = zf_crypto_box_beforenm(c->precom, c->peer_tpk, c->tsk);
    if (rc < 0)
        return broken(c, -EPROTO);
    c->state = ZF_CURVE_INITIATE;
    return ZF_CURVE_WELCOME_SIZE;
}

int zf_curve_client_welcome(zf_curve *c, const uint8_t *cmd, size_t len)
{
    uint8_t nonce[24], plain[128];
    if (c->as_server || c->state != ZF_CURVE_WELCOME)
        return broken(c, -EPROTO);
    if (len != ZF_CURVE_WELCOME_SIZE || !is_cmd(cmd, len, "WELCOME"))
        return broken(c, -EPROTO);
    long_nonce(nonce, "WELCOME-", cmd + WELCOME_NONCE);
    if (zf_crypto_box_open_afternm(plain, cmd + WELCOME_BOX, 144, nonce, c->precom) < 0)
        return broken(c, -EBADMSG);
    memcpy(c->peer_tpk, plain, 32);
    memcpy(c->cookie, plain + 32, 96);
    if (zf_crypto_box_beforenm(c->precom, c->peer_tpk, c->tsk) < 0)
        return broken(c, -EPROTO);
    c->state = ZF_CURVE_INITIATE;
    return 0;
}

/* ---- INITIATE: cookie, Box[C + vouch + metadata](C'->S'), vouch = Box[C' + S](C->S') ------ */

long zf_curve_initiate(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *meta,
                       size_t metalen)
{
    uint8_t nonce[24], plain[64], k[32];
    int rc;
    if (c->as_server || c->state != ZF_CURVE_INITIATE)
        return broken(c, -EPROTO);
    if (cap < ZF_CURVE_INITIATE_MIN || metalen > cap - ZF_CURVE_INITIATE_MIN)
        return -ENOBUFS;
    uint8_t *pt = out + INITIATE_BOX + TAG;
    memcpy(pt, c->pk, 32);
    uint8_t *vouch = pt + 32;
    if ((rc = zf_crypto_random(vouch, 16)) < 0)
        return broken(c, rc);
    memcpy(plain, c->tpk, 32);
    memcpy(plain + 32, c->peer_pk, 32);
    long_nonce(nonce, "VOUCH---", vouch);
    if ((rc = zf_crypto_box_beforenm(k, c->peer_tpk, c->sk)) < 0)
        return broken(c, -EPROTO);
    zf_crypto_box_afternm(vouch + 16, plain, sizeof plain, nonce, k);
    zf_crypto_wipe(k, sizeof k);
    if (metalen)
        memcpy(pt + 128, meta, metalen);

    if ((rc = next_nonce(c, out + INITIATE_NONCE)) < 0)
        return broken(c, rc);
    put_name(out, "INITIATE");
    memcpy(out + INITIATE_COOKIE, c->cookie, 96);
    short_nonce(nonce, "CurveZMQINITIATE", out + INITIATE_NONCE);
    zf_crypto_box_afternm(out + INITIATE_BOX, pt, 128 + metalen, nonce, c->precom);
    c->state = ZF_CURVE_READY;
    return (long)(ZF_CURVE_INITIATE_MIN + metalen);
}

int zf_curve_server_initiate(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **meta,
                             size_t *metalen)
{
    uint8_t nonce[24], plain[64], k[32];
    if (!c->as_server || c->state != ZF_CURVE_INITIATE)
        return broken(c, -EPROTO);
    if (len < ZF_CURVE_INITIATE_MIN || !is_cmd(cmd, len, "INITIATE"))
        return broken(c, -EPROTO);

    /* RFC 26: the cookie key lives 60 seconds, whatever HANDSHAKE_IVL allows (0: no limit);
     * an INITIATE later than that carries a cookie nobody can open any more */
    if (zf_now_ms() > c->cookie_deadline) {
        zf_crypto_wipe(c->cookie_key, sizeof c->cookie_key);
        return broken(c, -EBADMSG);
    }
    /* the cookie must be the one we sent: our key opens it and it names this connection */
    long_nonce(nonce, "COOKIE--", cmd + INITIATE_COOKIE);
    if (zf_crypto_secretbox_open(plain, cmd + INITIATE_COOKIE + 16, 80, nonce,
                                 c->cookie_key) < 0)
        return broken(c, -EBADMSG);
    int ok = same(plain, c->peer_tpk, 32) & same(plain + 32, c->tsk, 32);
    zf_crypto_wipe(plain, sizeof plain);
    zf_crypto_wipe(c->cookie_key, sizeof c->cookie_key); /* RFC 26: gone once used */
    if (!ok)
        return broken(c, -EBADMSG);

    if (fresh_nonce(c, cmd + INITIATE_NONCE, 0) < 0)
        return broken(c, -EPROTO);
    short_nonce(nonce, "CurveZMQINITIATE", cmd + INITIATE_NONCE);
    uint8_t *pt = cmd + INITIATE_BOX + TAG;
    if (zf_crypto_box_open_afternm(pt, cmd + INITIATE_BOX, len - INITIATE_BOX, nonce,
                                   c->precom) < 0)
        return broken(c, -EBADMSG);

    /* the vouch ties C to this connection's C' and to us: a box only c's holder can make */
    const uint8_t *client = pt, *vouch = pt + 32;
    long_nonce(nonce, "VOUCH---", vouch);
    if (zf_crypto_box_beforenm(k, client, c->tsk) < 0)
        return broken(c, -EACCES);
    int rc = zf_crypto_box_open_afternm(plain, vouch + 16, 80, nonce, k);
    zf_crypto_wipe(k, sizeof k);
    if (rc < 0)
        return broken(c, -EBADMSG);
    if (!same(plain, c->peer_tpk, 32) || !same(plain + 32, c->pk, 32))
        return broken(c, -EACCES);

    memcpy(c->peer_pk, client, 32);
    c->recv_nonce = get_be64(cmd + INITIATE_NONCE);
    *meta = pt + 128;
    *metalen = len - ZF_CURVE_INITIATE_MIN;
    c->state = ZF_CURVE_READY;
    return 0;
}

/* ---- READY: Box[metadata](S'->C') ------------------------------------------------------- */

long zf_curve_ready(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *meta, size_t metalen)
{
    uint8_t nonce[24];
    if (!c->as_server || c->state != ZF_CURVE_READY)
        return broken(c, -EPROTO);
    if (cap < ZF_CURVE_READY_MIN || metalen > cap - ZF_CURVE_READY_MIN)
        return -ENOBUFS;
    int rc = next_nonce(c, out + READY_NONCE);
    if (rc < 0)
        return broken(c, rc);
    put_name(out, "READY");
    if (metalen)
        memcpy(out + ZF_CURVE_READY_MIN, meta, metalen);
    short_nonce(nonce, "CurveZMQREADY---", out + READY_NONCE);
    zf_crypto_box_afternm(out + READY_BOX, out + ZF_CURVE_READY_MIN, metalen, nonce, c->precom);
    establish(c);
    return (long)(ZF_CURVE_READY_MIN + metalen);
}

int zf_curve_client_ready(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **meta,
                          size_t *metalen)
{
    uint8_t nonce[24];
    if (c->as_server || c->state != ZF_CURVE_READY)
        return broken(c, -EPROTO);
    if (len < ZF_CURVE_READY_MIN || !is_cmd(cmd, len, "READY"))
        return broken(c, -EPROTO);
    short_nonce(nonce, "CurveZMQREADY---", cmd + READY_NONCE);
    if (zf_crypto_box_open_afternm(cmd + ZF_CURVE_READY_MIN, cmd + READY_BOX, len - READY_BOX,
                                   nonce, c->precom) < 0)
        return broken(c, -EBADMSG);
    c->recv_nonce = get_be64(cmd + READY_NONCE); /* the server's first short nonce */
    *meta = cmd + ZF_CURVE_READY_MIN;
    *metalen = len - ZF_CURVE_READY_MIN;
    establish(c);
    return 0;
}

/* ---- MESSAGE: Box[flags + data](C'->S' or S'->C') --------------------------------------- */

long zf_curve_encode(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *data, size_t len,
                     int flags)
{
    if (c->state != ZF_CURVE_ESTABLISHED)
        return -EPROTO; /* not fatal: the caller sent too early */
    if (flags & ~(ZF_CURVE_MORE | ZF_CURVE_COMMAND))
        return -EINVAL;
    if (cap < ZF_CURVE_MESSAGE_MIN || len > cap - ZF_CURVE_MESSAGE_MIN)
        return -ENOBUFS;
    int rc = next_nonce(c, out + MESSAGE_NONCE);
    if (rc < 0)
        return broken(c, rc);
    put_name(out, "MESSAGE");
    /* the flags byte and the data sealed as they lie: the data is read once, not copied first */
    uint8_t fl = (uint8_t)flags;
    zf_crypto_secretbox_sub_parts(out + MESSAGE_BOX, &fl, 1, data, len, out + MESSAGE_NONCE,
                                  c->msg_tx);
    return (long)(ZF_CURVE_MESSAGE_MIN + len);
}

int zf_curve_decode(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **data,
                    size_t *datalen, int *flags)
{
    if (c->state != ZF_CURVE_ESTABLISHED)
        return broken(c, -EPROTO);
    if (len < ZF_CURVE_MESSAGE_MIN || !is_cmd(cmd, len, "MESSAGE"))
        return broken(c, -EPROTO);
    if (fresh_nonce(c, cmd + MESSAGE_NONCE, 0) < 0)
        return broken(c, -EPROTO);
    uint8_t *pt = cmd + MESSAGE_BOX + TAG;
    if (zf_crypto_secretbox_open_sub(pt, cmd + MESSAGE_BOX, len - MESSAGE_BOX, cmd + MESSAGE_NONCE,
                                     c->msg_rx) < 0)
        return broken(c, -EBADMSG);
    if (pt[0] & ~(ZF_CURVE_MORE | ZF_CURVE_COMMAND))
        return broken(c, -EPROTO); /* reserved bits MUST be zero */
    c->recv_nonce = get_be64(cmd + MESSAGE_NONCE);
    *flags = pt[0];
    *data = pt + 1;
    *datalen = len - ZF_CURVE_MESSAGE_MIN;
    return 0;
}

/* ---- ERROR ------------------------------------------------------------------------------ */

long zf_curve_error(uint8_t *out, size_t cap, const char *reason)
{
    size_t n = strlen(reason);
    if (n > 255)
        return -EINVAL;
    if (cap < 7 + n)
        return -ENOBUFS;
    size_t p = put_name(out, "ERROR");
    out[p++] = (uint8_t)n;
    memcpy(out + p, reason, n);
    return (long)(p + n);
}

int zf_curve_parse_error(const uint8_t *cmd, size_t len, const uint8_t **reason,
                         size_t *reasonlen)
{
    if (len < 7 || !is_cmd(cmd, len, "ERROR") || (size_t)cmd[6] != len - 7)
        return -EPROTO;
    *reason = cmd + 7;
    *reasonlen = cmd[6];
    return 0;
}
