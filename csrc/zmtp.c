/* zmtp.c: greeting, frame headers, commands and metadata of ZMTP 3.x (RFC 37). */
#include "zmtp.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[ZF_NTYPES] = {
    "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"};

const char *zf_zmtp_type_name(int type)
{
    return (type >= 0 && type < ZF_NTYPES) ? type_names[type] : "UNKNOWN";
}

int zf_zmtp_type_from_name(const uint8_t *name, size_t len)
{
    for (int t = 0; t < ZF_NTYPES; t++)
        if (strlen(type_names[t]) == len && memcmp(type_names[t], name, len) == 0)
            return t;
    return -1;
}

int zf_zmtp_compatible(int ours, int theirs)
{
    switch (ours) {
    case ZF_PAIR: return theirs == ZF_PAIR;
    case ZF_PUSH: return theirs == ZF_PULL;
    case ZF_PULL: return theirs == ZF_PUSH;
    case ZF_REQ: return theirs == ZF_REP || theirs == ZF_ROUTER;
    case ZF_REP: return theirs == ZF_REQ || theirs == ZF_DEALER;
    case ZF_DEALER: return theirs == ZF_REP || theirs == ZF_DEALER || theirs == ZF_ROUTER;
    case ZF_ROUTER: return theirs == ZF_REQ || theirs == ZF_DEALER || theirs == ZF_ROUTER;
    case ZF_PUB: case ZF_XPUB: return theirs == ZF_SUB || theirs == ZF_XSUB;
    case ZF_SUB: case ZF_XSUB: return theirs == ZF_PUB || theirs == ZF_XPUB;
    default: return 0;
    }
}

void zf_zmtp_greeting(uint8_t out[ZF_GREETING_SIZE], const char *mechanism, int as_server)
{
    memset(out, 0, ZF_GREETING_SIZE);
    out[0] = 0xFF;
    out[8] = 1; /* padding: libzmq writes identity length + 1 here; nobody may rely on it */
    out[9] = 0x7F;
    out[10] = 3;
    out[11] = 1;
    size_t n = strlen(mechanism);
    memcpy(out + 12, mechanism, n > 20 ? 20 : n);
    out[32] = as_server ? 1 : 0;
}

int zf_zmtp_parse_greeting(const uint8_t *in, size_t len, int *major, int *minor, char mechanism[21])
{
    if (len >= 1 && in[0] != 0xFF)
        return -EPROTO; /* ZMTP 1.0 peer or not ZMTP at all */
    if (len >= 10 && !(in[9] & 1))
        return -EPROTO;
    if (len < 11)
        return (int)(11 - len);
    if (in[10] < 3)
        return -EPROTO; /* ZMTP 1.0/2.0 (libzmq 2.x/3.x): not spoken */
    if (len < ZF_GREETING_SIZE)
        return (int)(ZF_GREETING_SIZE - len);
    *major = in[10];
    *minor = in[11];
    memcpy(mechanism, in + 12, 20);
    mechanism[20] = 0;
    return 0;
}

size_t zf_zmtp_get_header(const uint8_t *in, size_t avail, int *flags, uint64_t *size)
{
    if (avail < 2)
        return 0;
    int f = in[0];
    if (!(f & ZF_F_LONG)) {
        *flags = f;
        *size = in[1];
        return 2;
    }
    if (avail < 9)
        return 0;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = (s << 8) | in[1 + i];
    *flags = f;
    *size = s;
    return 9;
}

int zf_zmtp_command(const uint8_t *frame, size_t len, const uint8_t **name, size_t *namelen,
                    const uint8_t **body, size_t *bodylen)
{
    if (len < 1 || (size_t)frame[0] + 1 > len)
        return -EPROTO;
    *namelen = frame[0];
    *name = frame + 1;
    *body = frame + 1 + frame[0];
    *bodylen = len - 1 - frame[0];
    return 0;
}

int zf_zmtp_is_command(const uint8_t *name, size_t namelen, const char *want)
{
    return strlen(want) == namelen && memcmp(name, want, namelen) == 0;
}

static size_t put_prop(uint8_t *out, const char *name, const uint8_t *val, size_t vlen)
{
    size_t n = strlen(name);
    out[0] = (uint8_t)n;
    memcpy(out + 1, name, n);
    out[1 + n] = (uint8_t)(vlen >> 24);
    out[2 + n] = (uint8_t)(vlen >> 16);
    out[3 + n] = (uint8_t)(vlen >> 8);
    out[4 + n] = (uint8_t)vlen;
    if (vlen)
        memcpy(out + 5 + n, val, vlen);
    return 5 + n + vlen;
}

long zf_zmtp_ready(uint8_t *out, size_t cap, const char *command, int socket_type,
                   const uint8_t *identity, size_t idlen, int with_identity)
{
    const char *tname = zf_zmtp_type_name(socket_type);
    size_t cl = strlen(command);
    size_t body = 1 + cl + (5 + 11 + strlen(tname)) + (with_identity ? 5 + 8 + idlen : 0);
    if (body + 9 > cap)
        return -ENOBUFS;
    size_t h = zf_zmtp_put_header(out, body, ZF_F_COMMAND);
    uint8_t *p = out + h;
    p[0] = (uint8_t)cl;
    memcpy(p + 1, command, cl);
    p += 1 + cl;
    p += put_prop(p, "Socket-Type", (const uint8_t *)tname, strlen(tname));
    if (with_identity)
        p += put_prop(p, "Identity", identity, idlen);
    return (long)(p - out);
}

int zf_zmtp_parse_metadata(const uint8_t *p, size_t len, zf_zmtp_prop_cb cb, void *arg)
{
    size_t i = 0;
    while (i < len) {
        size_t nl = p[i];
        if (nl == 0 || i + 1 + nl + 4 > len)
            return -EPROTO;
        const uint8_t *name = p + i + 1;
        const uint8_t *vp = name + nl;
        uint32_t vl = ((uint32_t)vp[0] << 24) | ((uint32_t)vp[1] << 16) | ((uint32_t)vp[2] << 8) | vp[3];
        if (vl > len - (i + 1 + nl + 4))
            return -EPROTO;
        if (cb && cb(arg, name, nl, vp + 4, vl))
            return 0;
        i += 1 + nl + 4 + vl;
    }
    return 0;
}

size_t zf_zmtp_pong(uint8_t *out, const uint8_t *ping_body, size_t ping_len)
{
    /* PING body: ttl (2 bytes) then up to 16 bytes of context, which PONG echoes. */
    size_t ctx = ping_len > 2 ? ping_len - 2 : 0;
    if (ctx > 16)
        ctx = 16;
    size_t h = zf_zmtp_put_header(out, 5 + ctx, ZF_F_COMMAND);
    out[h] = 4;
    memcpy(out + h + 1, "PONG", 4);
    if (ctx)
        memcpy(out + h + 5, ping_body + 2, ctx);
    return h + 5 + ctx;
}

long zf_zmtp_command_frame(uint8_t *out, size_t cap, const char *name, const uint8_t *body, size_t len)
{
    size_t nl = strlen(name);
    if (nl > 255 || 1 + nl + len + 9 > cap)
        return -ENOBUFS;
    size_t h = zf_zmtp_put_header(out, 1 + nl + len, ZF_F_COMMAND);
    out[h] = (uint8_t)nl;
    memcpy(out + h + 1, name, nl);
    if (len)
        memcpy(out + h + 1 + nl, body, len);
    return (long)(h + 1 + nl + len);
}

size_t zf_zmtp_put_prop(uint8_t *out, const char *name, const uint8_t *val, size_t vlen)
{
    return put_prop(out, name, val, vlen);
}
