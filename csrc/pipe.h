/* pipe.h: a bidirectional pipe joining two ends (socket<->session, or socket<->socket for inproc).
 *
 * End i writes queue q[i] and reads q[1-i]. HWM counts whole messages in flight per direction:
 * the writer counts what it committed, the reader publishes what it consumed (nread), and the
 * writer compares the two. When the writer is out of credit it sets want_credit and sleeps; the
 * reader wakes it once the messages in flight are down to a low-water mark (libzmq's rule: half
 * the HWM, or HWM - 1024 above 2048), so a writer at its HWM is woken once per batch of room,
 * not once per message read (a context switch each, which CURVE's 64 B stream paid ~30k times
 * per 1M messages). A writer that looks without sleeping still sees every free slot. When a
 * reader has nothing to read it parks on its waker; the writer wakes it after committing. Both
 * hand-offs cost a syscall only on those transitions.
 *
 * Ownership: a pipe is reference counted, one reference per attached end plus temporary ones
 * held by in-flight commands. The last unref destroys the queues and drops the ends' owner
 * references (see zf_pipe_end.release). */
#ifndef ZF_PIPE_H
#define ZF_PIPE_H

#include <string.h>

#include "cmd.h"
#include "queue.h"

typedef struct zf_pipe zf_pipe;

/* How to wake an end's owner: it parks on *parked, a waker that clears it calls wake().
 * direct (optional): before waking, the committing thread may do the parked owner's work
 * itself; 1 means done and the owner parked again, so no wake is due. */
typedef struct zf_waker {
    _Atomic int *parked;
    void (*wake)(void *arg, zf_pipe *p, int end);
    void *arg;
    int (*direct)(zf_pipe *p, int end);
} zf_waker;

/* A reading end's place in its socket's fair queue (route.c), for sockets with more pipes than a
 * scan is worth. The reader moves ACTIVE -> IDLE when it finds the queue empty and anything ->
 * GONE when it detaches; the writer, after committing, moves IDLE -> QUEUED (one CAS) and pushes
 * the pipe onto *rx_wakes, which the reader pops, making it ACTIVE again. So the reader learns
 * which pipe came back without looking at the others; a busy pipe costs its writer one relaxed
 * load per wake-up. */
enum { ZF_RX_ACTIVE = 0, ZF_RX_IDLE, ZF_RX_QUEUED, ZF_RX_GONE };

typedef struct zf_pipe_end {
    zf_waker waker;
    _Atomic int rx_state;             /* ZF_RX_*: ACTIVE until the reader first finds it empty */
    _Atomic(zf_pipe *) *rx_wakes;     /* the reading socket's stack of pipes that came back */
    zf_pipe *rx_next;                 /* link in that stack, written by the pushing writer */
    int fq_slot;                      /* owner-private: index in the socket's fair-queue array */
    _Atomic int own_parked;  /* parked flag storage for owners that park per pipe (sessions) */
    _Atomic int want_credit; /* this end is waiting for HWM room in its out queue */
    _Atomic uint64_t credit_at; /* with want_credit: the peer's read count that wakes us */
    _Atomic int closed;      /* this end has written its delimiter */
    uint64_t hwm;            /* messages in flight allowed in q[end] (0: unlimited) */
    uint64_t msgs_out;       /* writer-private: messages committed to q[end] */
    int linger;              /* set before closing: how long (ms, -1 forever) the peer may flush */
    _Atomic int conflate;    /* this end's owner wants only its newest message delivered */
    /* Owner-private bookkeeping (touched only by the thread that owns this end; end 0's owner
     * is also compared by the other end's socket: zf_pipe_owner_seen). */
    void *owner;
    void (*release)(void *owner); /* called once when the pipe is destroyed */
    int slot;                     /* index in the owner's pipe array */
    int peer_gone;                /* the peer's delimiter was seen or announced */
    int via_session;              /* a session feeds this end: it announces peers in-band */
    void *pat;                    /* pattern data for this pipe (PUB/XPUB: its subscriptions) */
    zf_buf *meta;                 /* the current connection's metadata (meta.h), referenced */
    uint8_t identified;           /* ROUTER: route_id is set */
    uint8_t route_id_len;
    uint8_t route_id[255];        /* ROUTER: the id this pipe is addressed by */
    /* What this end's owner learned about the peer at the handshake (written before attach). */
    int peer_type;
    uint8_t peer_id[256];
    uint8_t peer_id_len;
    char peer_addr[64];
    uint8_t *peer_props; /* READY metadata as received (malloc'd), for Frame.get */
    size_t peer_props_len;
} zf_pipe_end;

struct zf_pipe {
    _Atomic int refs;
    zf_io_cmd kick_cmd; /* posted to the I/O thread when end 1 has work */
    /* Direct transmit (direct_send.c): a session's I/O thread holds tx_lock while it handles any event
     * of that session; the application thread may take it (try only) to write a message to the
     * connection itself. direct is the session it may write through, NULL when it may not;
     * read and written only under tx_lock. */
    _Atomic int tx_lock;
    void *direct;
    zf_queue q[2];
    _Atomic uint64_t nread[2] ZF_ALIGNED; /* messages read from q[i] by end 1-i */
    zf_pipe_end end[2];
};

zf_pipe *zf_pipe_new(uint64_t hwm0, uint64_t hwm1);
/* An end's owner as another thread may see it. The owner field is its owner's, but a socket
 * learns which end of a pipe is its own by comparing end 0's owner with itself (zf_sock_end),
 * and the ZAP client clears its end's owner on the I/O thread while the handler socket may be
 * doing that comparison: a relaxed load and store make the race defined. Either value gives
 * the handler the same answer (end 0 is not its own). Costs a plain load/store on x86 and arm. */
