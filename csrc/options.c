/* options.c: option defaults (libzmq 4.3's) and the integer option table. */
#include "options.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "crypto.h"

void zf_opts_forget_secret(zf_opts *o)
{
    zf_crypto_wipe(o->curve_secret, sizeof o->curve_secret);
}

void zf_opts_defaults(zf_opts *o, int type)
{
    memset(o, 0, sizeof *o);
    o->type = type;
    o->sndhwm = o->rcvhwm = 1000;
    o->linger = -1;
    o->rcvtimeo = o->sndtimeo = -1;
    o->reconnect_ivl = 100;
    o->reconnect_ivl_max = 0;
    o->maxmsgsize = -1;
    o->sndbuf = o->rcvbuf = -1;
    o->backlog = 100;
    o->handshake_ivl = 30000;
    o->tcp_keepalive = o->tcp_keepalive_cnt = o->tcp_keepalive_idle = o->tcp_keepalive_intvl = -1;
    o->tos = 0;
    o->heartbeat_timeout = -1; /* -1: the interval */
    o->raw = type == 11; /* ZMQ_STREAM speaks no ZMTP */
    o->raw_notify = 1;
    zf_opts_more_defaults(o);
}

/* One row per integer option: where it lives and the smallest value it takes. */
typedef struct opt_row {
    int option;
    size_t offset;
    int min;
} opt_row;

#define ROW(opt, field, min) {opt, offsetof(zf_opts, field), min}
static const opt_row rows[] = {
    ROW(ZF_OPT_SNDBUF, sndbuf, -1),
    ROW(ZF_OPT_RCVBUF, rcvbuf, -1),
    ROW(ZF_OPT_LINGER, linger, -1),
    ROW(ZF_OPT_RECONNECT_IVL, reconnect_ivl, -1),
    ROW(ZF_OPT_BACKLOG, backlog, 0),
    ROW(ZF_OPT_RECONNECT_IVL_MAX, reconnect_ivl_max, 0),
    ROW(ZF_OPT_SNDHWM, sndhwm, 0),
    ROW(ZF_OPT_RCVHWM, rcvhwm, 0),
    ROW(ZF_OPT_RCVTIMEO, rcvtimeo, -1),
    ROW(ZF_OPT_SNDTIMEO, sndtimeo, -1),
    ROW(ZF_OPT_TCP_KEEPALIVE, tcp_keepalive, -1),
    ROW(ZF_OPT_TCP_KEEPALIVE_CNT, tcp_keepalive_cnt, -1),
    ROW(ZF_OPT_TCP_KEEPALIVE_IDLE, tcp_keepalive_idle, -1),
    ROW(ZF_OPT_TCP_KEEPALIVE_INTVL, tcp_keepalive_intvl, -1),
    ROW(ZF_OPT_IMMEDIATE, immediate, 0),
    ROW(ZF_OPT_IPV6, ipv6, 0),
    ROW(ZF_OPT_TOS, tos, 0),
    ROW(ZF_OPT_HANDSHAKE_IVL, handshake_ivl, 0),
    ROW(ZF_OPT_CONNECT_TIMEOUT, connect_timeout, 0),
    ROW(ZF_OPT_HEARTBEAT_IVL, heartbeat_ivl, 0),
    ROW(ZF_OPT_CONFLATE, conflate, 0),
    ROW(ZF_OPT_HEARTBEAT_TTL, heartbeat_ttl, 0),
    ROW(ZF_OPT_HEARTBEAT_TIMEOUT, heartbeat_timeout, 0), /* -1 is only the default */
};

static const opt_row *find(int option)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].option == option)
            return &rows[i];
    return NULL;
}

int zf_opts_set_int(zf_opts *o, int option, int64_t value)
{
    if (option == ZF_OPT_MAXMSGSIZE) {
        o->maxmsgsize = value; /* as libzmq: any negative value means no limit */
        return 0;
    }
    if (option == ZF_OPT_HEARTBEAT_TTL) {
        /* it travels in deciseconds, in 16 bits; libzmq truncates, so -99..-1 mean 0 */
        int64_t ds = value / 100;
        if (ds < 0 || ds > 0xFFFF)
            return -EINVAL;
        o->heartbeat_ttl = (int)(ds * 100);
        return 0;
    }
    if (option == ZF_OPT_PLAIN_SERVER) {
        if (value != 0 && value != 1)
            return -EINVAL;
        /* as libzmq: PLAIN_SERVER=0 also turns PLAIN off (back to NULL) */
        o->as_server = (int)value;
        o->mechanism = value ? ZF_MECH_PLAIN : ZF_MECH_NULL;
        return 0;
    }
    if (option == ZF_OPT_CURVE_SERVER) {
        if (value != 0 && value != 1)
            return -EINVAL;
        /* as PLAIN_SERVER: 0 turns CURVE off as well (back to NULL), keys kept */
        o->as_server = (int)value;
        o->mechanism = value ? ZF_MECH_CURVE : ZF_MECH_NULL;
        return 0;
    }
    const opt_row *r = find(option);
    if (!r)
        return zf_opts_more_set_int(o, option, value);
    if (value < r->min || value > 0x7fffffff)
        return -EINVAL;
    if ((option == ZF_OPT_IMMEDIATE || option == ZF_OPT_IPV6 || option == ZF_OPT_CONFLATE ||
         option == ZF_OPT_TCP_KEEPALIVE) && value > 1)
        return -EINVAL;
    *(int *)((char *)o + r->offset) = (int)value;
    return 0;
}

