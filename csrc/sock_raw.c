/* sock_raw.c: raw routing, the pattern STREAM runs and a ROUTER turns to with ROUTER_RAW (libzmq
 * 4.3 still makes them the same thing). Each pipe is one raw connection (the session speaks no
 * ZMTP: engine_raw.c), named by a routing id: CONNECT_ROUTING_ID for the next connect, else
 * 0x00 and a 32-bit counter (routing.c).
 *  recv: [id][bytes as read], or [id][empty] for a connect or disconnect (STREAM_NOTIFY).
 *  send: [id][bytes] writes them; [id][empty] closes that connection once what was queued
 *        before is written. The frame after the id ends the message whatever its MORE flag says,
 *        and an id sent without MORE makes the next frame a body with nowhere to go, as libzmq.
 * Here so that STREAM (sock_stream.c) and ROUTER (sock_reqrep.c) share it without naming each
 * other; each keeps its own options and ops table. Owner thread only. */
#include <errno.h>
#include <string.h>

#include "socket.h"
#include "zmtp.h"

/* A connection closed by an empty frame still gets what was sent before it (libzmq flushes
 * whatever LINGER says), but never for longer than this when LINGER is 0: a peer that does not
 * read must not hold up the context's termination. */
#define RAW_CLOSE_FLUSH_MS 5000

/* Name a new pipe: the id CONNECT_ROUTING_ID gave it at connect, or a generated one, and enter
 * it in the table. A STREAM (not ROUTER_RAW) also keeps a generated id as its ROUTING_ID, as
 * libzmq's stream_t does: that is how a program learns the id of the connection connect() just
 * made (ipykernel's debugger). */
void zf_raw_attached(zf_sock *s, zf_pipe *p)
{
    int end = zf_sock_end(s, p);
    zf_pipe_end *e = &p->end[end];
    if (!e->route_id_len) {
        zf_routing_auto_id(s, e);
        if (s->opts.type == ZF_STREAM) {
            memcpy(s->opts.identity, e->route_id, e->route_id_len);
            s->opts.identity_len = e->route_id_len;
        }
    }
    /* -EEXIST: a CONNECT_ROUTING_ID that another connection took meanwhile (connect refuses
     * one in use, so only a race); -ENOMEM. Either way this connection cannot be addressed. */
    if (zf_routing_insert(&s->rr.routes, p, end) < 0) {
        zf_sock_detach(s, p);
        return;
    }
    e->identified = 1;
}

void zf_raw_detach(zf_sock *s, zf_pipe *p)
{
    int end = zf_sock_end(s, p);
    if (p->end[end].identified) {
        zf_routing_remove(&s->rr.routes, p, end);
        p->end[end].identified = 0;
    }
}

int zf_raw_recv(zf_sock *s, zf_frame *f)
{
    if (s->rx_more)
        return zf_fq_recv(s, f);
    zf_pipe *p = zf_fq_peek(s);
    if (!p)
        return -EAGAIN;
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    f->data = e->route_id;
    f->size = e->route_id_len;
    f->buf = NULL;
    f->more = 1;
    s->rx_more = 1;
    s->rx_pipe = p;
    s->last_pipe = p;
    return 0;
}

static void raw_close(zf_sock *s, zf_pipe *p)
{
    int keep = s->opts.linger;
    s->opts.linger = keep < 0 ? -1 : keep > RAW_CLOSE_FLUSH_MS ? keep : RAW_CLOSE_FLUSH_MS;
    zf_sock_detach(s, p); /* our delimiter follows the queued data: the session flushes, then closes */
    s->opts.linger = keep;
}

/* mandatory: an unknown id is EHOSTUNREACH and a full pipe EAGAIN (STREAM always; ROUTER_RAW
 * with ROUTER_MANDATORY), else the message is dropped. */
int zf_raw_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags, int mandatory)
{
    if (!s->tx_more) {
        /* buf, if any, holds the id's bytes: let go of it after the lookup, and only when the
         * send succeeds (a failed one leaves it to the caller, zf_sock_ops.send) */
        s->tx_pipe = NULL;
        s->rr.blocked_pipe = NULL;
        if (flags & ZF_SNDMORE) {
            zf_pipe *p = len && len <= 255 ? zf_routing_find(&s->rr.routes, data, len) : NULL;
            if (p && p->end[zf_sock_end(s, p)].peer_gone)
                p = NULL;
            if (!p) {
                if (mandatory)
                    return -EHOSTUNREACH;
            } else if (!zf_pipe_writable(p, zf_sock_end(s, p))) {
                if (mandatory) {
                    s->rr.blocked_pipe = p;
                    return -EAGAIN;
                }
                p = NULL;
            }
            s->tx_pipe = p;
        }
        if (buf)
            zf_buf_unref(buf);
        s->tx_more = 1;
        return 0;
    }
    zf_pipe *p = s->tx_pipe;
    s->tx_more = 0;
    s->tx_pipe = NULL;
    if (!p) {
        if (buf)
            zf_buf_unref(buf);
        return 0;
    }
    if (len == 0) {
        if (buf)
            zf_buf_unref(buf);
        raw_close(s, p);
        return 0;
    }
    int e = zf_sock_end(s, p);
    if (zf_pipe_put(p, e, data, len, buf, 0) < 0)
        return -ENOMEM;
    zf_pipe_commit(p, e);
    zf_pipe_wake_peer(p, e);
    return 0;
}

/* Always writable (libzmq's answer), except right after a send found its pipe full: then when
 * that pipe has room, so that a blocking send sleeps instead of spinning. */
int zf_raw_has_out(zf_sock *s, int arm)
{
    zf_pipe *p = s->rr.blocked_pipe;
    if (p && !s->tx_more) {
        int e = zf_sock_end(s, p);
        return arm ? zf_pipe_check_write(p, e) : zf_pipe_writable(p, e);
    }
    return 1;
}
