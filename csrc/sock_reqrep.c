/* sock_reqrep.c: the request-reply family.
 *  DEALER: load-balances out, fair-queues in, no envelope.
 *  ROUTER: prefixes each received message with the routing id of the pipe it came from, and
 *          routes each sent message by its first frame.
 *  REQ:    sends [request id,] empty delimiter, body; then takes one reply, from that peer only.
 *  REP:    strips the envelope (everything up to the empty delimiter), hands over the body, and
 *          sends the envelope back in front of the reply. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "options.h"
#include "socket.h"

enum { OPT_ROUTER_MANDATORY = 33, OPT_PROBE_ROUTER = 51, OPT_REQ_CORRELATE = 52,
       OPT_REQ_RELAXED = 53, OPT_ROUTER_HANDOVER = 56, OPT_CONNECT_ROUTING_ID = 61, OPT_ROUTER_RAW = 41,
       OPT_STREAM_NOTIFY = 73 };

static int int_arg(const void *value, size_t len, int *out)
{
    if (len != sizeof(int64_t))
        return -EINVAL;
    int64_t v;
    memcpy(&v, value, sizeof v);
    if (v < 0 || v > 0x7fffffff)
        return -EINVAL;
    *out = v != 0; /* as libzmq: any non-negative int, nonzero is on */
    return 0;
}

/* ---- DEALER ------------------------------------------------------------------------------ */

static int dealer_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    if (option == OPT_PROBE_ROUTER)
        return int_arg(value, len, &s->rr.probe_router);
    return -ENOTSUP;
}

const zf_sock_ops zf_dealer_ops = {
    .reads = 1, .writes = 1,
    .send = zf_lb_send,
    .recv = zf_fq_recv,
    .has_in = zf_fq_has_in,
    .has_out = zf_lb_has_out,
    .setopt = dealer_setopt,
};

/* ---- ROUTER ------------------------------------------------------------------------------ */

/* Give pipe p its routing id: the one set with CONNECT_ROUTING_ID, the peer's Identity, or a
 * generated one, and enter it in the table. An id in use refuses p (detached), or with
 * ROUTER_HANDOVER takes the id from the pipe that had it (detached), as libzmq's router. */
static void identify(zf_sock *s, zf_pipe *p, const uint8_t *peer_id, size_t peer_len)
{
    int end = zf_sock_end(s, p);
    zf_pipe_end *e = &p->end[end];
    if (e->identified)
        return;
    if (!e->route_id_len) { /* not assigned at connect */
        if (peer_len) {
            memcpy(e->route_id, peer_id, peer_len);
            e->route_id_len = (uint8_t)peer_len;
        } else {
            zf_routing_auto_id(s, e);
        }
    }
    zf_pipe *old = zf_routing_find(&s->rr.routes, e->route_id, e->route_id_len);
    if (old) {
        if (!s->rr.router_handover) {
            zf_sock_detach(s, p);
            return;
        }
        zf_sock_detach(s, old); /* router_detach takes its entry out */
    }
    if (zf_routing_insert(&s->rr.routes, p, end) < 0) { /* -ENOMEM: a peer we cannot address */
        zf_sock_detach(s, p);
        return;
    }
    zf_routing_unpend(&s->rr.routes, p);
    e->identified = 1;
}

/* An inproc pipe knows its peer's id from the join; a session's says it in a PEER record, so
 * reaching data without one means the peer sent none. */
static void identify_plain(zf_sock *s, zf_pipe *p)
{
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    if (e->via_session)
        identify(s, p, NULL, 0);
    else
        identify(s, p, e->peer_id, e->peer_id_len);
}

/* Attached: wait for the id. Not identified now even for inproc, whose peer id is known: the
 * connect that attached p sets CONNECT_ROUTING_ID on it after this returns (socket.c). The
 * next send or receive identifies it. */
static void router_attached(zf_sock *s, zf_pipe *p)
{
    if (zf_routing_pend(&s->rr.routes, p) < 0)
        zf_sock_detach(s, p);
}

static void router_detach(zf_sock *s, zf_pipe *p)
{
    int end = zf_sock_end(s, p);
    zf_pipe_end *e = &p->end[end];
    if (e->identified) {
        zf_routing_remove(&s->rr.routes, p, end);
        e->identified = 0; /* a pipe refused or handed over keeps no claim on its id */
    } else {
        zf_routing_unpend(&s->rr.routes, p);
    }
}

static void router_on_cmd(zf_sock *s, zf_pipe *p, zf_rec *r)
{
    const uint8_t *id = NULL;
    size_t len = 0;
    if (r->aux != ZF_AUX_PEER)
        return;
    if (r->external && zf_meta_get(zf_rec_ext_of(r)->buf, "Identity", &id, &len) < 0)
        len = 0;
    identify(s, p, id, len > 255 ? 255 : len);
}

