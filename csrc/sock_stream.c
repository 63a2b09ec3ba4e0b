/* sock_stream.c: STREAM, a socket of raw connections: its options and its ops table over the raw
 * routing it shares with ROUTER_RAW (sock_raw.c, where the message format is described). */
#include <errno.h>
#include <string.h>

#include "socket.h"

enum { OPT_ROUTER_MANDATORY = 33, OPT_ROUTER_RAW = 41, OPT_PROBE_ROUTER = 51, OPT_REQ_CORRELATE = 52,
       OPT_REQ_RELAXED = 53, OPT_ROUTER_HANDOVER = 56, OPT_CONNECT_ROUTING_ID = 61, OPT_STREAM_NOTIFY = 73 };

/* An unknown id is EHOSTUNREACH and a full pipe EAGAIN, always (ROUTER_RAW: with ROUTER_MANDATORY). */
static int stream_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    return zf_raw_send(s, data, len, buf, flags, 1);
}

static int bool_arg(const void *value, size_t len, int *out)
{
    int64_t v;
    if (len != sizeof v)
        return -EINVAL;
    memcpy(&v, value, sizeof v);
    if (v != 0 && v != 1)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

/* Options of other patterns, which libzmq refuses on a STREAM with EINVAL. */
static int foreign_option(int option)
{
    switch (option) {
    case OPT_ROUTER_MANDATORY: case OPT_ROUTER_RAW: case OPT_PROBE_ROUTER: case OPT_REQ_CORRELATE:
    case OPT_REQ_RELAXED: case OPT_ROUTER_HANDOVER:
        return 1;
    default:
        return 0;
    }
}

static int stream_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    if (option == OPT_STREAM_NOTIFY)
        return bool_arg(value, len, &s->opts.raw_notify);
    if (option == OPT_CONNECT_ROUTING_ID) {
        if (len < 1 || len > sizeof s->rr.connect_rid)
            return -EINVAL;
        memcpy(s->rr.connect_rid, value, len);
        s->rr.connect_rid_len = (uint8_t)len;
        return 0;
    }
    return foreign_option(option) ? -EINVAL : -ENOTSUP;
}

static int stream_getopt(zf_sock *s, int option, void *value, size_t *len)
{
    (void)s;
    (void)value;
    (void)len;
    /* STREAM_NOTIFY is write-only in libzmq 4.3 */
    return option == OPT_STREAM_NOTIFY || foreign_option(option) ? -EINVAL : -ENOTSUP;
}

const zf_sock_ops zf_stream_ops = {
    .reads = 1, .writes = 1,
    .attached = zf_raw_attached,
    .detach = zf_raw_detach,
    .send = stream_send,
    .recv = zf_raw_recv,
    .has_in = zf_fq_has_in,
    .has_out = zf_raw_has_out,
    .setopt = stream_setopt,
    .getopt = stream_getopt,
};
