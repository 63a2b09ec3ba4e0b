/* socket.h: a socket as its owning application thread sees it. Routing state (pipes, cursors,
 * the multipart message in progress) is private to that thread; other threads reach the socket
 * only through its mailbox and its signal. */
#ifndef ZF_SOCKET_H
#define ZF_SOCKET_H

#include <pthread.h>

#include "io.h"
#include "routing.h"
#include "sock_link.h"
#include "subs.h"
#include "zf.h"

typedef struct zf_sock_cmd {
    struct zf_sock_cmd *next;
    int type; /* ZF_SCMD_* (sock_link.h) */
    zf_pipe *pipe; /* referenced by the command */
} zf_sock_cmd;

enum { ZF_MAIL_OTHER = 1, ZF_MAIL_TERM = 2 }; /* zf_sock.mpending bits */

/* What the socket bound or connected, so unbind/disconnect/close can find it. */
typedef struct zf_endpoint {
    struct zf_endpoint *next;
    char uri[300];
    int transport;
    int bound;
    zf_listener *listener; /* tcp/ipc bind */
    zf_session *session;   /* tcp/ipc connect: handed to the I/O thread, never dereferenced here */
    zf_io *io;             /* tcp/ipc connect: the session's I/O thread (its commands go there) */
    uint64_t session_id;
    zf_pipe *pipe;         /* connect: the pipe made for it (referenced), if any */
} zf_endpoint;

typedef struct zf_sock_ops {
    int reads, writes;                        /* which directions the pattern uses */
    int (*attach)(zf_sock *s, zf_pipe *p);    /* 0, or -1 to refuse the pipe */
    void (*attached)(zf_sock *s, zf_pipe *p); /* p has joined the socket's arrays */
    void (*detach)(zf_sock *s, zf_pipe *p);   /* p is leaving the socket's arrays */
    /* buf (may be NULL): consumed when send returns 0, left to the caller when it fails */
    int (*send)(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags);
    int (*recv)(zf_sock *s, zf_frame *f);
    int (*has_in)(zf_sock *s);
    int (*has_out)(zf_sock *s, int arm);
    void (*on_cmd)(zf_sock *s, zf_pipe *p, zf_rec *r); /* a command record reached the head */
    int (*setopt)(zf_sock *s, int option, const void *value, size_t len); /* -ENOTSUP: not ours */
    int (*getopt)(zf_sock *s, int option, void *value, size_t *len);
} zf_sock_ops;

/* route.c's fair queue: the pipes a reading socket takes messages from, partitioned as
 * libzmq's fq: [0, active) may hold a message, [active, n) were found empty and are idle until
 * their writer pushes them onto `wakes` (pipe.h, ZF_RX_*). Finding the next message costs O(1)
 * amortized whatever the number of pipes. Sockets with at most ZF_FQ_SCAN_MAX pipes never idle
 * one: a scan of a few is cheaper than the hand-off's atomics. Owner thread only, but `wakes`. */
typedef struct zf_fq {
    zf_pipe **pipes; /* malloc'd, cap entries; each pipe's fq_slot is its index */
    int n, active, cap;
    int next; /* round-robin cursor in [0, active) (taken modulo active when used) */
    _Atomic(zf_pipe *) wakes; /* idle pipes that got data back, linked through rx_next */
} zf_fq;

/* The request-reply patterns' state (REQ, REP, DEALER, ROUTER; STREAM and ROUTER_RAW use its
 * routing table). Owner thread only. */
typedef struct zf_reqrep_state {
    int probe_router;
    int req_relaxed, req_correlate;
    int waiting;          /* REQ: a reply is due; REP: a reply is being sent */
    zf_pipe *reply_pipe;  /* REQ: where the request went; REP: where the reply goes */
    uint32_t req_id;
    int router_mandatory, router_handover;
    uint32_t next_rid;
    zf_routing routes;     /* ROUTER, ROUTER_RAW, STREAM: routing id -> pipe (routing.h) */
    zf_pipe *blocked_pipe; /* ROUTER_MANDATORY: the pipe a send found full */
    uint8_t connect_rid[255];
    uint8_t connect_rid_len;
    uint8_t *env;         /* REP: the request's envelope, frames as (u32 length, bytes) */
    size_t env_len, env_cap;
} zf_reqrep_state;