/* Identify the pipes waiting for an id whose handshake record has come (or inproc ones), so
 * that a send reaches a peer that has not sent anything yet. Costs nothing once every pipe
 * has its id: only the waiting ones are looked at. */
static void identify_pending(zf_sock *s)
{
    zf_routing *t = &s->rr.routes;
    /* from the end: identify() removes p by moving the last one into its place */
    for (int i = t->npending - 1; i >= 0; i--) {
        if (i >= t->npending)
            continue;
        zf_pipe *p = t->pending[i];
        int end = zf_sock_end(s, p);
        if (!p->end[end].via_session) {
            identify_plain(s, p);
            continue;
        }
        zf_queue *q = zf_pipe_inq(p, end);
        zf_rec *r = zf_queue_peek(q);
        if (r && (r->flags & ZF_REC_CMD)) {
            zf_route_take_meta(s, p, r);
            zf_pipe_ref(p); /* identify may detach p (a refused duplicate id) */
            router_on_cmd(s, p, r);
            zf_queue_drop(q, r);
            zf_pipe_msg_read(p, end);
            zf_pipe_unref(p);
        }
    }
}

static int router_recv(zf_sock *s, zf_frame *f)
{
    if (s->rx_more)
        return zf_fq_recv(s, f);
    zf_pipe *p = zf_fq_peek(s);
    if (!p)
        return -EAGAIN;
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    if (!e->identified)
        identify_plain(s, p);
    if (!e->identified) /* refused (duplicate) and detached */
        return router_recv(s, f);
    f->data = e->route_id;
    f->size = e->route_id_len;
    f->buf = NULL;
    f->more = 1;
    s->rx_more = 1;
    s->rx_pipe = p;
    return 0;
}

static int router_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    if (s->tx_more)
        return zf_route_put(s, data, len, buf, flags);
    /* The first frame names the peer. buf, if any, holds the id's bytes: let go of it once they
     * have been looked up, and only when the send succeeds (a failed one leaves it to the
     * caller, zf_sock_ops.send). */
    if (!(flags & ZF_SNDMORE)) {
        if (buf)
            zf_buf_unref(buf);
        return 0; /* a lone routing id: nothing to send */
    }
    if (s->rr.routes.npending)
        identify_pending(s);
    zf_pipe *p = len && len <= 255 ? zf_routing_find(&s->rr.routes, data, len) : NULL;
    s->rr.blocked_pipe = NULL;
    if (p && (p->end[zf_sock_end(s, p)].peer_gone))
        p = NULL;
    if (!p) {
        if (s->rr.router_mandatory)
            return -EHOSTUNREACH;
    } else if (!zf_pipe_writable(p, zf_sock_end(s, p))) {
        if (s->rr.router_mandatory) {
            s->rr.blocked_pipe = p;
            return -EAGAIN;
        }
        p = NULL; /* at HWM: the message is dropped, as libzmq does */
    }
    if (buf)
        zf_buf_unref(buf);
    s->tx_pipe = p;
    s->tx_more = 1;
    return 0;
}

static int router_has_out(zf_sock *s, int arm)
{
    zf_pipe *p = s->rr.blocked_pipe;
    if (p && !s->tx_more) {
        int e = zf_sock_end(s, p);
        return arm ? zf_pipe_check_write(p, e) : zf_pipe_writable(p, e);
    }
    return 1; /* a ROUTER can always take a message (it may drop it) */
}

static int router_set_raw(zf_sock *s, int on);

static int router_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    switch (option) {
    case OPT_ROUTER_MANDATORY: return int_arg(value, len, &s->rr.router_mandatory);
    case OPT_ROUTER_HANDOVER: return int_arg(value, len, &s->rr.router_handover);
    case OPT_PROBE_ROUTER: return int_arg(value, len, &s->rr.probe_router);
    case OPT_ROUTER_RAW: { /* any positive value turns it on, as libzmq's */
        int64_t v;
        if (len != sizeof v)
            return -EINVAL;
        memcpy(&v, value, sizeof v);
        if (v < 0)
            return -EINVAL;
        memcpy(&v, value, sizeof v);
        return router_set_raw(s, v != 0);
    }
    case OPT_CONNECT_ROUTING_ID:
        if (len < 1 || len > 255)
            return -EINVAL;
        memcpy(s->rr.connect_rid, value, len);
        s->rr.connect_rid_len = (uint8_t)len;
        return 0;
    default: return -ENOTSUP;
    }
}

