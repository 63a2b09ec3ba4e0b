/* io.h: the I/O thread. A native pthread that blocks every signal, never touches Python, and runs
 * a poller loop (poller.h) over listeners and sessions, a list of timers, and a command mailbox that
 * application threads post to. Objects it owns (sessions, listeners) are touched by no other
 * thread once they have been handed over with a command. */
#ifndef ZF_IO_H
#define ZF_IO_H

#include <pthread.h>

#include "addr.h"
#include "options.h"
#include "pipe.h"
#include "poller.h"
#include "signaler.h"

typedef struct zf_io zf_io;
typedef struct zf_ctx zf_ctx;
typedef struct zf_sock zf_sock;

typedef struct zf_timer {
    int64_t when; /* monotonic ms; armed iff slot >= 0 */
    int slot;
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

enum {
    ZF_CMD_KICK = 1,      /* a: zf_pipe (referenced); its end 1 has work */
    ZF_CMD_CONNECT,       /* a: zf_session to start */
    ZF_CMD_LISTEN,        /* a: zf_listener to start */
    ZF_CMD_UNBIND,        /* a: zf_listener to close with every session it accepted (sync) */
    ZF_CMD_CLOSE_LISTENER,/* a: zf_listener to close; its sessions flush and go by themselves (sync) */
    ZF_CMD_SOCK_CLOSED,   /* id: connecting session whose socket closed or disconnected it */
    ZF_CMD_STOP,          /* leave the loop */
};

/* A bound tcp/ipc endpoint accepting connections. */
typedef struct zf_listener {
    zf_handler h;
    zf_io *io;
    zf_sock *sock; /* referenced */
    zf_opts opts;
    zf_addr addr;
    char endpoint[300];
    struct zf_listener *next; /* in io->listeners */
} zf_listener;

/* One peer connection and, on the connecting side, the endpoint it keeps reconnecting to. */
typedef struct zf_session zf_session;

struct zf_io {
    pthread_t thread;
    zf_ctx *ctx;
    zf_poller poller;          /* epoll, poll or select: poller.h */
    zf_signal wake;            /* the mailbox's doorbell */
    zf_handler wake_h;
    pthread_mutex_t lock;
    zf_io_cmd *head, *tail;    /* mailbox, guarded by lock */
    zf_timer **timers;         /* armed timers (unordered) */
    int ntimers, timers_cap;
    zf_session *sessions;      /* every live session (for unbind and term) */
    zf_listener *listeners;
    void **graveyard;          /* objects freed after the current event batch */
    int ngrave, grave_cap;
    int stopping;
    uint64_t rng;              /* reconnect jitter */
};

int zf_io_start(zf_io *io, zf_ctx *ctx);
void zf_io_stop(zf_io *io); /* posts STOP and joins */
void zf_io_post(zf_io *io, zf_io_cmd *cmd);
/* Post and wait for the I/O thread to have executed it; returns its result. */
int zf_io_call(zf_io *io, int type, void *a);
/* Post a command that names a session by id. */
void zf_io_post_id(zf_io *io, int type, uint64_t id);
/* The waker of a session-side pipe end: posts the pipe's kick command. */
void zf_io_pipe_wake(void *io, zf_pipe *p, int end);

/* Inside the I/O thread only. The poller's own calls, inlined: no cost over calling it. */
static inline int zf_io_add(zf_io *io, zf_handler *h, uint32_t events) { return zf_poller_add(&io->poller, h, events); }
static inline int zf_io_set(zf_io *io, zf_handler *h, uint32_t events) { return zf_poller_set(&io->poller, h, events); }
static inline void zf_io_del(zf_io *io, zf_handler *h) { zf_poller_del(&io->poller, h); }
void zf_io_timer_set(zf_io *io, zf_timer *t, int64_t delay_ms);
void zf_io_timer_cancel(zf_io *io, zf_timer *t);
void zf_io_bury(zf_io *io, void *obj);

/* conn.c: sessions and listeners, run by the I/O thread. */
zf_session *zf_session_new_connect(zf_io *io, zf_sock *sock, const zf_opts *opts, const zf_addr *addr,
                                   const char *endpoint, zf_pipe *pipe);
uint64_t zf_session_id(zf_session *s);
zf_session *zf_io_find_session(zf_io *io, uint64_t id);
void zf_session_start(zf_session *s);
void zf_session_kick(zf_session *s);
void zf_session_terminate(zf_session *s);
void zf_session_sock_closed(zf_session *s);
int zf_listener_open(zf_listener *l); /* app thread: bind + listen (errors reported synchronously) */
void zf_listener_start(zf_listener *l);
void zf_listener_close(zf_listener *l, int with_sessions);
const char *zf_session_endpoint(zf_session *s);
zf_listener *zf_session_listener(zf_session *s);
zf_session *zf_session_next(zf_session *s);

#endif