/* The publish-subscribe patterns' state (PUB, SUB, XPUB, XSUB). Owner thread only. */
typedef struct zf_pubsub_state {
    zf_subs subs;         /* SUB/XSUB: our subscriptions (counted); PUB/XPUB: the subscribers of
                           * each prefix, one trie for all pipes (see subs.h) */
    zf_pipe **dist;       /* PUB/XPUB: pipes the message being sent goes to */
    int ndist, dist_cap;
    int64_t last_scan;    /* PUB/XPUB: when subscriber input was last read */
    int xpub_verbose, xpub_verboser, xpub_nodrop, xpub_manual;
    int xpub_last_value;      /* XPUB_MANUAL_LAST_VALUE */
    int only_first_subscribe; /* ONLY_FIRST_SUBSCRIBE (XPUB, XSUB) */
    int parts_subscribe;      /* XPUB, XSUB: the rest of this message may hold subscriptions */
    zf_pipe *manual_pipe; /* XPUB_MANUAL: referenced */
    uint8_t *welcome;     /* XPUB_WELCOME_MSG */
    size_t welcome_len;
    zf_buf *notes_head, *notes_tail; /* XPUB: subscription messages for the application */
    int rx_more_in;       /* PUB/XPUB: inside a multipart message from a subscriber */
} zf_pubsub_state;

struct zf_sock {
    /* What the layers below see of the socket, and its context (link.ctx). First: a pipe end's
     * owner pointer is read as a zf_sock_link by direct transmit (sock_link.h). No I/O thread of
     * its own: each listener and session has one (zf_ctx_ops.choose_io). */
    zf_sock_link link;
    _Atomic int refs;
    zf_signal sig;
    const zf_sock_ops *ops;
    /* mailbox */
    pthread_mutex_t mlock;
    zf_sock_cmd *mhead, *mtail;
    _Atomic int mpending; /* ZF_MAIL_* bits of what waits in the mailbox; guarded by mlock for writes */
    int mclosed;
    int64_t mail_us; /* owner thread: when the mailbox was last processed (zf_now_us) */
    /* close() from another thread: a thread blocked in zf_sock_wait must wake up and leave
     * before the socket is taken apart (libzmq aborts here) */
    _Atomic int closing; /* set first thing in close (by the one close that goes ahead): waiters
                          * return -ENOTSOCK */
    _Atomic int waiters; /* threads inside zf_sock_wait */
    /* Sharing (see "sharing a socket between threads" in socket.c). While shared > 0 the
     * entry points take lock (recursive: getopt(EVENTS) calls zf_sock_events); at 0 the caller's
     * own exclusion (the GIL) covers them and the lock costs one relaxed load. */
    pthread_mutex_t lock;
    _Atomic int shared;  /* callers using the socket without the binding's exclusion; the
                          * free-threaded binding holds one for the socket's whole life */
    _Atomic int want_in, want_out; /* threads armed to sleep on sig for POLLIN / POLLOUT
                                    * (zf_sock_wait, a Poller between scan and wait) */
    /* zf_sock_give_blank's buffers: given by application threads, taken by the I/O thread. A
     * lock, not a lock-free stack: close takes them back while the I/O thread may be popping,
     * and it is held for a few instructions once per large frame. */
    pthread_mutex_t blank_lock;
    zf_buf *blanks;          /* guarded by blank_lock, linked through next */
    int blanks_closed;       /* guarded by blank_lock */
    _Atomic int nblanks;
    /* owner-thread state */
    zf_opts opts;
    int closed;
    zf_pipe **pipes;
    int npipes, cap;
    int lb_next;
    zf_fq fq; /* route.c: the fair queue over the same pipes */
    zf_pipe *tx_pipe; /* pipe of the multipart message being sent; NULL with tx_more: drop the rest */
    int tx_more;
    zf_pipe *rx_pipe; /* pipe of the multipart message being received */
    zf_pipe *last_pipe; /* where the last frame received came from (for its metadata) */
    int rx_more;
    int rx_starved; /* the application looked for input and found none (recv's -EAGAIN, a poll
                     * that found no POLLIN); the next frame received then lets the send that
                     * follows it be a direct transmit (sock_recv) */
    zf_endpoint *endpoints;
    char last_endpoint[300];
    zf_reqrep_state rr; /* REQ, REP, DEALER, ROUTER, STREAM */
    zf_pubsub_state ps; /* PUB, SUB, XPUB, XSUB */
    struct zf_sock *ctx_next, *ctx_prev;
};

/* A socket of this type running the pattern ops, in context c but not yet registered there: the
 * context's zf_sock_new (ctx.c) makes it with this and registers it (undoing it with
 * zf_sock_unref if it cannot). 0 or -ENOMEM (or the signaler's error). */
int zf_sock_create(zf_ctx_link *c, int type, const zf_sock_ops *ops, zf_sock **out);
/* Sharing (socket.c, "sharing a socket between threads"): the socket's lock, taken only while
 * the socket is shared; returns what zf_sock_unlock_shared needs. Inline: on every call's path. */
