/* route.c: the routing strategies shared by the patterns.
 *  lb (load-balance): each message goes to the next pipe with HWM room, round robin; a multipart
 *     message sticks to one pipe. No pipe with room: -EAGAIN (a blocking send waits).
 *  fq (fair-queue): messages are taken round robin from pipes that have one; a multipart message
 *     is read whole from one pipe. A pipe's delimiter detaches it; command records go to the
 *     pattern's on_cmd.
 * The primitives below (choose a pipe / write to the chosen pipe, peek the next pipe / read a
 * frame from a given pipe) let patterns with envelopes (REQ, REP, ROUTER) reuse them. */
#include <errno.h>
#include <string.h>

#include "socket.h"

zf_pipe *zf_lb_choose(zf_sock *s)
{
    int n = s->npipes, idx = s->lb_next;
    for (int i = 0; i < n; i++, idx++) {
        if (idx >= n)
            idx = 0;
        zf_pipe *p = s->pipes[idx];
        int e = zf_sock_end(s, p);
        /* An inproc peer that disconnected (closed its end) takes no more messages, though a
         * writer that never reads does not see its delimiter. A session's pipe is left to the
         * session's TERM, as before: its timing is libzmq's (a send racing a peer's hang-up
         * goes into the old pipe rather than blocking). One owner-private test, and one
         * relaxed load for inproc pipes. */
        if (!p->end[e].peer_gone &&
            (p->end[e].via_session ||
             !atomic_load_explicit(&p->end[1 - e].closed, memory_order_relaxed)) &&
            zf_pipe_writable(p, e)) {
            s->lb_next = idx + 1 >= n ? 0 : idx + 1;
            return p;
        }
    }
    return NULL;
}

int zf_route_put(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    int more = flags & ZF_SNDMORE;
    zf_pipe *p = s->tx_pipe;
    if (zf_unlikely(!p)) { /* no destination (gone, or unroutable): drop the rest */
        if (buf)
            zf_buf_unref(buf);
        s->tx_more = more;
        return 0;
    }
    int e = zf_sock_end(s, p);
    if (zf_pipe_put(p, e, data, len, buf, more) < 0)
        return -ENOMEM;
    if (more) {
        s->tx_more = 1;
    } else {
        s->tx_more = 0;
        zf_pipe_commit(p, e);
        zf_pipe_wake_peer(p, e);
    }
    return 0;
}

int zf_lb_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    if (!s->tx_more) {
        zf_pipe *p = zf_lb_choose(s);
        if (!p)
            return -EAGAIN;
        s->tx_pipe = p;
    }
    return zf_route_put(s, data, len, buf, flags);
}

int zf_lb_has_out(zf_sock *s, int arm)
{
    if (s->tx_more)
        return 1;
    for (int i = 0; i < s->npipes; i++) {
        zf_pipe *p = s->pipes[i];
        int e = zf_sock_end(s, p);
        if (p->end[e].peer_gone)
            continue;
        if (arm ? zf_pipe_check_write(p, e) : zf_pipe_writable(p, e))
            return 1;
    }
    return 0;
}

/* A PEER record: remember the connection's metadata for the frames that follow. */
void zf_route_take_meta(zf_sock *s, zf_pipe *p, zf_rec *r)
{
    if (r->aux != ZF_AUX_PEER || !r->external)
        return;
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    zf_buf *m = zf_rec_ext_of(r)->buf;
    zf_buf_ref(m);
    if (e->meta)
        zf_buf_unref(e->meta);
    e->meta = m;
}

/* Consume a record at the head of p that is not application data. Returns 1 if p was
 * detached (its delimiter), 0 otherwise. */
static int consume_control(zf_sock *s, zf_pipe *p, int e, zf_rec *r)
{
    zf_queue *q = zf_pipe_inq(p, e);
    if (r->flags & ZF_REC_DELIM) {
        zf_queue_pop(q, r);
        p->end[e].peer_gone = 1;
        zf_sock_detach(s, p);
        return 1;
    }
    zf_route_take_meta(s, p, r);
    zf_pipe_ref(p); /* on_cmd may detach p (a ROUTER refusing a duplicate id) */
    if (s->ops->on_cmd)
        s->ops->on_cmd(s, p, r);
    zf_queue_drop(q, r);
    zf_pipe_msg_read(p, e);
    zf_pipe_unref(p);
    return 0;
}

