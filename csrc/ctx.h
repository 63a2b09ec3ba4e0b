/* ctx.h: a context: its I/O threads, its sockets, the inproc endpoint table, termination. */
#ifndef ZF_CTX_H
#define ZF_CTX_H

#include "monitor.h"
#include "socket.h"

typedef struct zf_inproc {
    struct zf_inproc *next;
    char name[256];
    zf_sock *sock;  /* bound socket (not referenced: removed at unbind/close) or NULL if pending */
    zf_monitor *mon; /* or a monitor bound here (removed when it stops) */
    zf_pipe *pipe;  /* pending connect: the connecter's pipe, referenced; end 1 awaits a binder */
    int connecter_type; /* pending connect: the connecting socket's type */
} zf_inproc;

struct zf_ctx {
    /* What sockets, sessions and ZAP requests see of the context (ctx_link.h): termination, the
     * spin time, session ids, and the ops below them that reach this file. */
    zf_ctx_link link;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int nsockets;             /* open (not yet closed) sockets */
    int live_sessions;        /* sessions not yet destroyed by their I/O thread */
    int forgotten;            /* fork child: unusable */
    int io_running;
    zf_io *io;
    int nio;
    int max_sockets;
    int ipv6;
    int blocky;
    zf_sock *sockets;
    zf_inproc *inproc;
    zf_release_stack release;
    /* ---- libzmq's other context options (ctx.c, "more options") ---- */
    int io_threads_asked;   /* IO_THREADS as set: libzmq reports it even when it is 0 */
    int thread_priority;    /* THREAD_PRIORITY (-1: the default) */
    int thread_sched_policy; /* THREAD_SCHED_POLICY (-1: the default) */
    int max_msgsz;          /* MAX_MSGSZ: kept (libzmq keeps it too) */
    int thread_name_prefix; /* THREAD_NAME_PREFIX: I/O threads are named "<prefix>/ZMQbg/IO/<n>" */
    int zero_copy_recv;     /* ZERO_COPY_RECV: kept; received frames share buffers regardless */
    uint64_t affinity[16];  /* THREAD_AFFINITY_CPU_ADD/REMOVE: CPUs for I/O threads (none: any) */
};


/* Under c->lock: start the context's I/O threads, if they are not running yet. */
void zf_ctx_start_io(zf_ctx *c);
/* Any thread, once started: the I/O thread a new session, listener or connecter is to live on,
 * chosen as libzmq does (see ctx.c), with that object counted in its load; the object gives it
 * back with zf_io_unload when it goes. NULL when affinity names no running thread (bind and
 * connect then fail with EMTHREAD, as libzmq's). */
zf_io *zf_ctx_choose_io(zf_ctx *c, uint64_t affinity);
void zf_ctx_session_born(zf_ctx *c);
void zf_ctx_session_died(zf_ctx *c);
int zf_ctx_inproc_bind(zf_ctx *c, zf_sock *s, const char *name);
void zf_ctx_inproc_unbind(zf_ctx *c, zf_sock *s, const char *name); /* name NULL: all of s */
int zf_ctx_inproc_connect(zf_ctx *c, zf_sock *s, const char *name, zf_pipe **out);
/* Hand end 1 of p (whose end 0 belongs to an I/O thread, as a peer of type as_type) to the
 * socket bound at inproc name. 0, or -ECONNREFUSED when nobody is bound there. */
int zf_ctx_inproc_attach_io(zf_ctx *c, const char *name, zf_pipe *p, int as_type);

int zf_ctx_inproc_bind_monitor(zf_ctx *c, zf_monitor *m, const char *name);
void zf_ctx_inproc_unbind_monitor(zf_ctx *c, zf_monitor *m);

/* HWM of a direction that two sockets' limits add up to (0: unlimited). */
static inline uint64_t hwm_pair(int snd, int rcv)
{
    return (snd <= 0 || rcv <= 0) ? 0 : (uint64_t)snd + (uint64_t)rcv;
}

#endif