static inline int zf_sock_lock_shared(zf_sock *s)
{
    if (zf_likely(!atomic_load_explicit(&s->shared, memory_order_relaxed)))
        return 0;
    pthread_mutex_lock(&s->lock);
    return 1;
}
static inline void zf_sock_unlock_shared(zf_sock *s, int locked)
{
    if (locked)
        pthread_mutex_unlock(&s->lock);
}
void zf_sock_process(zf_sock *s);
/* Owner: run the mailbox's commands if any wait (a relaxed load when none). */
static inline void zf_sock_check_mail(zf_sock *s)
{
    if (zf_unlikely(atomic_load_explicit(&s->mpending, memory_order_relaxed)))
        zf_sock_process(s);
}

void zf_sock_ref(zf_sock *s);
void zf_sock_unref(zf_sock *s);
/* Any thread: make pipe end e belong to socket s (waker, release, a reference on s). */
void zf_sock_own_end(zf_sock *s, zf_pipe *p, int e);
/* I/O thread: a blank (zf_sock_give_blank) with room for n bytes, or NULL (use malloc). */
zf_buf *zf_sock_take_blank(zf_sock *s, size_t n);
/* Any thread: post a command; -1 if the socket is closed (the caller keeps the pipe reference). */
int zf_sock_post(zf_sock *s, int type, zf_pipe *p);
/* Owner thread: attach / detach a pipe end 0... (end is always the socket's: see zf_sock_own_end). */
void zf_sock_attach(zf_sock *s, zf_pipe *p);
void zf_sock_detach(zf_sock *s, zf_pipe *p);
/* Which end of p belongs to s. */
static inline int zf_sock_end(zf_sock *s, zf_pipe *p) { return zf_pipe_owner_seen(p, 0) == s ? 0 : 1; }

/* route.c: load-balancing and fair-queuing over the socket's pipes. */
int zf_lb_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags);
int zf_lb_has_out(zf_sock *s, int arm);
zf_pipe *zf_lb_choose(zf_sock *s);
/* Write a frame to s->tx_pipe (drop it if NULL); commits and wakes the peer on the last frame. */
int zf_route_put(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags);
int zf_fq_recv(zf_sock *s, zf_frame *f);
int zf_fq_has_in(zf_sock *s);
/* The next pipe (round robin) whose head is application data, or NULL; it takes that pipe's turn. */
zf_pipe *zf_fq_peek(zf_sock *s);
/* The same without taking the turn (for has_in: looking is not reading). */
zf_pipe *zf_fq_look(zf_sock *s);
/* Owner thread, from zf_sock_attach / zf_sock_detach: a pipe joins (0, or -ENOMEM) or leaves
 * the fair queue; zf_fq_free releases the array (socket destruction). */
int zf_fq_add(zf_sock *s, zf_pipe *p);
void zf_fq_remove(zf_sock *s, zf_pipe *p);
void zf_fq_free(zf_sock *s);
/* A pipe's frames as the socket reads them: the next frame of p (-EAGAIN at a control record),
 * the rest of a message skipped, a PEER record's metadata kept for the frames that follow. */
int zf_route_recv_frame(zf_sock *s, zf_pipe *p, zf_frame *f);
void zf_route_skip_message(zf_sock *s, zf_pipe *p);
void zf_route_take_meta(zf_sock *s, zf_pipe *p, zf_rec *r);

/* A generated routing id for end e (a zero byte, then s->rr.next_rid as 32 bits big-endian, as
 * libzmq's), shared by ROUTER and STREAM (routing.c). */
void zf_routing_auto_id(zf_sock *s, zf_pipe_end *e);

/* Pattern tables. */
extern const zf_sock_ops zf_pair_ops, zf_push_ops, zf_pull_ops;
extern const zf_sock_ops zf_dealer_ops, zf_router_ops, zf_req_ops, zf_rep_ops;
extern const zf_sock_ops zf_pub_ops, zf_sub_ops, zf_xpub_ops, zf_xsub_ops;
extern const zf_sock_ops zf_stream_ops;

/* sock_raw.c: raw routing, the ops STREAM's table and ROUTER_RAW's (sock_reqrep.c) share. send:
 * mandatory makes an unknown id EHOSTUNREACH and a full pipe EAGAIN, else the message is
 * dropped. */
void zf_raw_attached(zf_sock *s, zf_pipe *p);
void zf_raw_detach(zf_sock *s, zf_pipe *p);
int zf_raw_recv(zf_sock *s, zf_frame *f);
int zf_raw_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags, int mandatory);
int zf_raw_has_out(zf_sock *s, int arm);

#endif