int zf_opts_get_int(const zf_opts *o, int option, int64_t *value)
{
    if (option == ZF_OPT_MAXMSGSIZE) {
        *value = o->maxmsgsize;
        return 0;
    }
    if (option == ZF_OPT_TYPE) {
        *value = o->type;
        return 0;
    }
    if (option == ZF_OPT_MECHANISM) {
        *value = o->mechanism;
        return 0;
    }
    if (option == ZF_OPT_PLAIN_SERVER) {
        *value = o->as_server && o->mechanism == ZF_MECH_PLAIN;
        return 0;
    }
    if (option == ZF_OPT_CURVE_SERVER) {
        *value = o->as_server && o->mechanism == ZF_MECH_CURVE;
        return 0;
    }
    const opt_row *r = find(option);
    if (!r)
        return zf_opts_more_get_int(o, option, value);
    *value = *(const int *)((const char *)o + r->offset);
    return 0;
}

/* ---- CURVE keys ---------------------------------------------------------------------------- */

/* Z85 text (ZMQ RFC 32) into dest, as libzmq's decoder reads it: up to the first NUL, a
 * multiple of 5 characters, each group written as soon as it is decoded. */
static int z85_decode(uint8_t *dest, const char *text)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    size_t n = strlen(text);
    if (n < 5 || n % 5)
        return -EINVAL;
    for (size_t i = 0; i < n; i += 5) {
        uint64_t v = 0;
        for (size_t j = 0; j < 5; j++) {
            const char *at = strchr(alphabet, text[i + j]);
            if (!at)
                return -EINVAL;
            v = v * 85 + (uint64_t)(at - alphabet);
        }
        if (v > 0xFFFFFFFFu)
            return -EINVAL; /* five digits can say more than 32 bits hold */
        for (size_t j = 0; j < 4; j++)
            *dest++ = (uint8_t)(v >> (24 - 8 * j));
    }
    return 0;
}

/* A key option's value: 32 raw bytes, or 40 characters of Z85 (41 with a final NUL, as C
 * callers pass it). libzmq reads the text as a C string, so a NUL inside ends it: a shorter
 * string that is still a multiple of 5 replaces only the start of the key. */
static int set_curve_key(zf_opts *o, uint8_t dest[32], const void *value, size_t len)
{
    char text[41];
    if (len == 32) {
        memcpy(dest, value, 32);
    } else if (len == 40 || len == 41) {
        memcpy(text, value, len);
        if (len == 40)
            text[40] = 0;
        else if (!memchr(text, 0, 41))
            return -EINVAL; /* 41 characters: not Z85 */
        int rc = z85_decode(dest, text);
        zf_crypto_wipe(text, sizeof text); /* it may have spelt the secret key */
        if (rc < 0)
            return rc;
    } else {
        return -EINVAL;
    }
    o->mechanism = ZF_MECH_CURVE;
    return 0;
}

int zf_opts_set_bytes(zf_opts *o, int option, const void *value, size_t len)
{
    switch (option) {
    case ZF_OPT_CURVE_PUBLICKEY:
        return set_curve_key(o, o->curve_public, value, len);
    case ZF_OPT_CURVE_SECRETKEY:
        return set_curve_key(o, o->curve_secret, value, len);
    case ZF_OPT_CURVE_SERVERKEY: {
        int rc = set_curve_key(o, o->curve_server, value, len);
        if (rc == 0)
            o->as_server = 0; /* knowing the server's key makes us its client, as libzmq */
        return rc;
    }
    case ZF_OPT_PLAIN_USERNAME:
    case ZF_OPT_PLAIN_PASSWORD:
        /* libzmq refuses an empty name or password (only a NULL pointer resets, which Python
         * cannot pass) and anything that does not fit PLAIN's one-byte lengths */
        if (len < 1 || len > 255)
            return -EINVAL;
        if (option == ZF_OPT_PLAIN_USERNAME) {
            memcpy(o->plain_user, value, len);
            o->plain_user_len = (uint8_t)len;
        } else {
            memcpy(o->plain_pass, value, len);
            o->plain_pass_len = (uint8_t)len;
        }
        o->as_server = 0;
        o->mechanism = ZF_MECH_PLAIN;
        return 0;
    case ZF_OPT_ZAP_DOMAIN:
        if (len > 255)
            return -EINVAL;
        if (len)
            memcpy(o->zap_domain, value, len);
        o->zap_domain_len = (uint8_t)len;
        return 0;
    default:
        return zf_opts_more_set_bytes(o, option, value, len);
    }
}

int zf_opts_get_bytes(const zf_opts *o, int option, const void **value, size_t *len)
{
    switch (option) {
    case ZF_OPT_PLAIN_USERNAME: *value = o->plain_user; *len = o->plain_user_len; return 0;
    case ZF_OPT_PLAIN_PASSWORD: *value = o->plain_pass; *len = o->plain_pass_len; return 0;
    case ZF_OPT_ZAP_DOMAIN: *value = o->zap_domain; *len = o->zap_domain_len; return 0;
    /* libzmq hands a key back only into a buffer of exactly 32 or 41 bytes; pyzmq always
     * offers 255, so from Python reading a key is EINVAL, whatever was set. */
    case ZF_OPT_CURVE_PUBLICKEY:
    case ZF_OPT_CURVE_SECRETKEY:
    case ZF_OPT_CURVE_SERVERKEY: return -EINVAL;
    default: return zf_opts_more_get_bytes(o, option, value, len);
    }
}