/* The ROUTER options are write-only in libzmq: reading one is EINVAL. */
static int router_getopt(zf_sock *s, int option, void *value, size_t *len)
{
    (void)s;
    (void)value;
    (void)len;
    switch (option) {
    case OPT_ROUTER_MANDATORY: case OPT_ROUTER_HANDOVER: case OPT_PROBE_ROUTER: case OPT_ROUTER_RAW:
        return -EINVAL;
    default:
        return -ENOTSUP;
    }
}

const zf_sock_ops zf_router_ops = {
    .reads = 1, .writes = 1,
    .attached = router_attached,
    .detach = router_detach,
    .send = router_send,
    .recv = router_recv,
    .has_in = zf_fq_has_in,
    .has_out = router_has_out,
    .on_cmd = router_on_cmd,
    .setopt = router_setopt,
    .getopt = router_getopt,
};

/* ---- ROUTER_RAW: a ROUTER of raw connections (the raw routing of sock_raw.c) --------------- */

static int router_raw_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    return zf_raw_send(s, data, len, buf, flags, s->rr.router_mandatory);
}

static int router_raw_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    if (option == OPT_STREAM_NOTIFY)
        return -EINVAL; /* a ROUTER's, even raw, as libzmq */
    return router_setopt(s, option, value, len);
}

static const zf_sock_ops router_raw_ops = {
    .reads = 1, .writes = 1,
    .attached = zf_raw_attached,
    .detach = zf_raw_detach,
    .send = router_raw_send,
    .recv = zf_raw_recv,
    .has_in = zf_fq_has_in,
    .has_out = zf_raw_has_out,
    .setopt = router_raw_setopt,
    .getopt = router_getopt,
};

/* Before any bind or connect only: connections made so far speak ZMTP. */
static int router_set_raw(zf_sock *s, int on)
{
    if (s->endpoints || s->npipes)
        return -EINVAL;
    s->opts.raw = on;
    s->ops = on ? &router_raw_ops : &zf_router_ops;
    return 0;
}

/* ---- REQ --------------------------------------------------------------------------------- */

static int req_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    if (!s->tx_more) {
        if (s->rr.waiting && !s->rr.req_relaxed)
            return -ZF_EFSM;
        zf_pipe *p = zf_lb_choose(s);
        if (!p)
            return -EAGAIN;
        s->tx_pipe = p;
        s->rr.req_id++;
        if (s->rr.req_correlate)
            zf_route_put(s, &s->rr.req_id, sizeof s->rr.req_id, NULL, ZF_SNDMORE);
        zf_route_put(s, NULL, 0, NULL, ZF_SNDMORE); /* the empty delimiter */
        s->rr.reply_pipe = p;
        s->rr.waiting = 0;
        if (s->rx_more) { /* a reply to an abandoned request was half read: drop the rest */
            zf_route_skip_message(s, s->rx_pipe);
        }
    }
    int rc = zf_route_put(s, data, len, buf, flags);
    if (rc == 0 && !(flags & ZF_SNDMORE))
        s->rr.waiting = 1;
    return rc;
}

static int req_recv(zf_sock *s, zf_frame *f)
{
    if (!s->rr.waiting)
        return -ZF_EFSM;
    if (s->rx_more) {
        int rc = zf_route_recv_frame(s, s->rx_pipe, f);
        if (rc == 0 && !f->more)
            s->rr.waiting = 0;
        return rc;
    }
    for (;;) {
        zf_pipe *p = zf_fq_peek(s);
        if (!p)
            return -EAGAIN;
        if (p != s->rr.reply_pipe) {
            zf_route_skip_message(s, p); /* not from the peer we asked */
            continue;
        }
        zf_frame h;
        if (s->rr.req_correlate) {
            zf_route_recv_frame(s, p, &h);
            int ok = h.more && h.size == sizeof s->rr.req_id && memcmp(h.data, &s->rr.req_id, sizeof s->rr.req_id) == 0;
            if (h.buf)
                zf_buf_unref(h.buf);
            if (!ok) {
                if (h.more)
                    zf_route_skip_message(s, p);
                continue;
            }
        }
        zf_route_recv_frame(s, p, &h);
        if (h.buf)
            zf_buf_unref(h.buf);
        if (!h.more || h.size != 0) { /* not a reply envelope: drop it */
            if (h.more)
                zf_route_skip_message(s, p);
            continue;
        }
        int rc = zf_route_recv_frame(s, p, f);
        if (rc == 0 && !f->more)
            s->rr.waiting = 0;
        return rc;
    }
}

static int req_has_in(zf_sock *s) { return s->rr.waiting && zf_fq_has_in(s); }
static int req_has_out(zf_sock *s, int arm)
{
    return (!s->rr.waiting || s->rr.req_relaxed || s->tx_more) && zf_lb_has_out(s, arm);
}

