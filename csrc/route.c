/* route.c: the routing strategies shared by the patterns.
 *  lb (load-balance): each message goes to the next pipe with HWM room, round robin; a multipart
 *     message sticks to one pipe. No pipe with room: -EAGAIN (a blocking send waits).
 *  fq (fair-queue): messages are taken round robin from pipes that have one; a multipart message
 *     is read whole from one pipe. A pipe's delimiter detaches it; command records go to the
 *     pattern's on_cmd.
 * The primitives below (choose a pipe / write to the chosen pipe, peek the next pipe / read a
 * frame from a given pipe) let patterns with envelopes (REQ, REP, ROUTER) reuse them. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
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

/* ---- the fair queue's partition (socket.h, zf_fq) ------------------------------------------ */

/* Above this many pipes an empty one is idled (moved past `active`, its writer to hand it back)
 * instead of being looked at on every call. Below it a scan costs a few loads per pipe, less than
 * the hand-off's two CAS and a fence per idle period, and keeps the one-pipe case (PULL, PAIR,
 * REQ) exactly as fast as before. */
#define ZF_FQ_SCAN_MAX 16

static inline void fq_put(zf_fq *q, int i, zf_pipe *p, int e)
{
    q->pipes[i] = p;
    p->end[e].fq_slot = i;
}

static void fq_swap(zf_sock *s, int i, int j)
{
    zf_fq *q = &s->fq;
    zf_pipe *a = q->pipes[i], *b = q->pipes[j];
    fq_put(q, i, b, zf_sock_end(s, b));
    fq_put(q, j, a, zf_sock_end(s, a));
}

/* Pipe at slot i (< active) leaves the active region. */
static void fq_deactivate(zf_sock *s, int i)
{
    fq_swap(s, i, --s->fq.active);
}

/* Pipe p (attached) becomes ACTIVE and joins the active region if it was past it. */
static void fq_activate(zf_sock *s, zf_pipe *p, int e)
{
    atomic_store_explicit(&p->end[e].rx_state, ZF_RX_ACTIVE, memory_order_relaxed);
    int i = p->end[e].fq_slot;
    if (i >= s->fq.active)
        fq_swap(s, i, s->fq.active++);
}

/* Take back every pipe whose writer handed it back. */
static void fq_take_wakes_slow(zf_sock *s)
{
    zf_pipe *p = atomic_exchange_explicit(&s->fq.wakes, NULL, memory_order_acquire);
    while (p) {
        int e = zf_sock_end(s, p);
        zf_pipe *next = p->end[e].rx_next;
        fq_activate(s, p, e);
        p = next;
    }
}

/* Inline: on every receive, one relaxed load when no pipe came back. */
static inline void fq_take_wakes(zf_sock *s)
{
    if (atomic_load_explicit(&s->fq.wakes, memory_order_relaxed))
        fq_take_wakes_slow(s);
}

int zf_fq_add(zf_sock *s, zf_pipe *p)
{
    zf_fq *q = &s->fq;
    int e = zf_sock_end(s, p);
    if (q->n == q->cap) {
        int cap = q->cap ? q->cap * 2 : 4;
        zf_pipe **np = realloc(q->pipes, (size_t)cap * sizeof *np);
        if (!np)
            return -ENOMEM;
        q->pipes = np;
        q->cap = cap;
    }
    p->end[e].rx_wakes = &q->wakes; /* before any IDLE state a writer could act on */
    atomic_store_explicit(&p->end[e].rx_state, ZF_RX_ACTIVE, memory_order_relaxed);
    fq_put(q, q->n++, p, e);
    fq_swap(s, p->end[e].fq_slot, q->active++); /* a new pipe may already hold its first message */
    return 0;
}