static inline void *zf_pipe_owner_seen(zf_pipe *p, int end)
{
    return __atomic_load_n(&p->end[end].owner, __ATOMIC_RELAXED);
}
static inline void zf_pipe_owner_clear(zf_pipe *p, int end)
{
    __atomic_store_n(&p->end[end].owner, (void *)0, __ATOMIC_RELAXED);
}
static inline void zf_pipe_ref(zf_pipe *p) { atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed); }
void zf_pipe_unref(zf_pipe *p);

/* The same, for a caller that has just issued zf_fence itself. */
static inline void zf_waker_kick_fenced(zf_waker *w, zf_pipe *p, int end)
{
    if (atomic_load_explicit(w->parked, memory_order_relaxed) &&
        atomic_exchange_explicit(w->parked, 0, memory_order_acq_rel)) {
        if (w->direct && w->direct(p, end))
            return;
        w->wake(w->arg, p, end);
    }
}

static inline void zf_waker_kick(zf_waker *w, zf_pipe *p, int end)
{
    zf_fence();
    if (atomic_load_explicit(w->parked, memory_order_relaxed) &&
        atomic_exchange_explicit(w->parked, 0, memory_order_acq_rel)) {
        if (w->direct && w->direct(p, end))
            return;
        w->wake(w->arg, p, end);
    }
}

static inline int zf_pipe_tx_trylock(zf_pipe *p)
{
    return !atomic_load_explicit(&p->tx_lock, memory_order_relaxed) &&
           !atomic_exchange_explicit(&p->tx_lock, 1, memory_order_acquire);
}
/* The I/O thread's side: the application holds the lock for one sendmsg at most. */
void zf_pipe_tx_lock(zf_pipe *p);
static inline void zf_pipe_tx_unlock(zf_pipe *p) { atomic_store_explicit(&p->tx_lock, 0, memory_order_release); }

/* Writer side (end e). */
static inline int zf_pipe_writable(zf_pipe *p, int e)
{
    uint64_t hwm = p->end[e].hwm;
    return !hwm || p->end[e].msgs_out - atomic_load_explicit(&p->nread[e], memory_order_acquire) < hwm;
}
/* Writable, or arm want_credit so the reader wakes us when room appears (then re-check). */
int zf_pipe_check_write(zf_pipe *p, int e);
/* Publish a complete message written to q[e]; the peer is not woken (see zf_pipe_wake_peer). */
static inline void zf_pipe_commit(zf_pipe *p, int e)
{
    zf_queue_commit(&p->q[e]);
    p->end[e].msgs_out++;
}
/* Writer: end `end` had gone idle in its socket's fair queue; hand it back (pipe.c). 1 if this
 * call queued it. */
int zf_pipe_rx_requeue(zf_pipe *p, int end);
/* After commits: tell the reader. The fence orders the commit before both looks (the reader's
 * fair-queue state and its parked flag), pairing with the reader's fence between marking itself
 * idle or parked and looking at the queue once more. Requeueing a pipe is a transition (its
 * reader had drained it), so its extra fence is paid once per idle period, not per message. */
static inline void zf_pipe_wake_peer(zf_pipe *p, int e)
{
    zf_pipe_end *r = &p->end[1 - e];
    zf_fence();
    if (zf_unlikely(atomic_load_explicit(&r->rx_state, memory_order_relaxed) == ZF_RX_IDLE) &&
        zf_pipe_rx_requeue(p, 1 - e)) {
        zf_waker_kick(&r->waker, p, 1 - e);
        return;
    }
    zf_waker_kick_fenced(&r->waker, p, 1 - e);
}
/* End e closes: writes its delimiter (after any complete messages) and wakes the peer. */
void zf_pipe_close_end(zf_pipe *p, int e);

/* Reader side (end e reads q[1-e]). */
static inline zf_queue *zf_pipe_inq(zf_pipe *p, int e) { return &p->q[1 - e]; }
/* Called after end e consumed the last frame of a message. */
static inline void zf_pipe_msg_read(zf_pipe *p, int e)
{
    /* only this end writes nread[1 - e]: the count it stores is the one to compare below */
    uint64_t n = atomic_load_explicit(&p->nread[1 - e], memory_order_relaxed) + 1;
    atomic_store_explicit(&p->nread[1 - e], n, memory_order_release);
    zf_fence();
    if (atomic_load_explicit(&p->end[1 - e].want_credit, memory_order_relaxed) &&
        (int64_t)(n - atomic_load_explicit(&p->end[1 - e].credit_at, memory_order_relaxed)) >= 0 &&
        atomic_exchange_explicit(&p->end[1 - e].want_credit, 0, memory_order_acq_rel)) {
        /* The writer set want_credit and then parked: wake it whatever its parked flag says. */
        zf_pipe_end *w = &p->end[1 - e];
        atomic_store_explicit(w->waker.parked, 0, memory_order_relaxed);
        w->waker.wake(w->waker.arg, p, 1 - e);
    }
}

/* One frame into end e's outgoing queue (not yet committed): inline when small, else in buf (its
 * reference moves to the queue) or in a new buffer holding a copy. 0, or -1 when out of memory
 * (buf is then still the caller's). Inline: it is on every send's path. */
static inline int zf_pipe_put(zf_pipe *p, int e, const void *data, size_t len, zf_buf *buf, int more)
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

#endif
