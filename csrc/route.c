/* route.c: the two routing strategies the first patterns need.
 *  lb (load-balance): each message goes to the next pipe with HWM room, round robin; a multipart
 *     message sticks to one pipe. No pipe with room: -EAGAIN (a blocking send waits).
 *  fq (fair-queue): messages are taken round robin from pipes that have one; a multipart message
 *     is read whole from one pipe. A pipe's delimiter detaches it. */
#include <errno.h>
#include <string.h>

#include "socket.h"

int zf_pipe_put(zf_pipe *p, int e, const void *data, size_t len, zf_buf *buf, int more)
{
    zf_queue *q = &p->q[e];
    int fl = more ? ZF_REC_MORE : 0;
    if (buf)
        return zf_queue_put_ext(q, buf, (uint8_t *)data, len, fl);
    if (len <= ZF_INLINE_MAX)
        return zf_queue_put(q, data, len, fl);
    zf_buf *b = zf_buf_new(len);
    if (!b)
        return -1;
    memcpy(b->data, data, len);
    if (zf_queue_put_ext(q, b, b->data, len, fl) < 0) {
        zf_buf_unref(b);
        return -1;
    }
    return 0;
}

int zf_lb_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    int more = flags & ZF_SNDMORE;
    if (!s->tx_more) {
        zf_pipe *chosen = NULL;
        int n = s->npipes, idx = s->lb_next;
        for (int i = 0; i < n; i++, idx++) {
            if (idx >= n)
                idx = 0;
            zf_pipe *p = s->pipes[idx];
            int e = zf_sock_end(s, p);
            if (!p->end[e].peer_gone && zf_pipe_writable(p, e)) {
                chosen = p;
                break;
            }
        }
        if (!chosen)
            return -EAGAIN;
        s->lb_next = idx + 1 >= n ? 0 : idx + 1;
        s->tx_pipe = chosen;
    }
    zf_pipe *p = s->tx_pipe;
    if (zf_unlikely(!p)) { /* the pipe went away mid-message: drop the rest */
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

/* The next pipe with a message, detaching pipes whose delimiter comes first. */
static zf_pipe *fq_next(zf_sock *s, zf_rec **rec)
{
    for (;;) {
        int n = s->npipes, idx = s->fq_next, detached = 0;
        for (int i = 0; i < n; i++, idx++) {
            if (idx >= n)
                idx = 0;
            zf_pipe *p = s->pipes[idx];
            int e = zf_sock_end(s, p);
            zf_rec *r = zf_queue_peek(zf_pipe_inq(p, e));
            if (!r)
                continue;
            if (zf_unlikely(r->flags & ZF_REC_DELIM)) {
                zf_queue_pop(zf_pipe_inq(p, e), r);
                p->end[e].peer_gone = 1;
                zf_sock_detach(s, p);
                detached = 1;
                break;
            }
            s->fq_next = idx + 1 >= n ? 0 : idx + 1;
            *rec = r;
            return p;
        }
        if (!detached)
            return NULL;
    }
}

int zf_fq_recv(zf_sock *s, zf_frame *f)
{
    zf_pipe *p;
    zf_rec *r;
    if (s->rx_more) {
        p = s->rx_pipe;
        r = p ? zf_queue_peek(zf_pipe_inq(p, zf_sock_end(s, p))) : NULL;
        if (zf_unlikely(!r || (r->flags & ZF_REC_DELIM))) {
            s->rx_more = 0; /* cannot happen: messages are committed whole */
            return -EAGAIN;
        }
    } else {
        p = fq_next(s, &r);
        if (!p)
            return -EAGAIN;
    }
    int e = zf_sock_end(s, p);
    f->data = zf_rec_data(r);
    f->size = (size_t)r->size;
    f->buf = r->external ? zf_rec_ext_of(r)->buf : NULL; /* the record's reference moves to f */
    f->more = r->flags & ZF_REC_MORE;
    zf_queue_pop(zf_pipe_inq(p, e), r);
    if (f->more) {
        s->rx_more = 1;
        s->rx_pipe = p;
    } else {
        s->rx_more = 0;
        zf_pipe_msg_read(p, e);
    }
    return 0;
}

int zf_fq_has_in(zf_sock *s)
{
    if (s->rx_more)
        return 1;
    zf_rec *r;
    int keep = s->fq_next;
    zf_pipe *p = fq_next(s, &r);
    s->fq_next = keep < s->npipes ? keep : 0; /* looking is not taking a turn */
    return p != NULL;
}