/* CONFLATE: drop every message at the head of p that a newer one follows (CONFLATE messages
 * are single frames, as in libzmq). Returns 1 if a control record surfaced (look again). */
static int conflate(zf_sock *s, zf_pipe *p, int e)
{
    zf_queue *q = zf_pipe_inq(p, e);
    for (;;) {
        zf_rec *r = zf_queue_peek(q);
        if (!r || (r->flags & (ZF_REC_DELIM | ZF_REC_CMD)))
            return r != NULL;
        zf_rec *next = r;
        while (next && (next->flags & ZF_REC_MORE))
            next = zf_queue_peek_after(q, next); /* to the last frame of this message */
        if (next)
            next = zf_queue_peek_after(q, next);
        if (!next || !(next->flags == 0 || next->flags == ZF_REC_MORE))
            return 0; /* the head is the newest message */
        zf_route_skip_message(s, p);
    }
}

zf_pipe *zf_fq_peek(zf_sock *s)
{
    for (;;) {
        int n = s->npipes, idx = s->fq_next, changed = 0;
        for (int i = 0; i < n; i++, idx++) {
            if (idx >= n)
                idx = 0;
            zf_pipe *p = s->pipes[idx];
            int e = zf_sock_end(s, p);
            zf_rec *r = zf_queue_peek(zf_pipe_inq(p, e));
            if (!r)
                continue;
            if (zf_unlikely(r->flags & (ZF_REC_DELIM | ZF_REC_CMD))) {
                consume_control(s, p, e, r);
                changed = 1;
                break;
            }
            if (zf_unlikely(s->opts.conflate || atomic_load_explicit(&p->end[1 - e].conflate, memory_order_relaxed)) &&
                conflate(s, p, e))
                return zf_fq_peek(s); /* the pipe changed under us: look again */
            s->fq_next = idx + 1 >= n ? 0 : idx + 1;
            return p;
        }
        if (!changed)
            return NULL;
    }
}

int zf_route_recv_frame(zf_sock *s, zf_pipe *p, zf_frame *f)
{
    int e = zf_sock_end(s, p);
    zf_queue *q = zf_pipe_inq(p, e);
    zf_rec *r = zf_queue_peek(q);
    if (zf_unlikely(!r || (r->flags & (ZF_REC_DELIM | ZF_REC_CMD)))) {
        s->rx_more = 0; /* cannot happen mid-message: messages are committed whole */
        return -EAGAIN;
    }
    f->data = zf_rec_data(r);
    f->size = (size_t)r->size;
    f->buf = r->external ? zf_rec_ext_of(r)->buf : NULL; /* the record's reference moves to f */
    f->more = r->flags & ZF_REC_MORE;
    zf_queue_pop(q, r);
    s->last_pipe = p;
    if (f->more) {
        s->rx_more = 1;
        s->rx_pipe = p;
    } else {
        s->rx_more = 0;
        zf_pipe_msg_read(p, e);
    }
    return 0;
}

int zf_fq_recv(zf_sock *s, zf_frame *f)
{
    zf_pipe *p = s->rx_more ? s->rx_pipe : zf_fq_peek(s);
    if (!p)
        return -EAGAIN;
    return zf_route_recv_frame(s, p, f);
}

void zf_route_skip_message(zf_sock *s, zf_pipe *p)
{
    zf_frame f;
    do {
        if (zf_route_recv_frame(s, p, &f) < 0)
            return;
        if (f.buf)
            zf_buf_unref(f.buf);
    } while (f.more);
}

int zf_fq_has_in(zf_sock *s)
{
    if (s->rx_more)
        return 1;
    int keep = s->fq_next;
    zf_pipe *p = zf_fq_peek(s);
    s->fq_next = keep < s->npipes ? keep : 0; /* looking is not taking a turn */
    return p != NULL;
}