void zf_fq_remove(zf_sock *s, zf_pipe *p)
{
    zf_fq *q = &s->fq;
    int e = zf_sock_end(s, p);
    zf_pipe_end *pe = &p->end[e];
    if (pe->fq_slot < 0)
        return;
    /* GONE first, so no writer pushes p after it left. If a writer has already claimed it
     * (QUEUED), p is in the wakes stack or about to be: take the stack until it has come out, or
     * the stack would keep a pipe this socket no longer holds. The pusher is between two
     * instructions, so this waits only if that thread was preempted there. */
    for (int spins = 0;; spins++) {
        int st = atomic_load(&pe->rx_state);
        if (st == ZF_RX_QUEUED) {
            fq_take_wakes(s);
            if (atomic_load(&pe->rx_state) == ZF_RX_QUEUED) {
                if (spins < 200)
                    zf_cpu_relax();
                else
                    sched_yield();
            }
            continue;
        }
        if (atomic_compare_exchange_strong(&pe->rx_state, &st, ZF_RX_GONE))
            break;
    }
    int i = pe->fq_slot;
    if (i < q->active) {
        fq_deactivate(s, i);
        i = q->active;
    }
    fq_swap(s, i, --q->n);
    pe->fq_slot = -1;
    /* Pipes idled while the socket was larger stay idle if it shrinks below ZF_FQ_SCAN_MAX:
     * their writers hand them back all the same. */
}

void zf_fq_free(zf_sock *s)
{
    free(s->fq.pipes);
    s->fq.pipes = NULL;
    s->fq.n = s->fq.active = s->fq.cap = 0;
}

/* The pipe at active slot i was found empty: idle it, unless data arrived meanwhile. 1: it left
 * the active region. */
static int fq_idle(zf_sock *s, zf_pipe *p, int e, int i)
{
    zf_pipe_end *pe = &p->end[e];
    if (atomic_load_explicit(&pe->rx_state, memory_order_relaxed) == ZF_RX_ACTIVE) {
        atomic_store_explicit(&pe->rx_state, ZF_RX_IDLE, memory_order_relaxed);
        zf_fence(); /* pairs with zf_pipe_wake_peer's: we see its commit, or it sees IDLE */
        if (zf_queue_peek(zf_pipe_inq(p, e))) {
            int idle = ZF_RX_IDLE;
            /* lost to the writer: p is QUEUED and will be popped; it stays active till then */
            atomic_compare_exchange_strong(&pe->rx_state, &idle, ZF_RX_ACTIVE);
            return 0;
        }
    } else if (zf_queue_peek(zf_pipe_inq(p, e))) {
        return 0; /* QUEUED, and its data is visible: read it now */
    }
    fq_deactivate(s, i);
    return 1;
}

/* The next pipe whose head is application data, starting at the cursor; control records on the
 * way are consumed (a pipe's delimiter detaches it). Leaves the cursor on the pipe found. */
static zf_pipe *fq_find(zf_sock *s)
{
    zf_fq *q = &s->fq;
    int looked = 0;
    for (;;) {
        fq_take_wakes(s);
        if (!q->active)
            return NULL;
        int i = q->next < q->active ? q->next : 0;
        zf_pipe *p = q->pipes[i];
        int e = zf_sock_end(s, p);
        zf_rec *r = zf_queue_peek(zf_pipe_inq(p, e));
        if (!r) {
            if (q->n > ZF_FQ_SCAN_MAX) {
                /* p is idled, and the pipe swapped into slot i gets the turn; or p had data
                 * after all and is read on the next pass */
                fq_idle(s, p, e, i);
                q->next = i;
                continue;
            }
            if (++looked >= q->active)
                return NULL;
            q->next = i + 1;
            continue;
        }
        q->next = i;
        if (zf_unlikely(r->flags & (ZF_REC_DELIM | ZF_REC_CMD))) {
            consume_control(s, p, e, r);
            looked = 0;
            continue;
        }
        if (zf_unlikely(s->opts.conflate || atomic_load_explicit(&p->end[1 - e].conflate, memory_order_relaxed)) &&
            conflate(s, p, e)) {
            looked = 0;
            continue; /* a control record surfaced: look again */
        }
        return p;
    }
}

zf_pipe *zf_fq_peek(zf_sock *s)
{
    zf_pipe *p = fq_find(s);
    if (p)
        s->fq.next = s->fq.next + 1; /* its turn is taken; wraps when next used */
    return p;
}

zf_pipe *zf_fq_look(zf_sock *s) { return fq_find(s); }

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
    return s->rx_more || zf_fq_look(s) != NULL;
}
