/* io.h: an I/O thread. A native pthread that blocks every signal, never touches Python, and runs
 * an epoll loop over file descriptors (listeners and sessions), a list of timers, and a command
 * mailbox that application threads (and other I/O threads) post to (each command carries its
 * handler: cmd.h). A context runs IO_THREADS of them; each listener and session lives on one,
 * chosen when it is made (zf_ctx_choose_io), so one socket's connections may be spread over all.
 * Objects it owns (sessions, listeners: session.h) are touched by no other thread once they have
 * been handed over with a command, with one exception: direct transmit, where the application
 * thread that commits to a session's pipe may encode and write for the session under the pipe's
 * tx_lock (direct_send.c says which functions, and on what conditions). */
#ifndef ZF_IO_H
#define ZF_IO_H

#include <pthread.h>

#include "poller.h"
#include "addr.h"
#include "options.h"
#include "idmap.h"
#include "pipe.h"
#include "signaler.h"

typedef struct zf_io zf_io;
typedef struct zf_ctx zf_ctx; /* io->ctx: the owner's, opaque here */


typedef struct zf_timer {
    int64_t when; /* monotonic ms; armed iff slot >= 0 */
    int slot;     /* its index in io->timers (a min-heap on when, io.c), -1: not armed */
    void (*fire)(struct zf_timer *t);
} zf_timer;

/* A synchronous request: the poster sleeps until the I/O thread has done it. */
struct zf_sync {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    int result;
};
typedef struct zf_sync zf_sync;

/* Sessions and listeners (session.h) live in the lists below, but the loop never looks inside
 * them: the commands that reach them carry their own handlers. */
typedef struct zf_listener zf_listener;
typedef struct zf_session zf_session;

struct zf_io {
    pthread_t thread;
    zf_ctx *ctx;
    zf_poller poller;          /* epoll, poll or select: poller.h */
    zf_signal wake;            /* the mailbox's doorbell */
    zf_handler wake_h;
    pthread_mutex_t lock;
    zf_io_cmd *head, *tail;    /* mailbox, guarded by lock */
    zf_timer **timers;         /* armed timers: a min-heap on when (io.c) */
    int ntimers, timers_cap;
    zf_session *sessions;      /* every live session (for unbind and term) */
    zf_idmap session_ids;      /* the same sessions by id (session.c: a socket's close finds them) */
    int session_ids_partial;   /* an insert failed (ENOMEM): a miss must walk the list */
    zf_listener *listeners;
    void **graveyard;          /* objects freed after the current event batch */
    int ngrave, grave_cap;
    int stopping;
    void (*on_stop)(zf_io *io); /* at stop, before the last commands: close what is left */
    uint64_t rng;              /* reconnect jitter */
    /* Sessions and listeners attached, or on their way (zf_ctx_choose_io counts them before
     * they arrive; each gives its count back when it goes). Read by any thread choosing where
     * a new one goes: a hint, hence relaxed. */
    _Atomic int load;
};

/* Any thread: an object counted by zf_ctx_choose_io has gone (or never came). */
static inline void zf_io_unload(zf_io *io) { atomic_fetch_sub_explicit(&io->load, 1, memory_order_relaxed); }

int zf_io_start(zf_io *io, zf_ctx *ctx);
void zf_io_stop(zf_io *io); /* posts STOP and joins */
/* Any thread: post a command (the caller's, e.g. embedded in a pipe). */
void zf_io_post(zf_io *io, zf_io_cmd *cmd);
/* Any thread: post a new command running run(io, cmd) with cmd->a = a, cmd->id = id; it is
 * freed after. 0 or -ENOMEM. */
int zf_io_post_new(zf_io *io, void (*run)(zf_io *, zf_io_cmd *), void *a, uint64_t id);
/* Any thread but the I/O thread: post run(io, cmd) with cmd->a = a and wait until it has run. */
int zf_io_call(zf_io *io, void (*run)(zf_io *, zf_io_cmd *), void *a);

/* Inside the I/O thread only. The poller's own calls, inlined: no cost over calling it. */
static inline int zf_io_add(zf_io *io, zf_handler *h, uint32_t events) { return zf_poller_add(&io->poller, h, events); }
static inline int zf_io_set(zf_io *io, zf_handler *h, uint32_t events) { return zf_poller_set(&io->poller, h, events); }
static inline void zf_io_del(zf_io *io, zf_handler *h) { zf_poller_del(&io->poller, h); }
void zf_io_timer_set(zf_io *io, zf_timer *t, int64_t delay_ms);
void zf_io_timer_cancel(zf_io *io, zf_timer *t);
void zf_io_bury(zf_io *io, void *obj);

#endif
