/* pipe.c: pipe creation, credit checks, closing and destruction. */
#include "pipe.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

zf_pipe *zf_pipe_new(uint64_t hwm0, uint64_t hwm1)
{
    zf_pipe *p = zf_aligned_alloc(ZF_CACHELINE, (sizeof(zf_pipe) + ZF_CACHELINE - 1) & ~(size_t)(ZF_CACHELINE - 1));
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    if (zf_queue_init(&p->q[0]) < 0) {
        zf_aligned_free(p);
        return NULL;
    }
    if (zf_queue_init(&p->q[1]) < 0) {
        zf_queue_destroy(&p->q[0]);
        zf_aligned_free(p);
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->end[0].hwm = hwm0;
    p->end[1].hwm = hwm1;
    for (int i = 0; i < 2; i++) {
        p->end[i].slot = -1;
        p->end[i].fq_slot = -1;
        p->end[i].peer_type = -1;
        p->end[i].waker.parked = &p->end[i].own_parked;
    }
    return p;
}

void zf_pipe_unref(zf_pipe *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    zf_queue_destroy(&p->q[0]);
    zf_queue_destroy(&p->q[1]);
    for (int i = 0; i < 2; i++) {
        free(p->end[i].peer_props);
        if (p->end[i].meta)
            zf_buf_unref(p->end[i].meta);
        if (p->end[i].release)
            p->end[i].release(p->end[i].owner);
    }
    zf_aligned_free(p);
}

int zf_pipe_check_write(zf_pipe *p, int e)
{
    if (zf_pipe_writable(p, e))
        return 1;
    /* Not writable: msgs_out - nread >= hwm > 0. Wake when at most hwm - room are in flight. A
     * reader that sees want_credit with an older credit_at wakes us early: harmless, we look
     * again. */
    uint64_t hwm = p->end[e].hwm;
    uint64_t room = hwm > 2048 ? 1024 : hwm / 2;
    atomic_store_explicit(&p->end[e].credit_at, p->end[e].msgs_out - (hwm - room), memory_order_relaxed);
    atomic_store_explicit(&p->end[e].want_credit, 1, memory_order_relaxed);
    zf_fence();
    return zf_pipe_writable(p, e);
}

int zf_pipe_rx_requeue(zf_pipe *p, int end)
{
    zf_pipe_end *r = &p->end[end];
    int idle = ZF_RX_IDLE;
    /* A CAS: the reader may be detaching the pipe (-> GONE) at the same moment. */
    if (!atomic_compare_exchange_strong(&r->rx_state, &idle, ZF_RX_QUEUED))
        return 0;
    /* A Treiber push; the reader only ever takes the whole stack (an exchange), so no ABA. */
    zf_pipe *head = atomic_load_explicit(r->rx_wakes, memory_order_relaxed);
    do
        r->rx_next = head;
    while (!atomic_compare_exchange_weak(r->rx_wakes, &head, p));
    return 1;
}

void zf_pipe_close_end(zf_pipe *p, int e)
{
    if (atomic_exchange(&p->end[e].closed, 1))
        return;
    zf_queue *q = &p->q[e];
    zf_queue_rollback(q); /* a half-written multipart message is never delivered */
    zf_queue_put(q, NULL, 0, ZF_REC_DELIM);
    zf_queue_commit(q);
    zf_fence();
    /* The peer must notice even if it is not parked on this pipe right now. */
    zf_pipe_end *peer = &p->end[1 - e];
    if (atomic_load_explicit(&peer->rx_state, memory_order_relaxed) == ZF_RX_IDLE)
        zf_pipe_rx_requeue(p, 1 - e); /* the reader must come and find the delimiter */
    atomic_store_explicit(peer->waker.parked, 0, memory_order_relaxed);
    if (peer->waker.wake)
        peer->waker.wake(peer->waker.arg, p, 1 - e);
}

void zf_pipe_tx_lock(zf_pipe *p)
{
    for (int spins = 0; !zf_pipe_tx_trylock(p); spins++) {
        if (spins < 200)
            zf_cpu_relax();
        else
            sched_yield(); /* the holder was preempted mid-write: let it run */
    }
}