static int req_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    if (option == OPT_REQ_RELAXED)
        return int_arg(value, len, &s->rr.req_relaxed);
    if (option == OPT_REQ_CORRELATE)
        return int_arg(value, len, &s->rr.req_correlate);
    if (option == OPT_PROBE_ROUTER) /* a REQ is a DEALER underneath in libzmq */
        return int_arg(value, len, &s->rr.probe_router);
    return -ENOTSUP;
}

const zf_sock_ops zf_req_ops = {
    .reads = 1, .writes = 1,
    .send = req_send,
    .recv = req_recv,
    .has_in = req_has_in,
    .has_out = req_has_out,
    .setopt = req_setopt,
};

/* ---- REP --------------------------------------------------------------------------------- */

static int env_add(zf_sock *s, const zf_frame *f)
{
    size_t need = s->rr.env_len + 4 + f->size;
    if (need > s->rr.env_cap) {
        size_t cap = need * 2 < 256 ? 256 : need * 2;
        uint8_t *n = realloc(s->rr.env, cap);
        if (!n)
            return -1;
        s->rr.env = n;
        s->rr.env_cap = cap;
    }
    uint32_t n = (uint32_t)f->size;
    memcpy(s->rr.env + s->rr.env_len, &n, 4);
    memcpy(s->rr.env + s->rr.env_len + 4, f->data, f->size);
    s->rr.env_len = need;
    return 0;
}

static int rep_recv(zf_sock *s, zf_frame *f)
{
    if (s->rr.waiting)
        return -ZF_EFSM;
    if (!s->rx_more) {
        for (;;) {
            zf_pipe *p = zf_fq_peek(s);
            if (!p)
                return -EAGAIN;
            s->rr.env_len = 0;
            zf_frame h;
            int found = 0, more = 1;
            while (more) {
                zf_route_recv_frame(s, p, &h);
                more = h.more;
                int delim = h.size == 0;
                int bad = env_add(s, &h) < 0;
                if (h.buf)
                    zf_buf_unref(h.buf);
                if (bad) {
                    if (more)
                        zf_route_skip_message(s, p);
                    break;
                }
                if (delim) {
                    found = more; /* a delimiter with nothing after it is no request */
                    break;
                }
            }
            if (!found)
                continue; /* no envelope: not a request we can answer */
            s->rr.reply_pipe = p;
            break;
        }
    }
    int rc = zf_route_recv_frame(s, s->rx_pipe, f);
    if (rc == 0 && !f->more)
        s->rr.waiting = 1;
    return rc;
}

static int rep_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    if (!s->rr.waiting)
        return -ZF_EFSM;
    if (!s->tx_more) {
        zf_pipe *p = s->rr.reply_pipe;
        if (p && (p->end[zf_sock_end(s, p)].peer_gone || !zf_pipe_writable(p, zf_sock_end(s, p))))
            p = NULL; /* the requester is gone or stuck: the reply is dropped, as libzmq does */
        s->tx_pipe = p;
        for (size_t off = 0; p && off < s->rr.env_len;) {
            uint32_t n;
            memcpy(&n, s->rr.env + off, 4);
            zf_route_put(s, s->rr.env + off + 4, n, NULL, ZF_SNDMORE);
            off += 4 + n;
        }
        s->tx_more = 1;
    }
    int rc = zf_route_put(s, data, len, buf, flags);
    if (rc == 0 && !(flags & ZF_SNDMORE)) {
        s->rr.waiting = 0;
        s->rr.reply_pipe = NULL;
    }
    return rc;
}

static int rep_has_in(zf_sock *s) { return !s->rr.waiting && zf_fq_has_in(s); }
static int rep_has_out(zf_sock *s, int arm)
{
    (void)arm;
    return s->rr.waiting;
}

/* A REP is a ROUTER underneath in libzmq and takes the ROUTER's options; the flags are kept
 * (PROBE_ROUTER acts, in zf_sock_attach) though REP's reply routing does not consult them. */
static int rep_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    switch (option) {
    case OPT_ROUTER_MANDATORY: return int_arg(value, len, &s->rr.router_mandatory);
    case OPT_ROUTER_HANDOVER: return int_arg(value, len, &s->rr.router_handover);
    case OPT_PROBE_ROUTER: return int_arg(value, len, &s->rr.probe_router);
    default: return -ENOTSUP;
    }
}

const zf_sock_ops zf_rep_ops = {
    .reads = 1, .writes = 1,
    .send = rep_send,
    .recv = rep_recv,
    .has_in = rep_has_in,
    .has_out = rep_has_out,
    .setopt = rep_setopt,
};
