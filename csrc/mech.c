/* mech.c: what the mechanisms share: the table, the metadata commands (READY and its kin) and
 * how a failed handshake is reported. I/O thread only. */
#include "mech.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zmtp.h"

const zf_mech *zf_mech_of(int mechanism)
{
    return mechanism == ZF_MECH_CURVE ? &zf_mech_curve : mechanism == ZF_MECH_PLAIN ? &zf_mech_plain : &zf_mech_null;
}

void zf_mech_fail(zf_session *s, int event, int64_t value)
{
    s->fail_event = event;
    s->fail_value = value;
}

struct ready_info {
    int type;
    const uint8_t *id;
    size_t idlen;
};

static int ready_prop(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    struct ready_info *ri = arg;
    if (nl == 11 && strncasecmp((const char *)name, "Socket-Type", 11) == 0)
        ri->type = zf_zmtp_type_from_name(val, vl);
    else if (nl == 8 && strncasecmp((const char *)name, "Identity", 8) == 0) {
        ri->id = val;
        ri->idlen = vl;
    }
    return 0;
}

int zf_mech_take_metadata(zf_session *s, const uint8_t *data, size_t dl)
{
    struct ready_info ri = {.type = -1};
    if (zf_zmtp_parse_metadata(data, dl, ready_prop, &ri) < 0)
        return -1;
    if (ri.type < 0 || !zf_zmtp_compatible(s->opts.type, ri.type))
        return -1;
    s->peer_type = ri.type;
    s->peer_id_len = ri.idlen > 255 ? 255 : (int)ri.idlen;
    if (ri.id)
        memcpy(s->peer_id, ri.id, (size_t)s->peer_id_len);
    free(s->peer_props);
    s->peer_props = malloc(dl ? dl : 1);
    if (s->peer_props)
        memcpy(s->peer_props, data, dl);
    s->peer_props_len = s->peer_props ? dl : 0;
    return 0;
}

/* METADATA: the READY (or INITIATE) frame at out (n bytes) again, with the socket's "X-"
 * properties after the standard ones. */
static long add_app_metadata(zf_session *s, uint8_t *out, size_t cap, long n)
{
    if (n < 0 || !s->opts.app_meta_len)
        return n;
    size_t hdr = (out[0] & ZF_F_LONG) ? 9 : 2;
    const uint8_t *name, *body;
    size_t nl, bl;
    if (zf_zmtp_command(out + hdr, (size_t)n - hdr, &name, &nl, &body, &bl) < 0)
        return -1;
    uint8_t props[2048 + ZF_APP_META_MAX];
    char cmd[32];
    if (bl + s->opts.app_meta_len > sizeof props || nl >= sizeof cmd)
        return -1;
    memcpy(props, body, bl);
    memcpy(props + bl, s->opts.app_meta, s->opts.app_meta_len);
    memcpy(cmd, name, nl);
    cmd[nl] = 0;
    return zf_zmtp_command_frame(out, cap, cmd, props, bl + s->opts.app_meta_len);
}

static int sends_identity(const zf_session *s)
{
    return s->opts.type == ZF_REQ || s->opts.type == ZF_DEALER || s->opts.type == ZF_ROUTER;
}

int zf_mech_send_ready(zf_session *s, const char *command)
{
    long n = zf_zmtp_ready(s->wbuf + s->wlen, ZF_WBUF_SIZE - s->wlen, command, s->opts.type, s->opts.identity,
                           s->opts.identity_len, sends_identity(s));
    n = add_app_metadata(s, s->wbuf + s->wlen, ZF_WBUF_SIZE - s->wlen, n);
    if (n < 0)
        return -1;
    s->wlen += (size_t)n;
    return 0;
}

int zf_mech_sent(zf_session *s, long n)
{
    if (n < 0)
        return -1;
    s->wlen += (size_t)n;
    return 0;
}

const uint8_t *zf_mech_own_properties(zf_session *s, uint8_t frame[512], size_t *len)
{
    long n = zf_zmtp_ready(frame, 512, "X", s->opts.type, s->opts.identity, s->opts.identity_len,
                           sends_identity(s));
    int flags;
    uint64_t size;
    size_t h = n > 0 ? zf_zmtp_get_header(frame, (size_t)n, &flags, &size) : 0;
    if (!h) {
        *len = 0;
        return frame;
    }
    *len = (size_t)n - h - 2;
    return frame + h + 2;
}
