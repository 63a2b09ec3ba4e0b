/* ctx_link.h: the context as the layers below it see it (sockets, sessions, ZAP requests).
 *
 * The context (ctx.c) owns the I/O threads, the sockets and the inproc endpoint table, and calls
 * down into sockets; nothing below it names ctx.c. What a socket or a session must ask of its
 * context goes through this link instead: a few fields read on the hot path, and an ops table
 * that ctx.c fills, for the rare calls (bind, connect, close, a session born or gone, a ZAP
 * request looking for its handler). Cost: an indirect call on those rare paths, nothing per
 * message (terminating and spin_us are plain reads, as they were on zf_ctx).
 *
 * Embedded in struct zf_ctx (ctx.h), which it never outlives. */
#ifndef ZF_CTX_LINK_H
#define ZF_CTX_LINK_H

#include <stdint.h>

#include "platform.h"

typedef struct zf_ctx_link zf_ctx_link;
struct zf_sock;
struct zf_pipe;
struct zf_io;

typedef struct zf_ctx_ops {
    /* A socket's inproc endpoints (application thread; the context's lock is taken inside).
     * bind/connect: 0 or a negative errno; unbind with name NULL: every name of s. */
    int (*inproc_bind)(zf_ctx_link *c, struct zf_sock *s, const char *name);
    void (*inproc_unbind)(zf_ctx_link *c, struct zf_sock *s, const char *name);
    int (*inproc_connect)(zf_ctx_link *c, struct zf_sock *s, const char *name, struct zf_pipe **out);
    /* Hand end 1 of p (whose end 0 belongs to an I/O thread, as a peer of type as_type) to the
     * socket bound at inproc name: 0, or -ECONNREFUSED when nobody is bound there (ZAP). */
    int (*inproc_attach_io)(zf_ctx_link *c, const char *name, struct zf_pipe *p, int as_type);
    /* zmq_socket_monitor for s (addr NULL: stop monitoring). 0 or a negative errno. */
    int (*monitor)(zf_ctx_link *c, struct zf_sock *s, const char *addr, int events);
    /* The socket has closed: the context forgets it (and may finish terminating). */
    void (*sock_closed)(zf_ctx_link *c, struct zf_sock *s);
    /* A session was made / destroyed (any thread): termination waits for the last one. */
    void (*session_born)(zf_ctx_link *c);
    void (*session_died)(zf_ctx_link *c);
    /* Any thread, once the context's I/O threads run: the one a new listener or connection is
     * to live on (libzmq's choice: the least loaded that affinity allows, 0: any), its load
     * counted (zf_io_unload gives it back); NULL when affinity names no thread. */
    struct zf_io *(*choose_io)(zf_ctx_link *c, uint64_t affinity);
    /* Any thread, once they run: I/O thread i, or NULL past the last one. */
    struct zf_io *(*io_at)(zf_ctx_link *c, int i);
} zf_ctx_ops;

struct zf_ctx_link {
    const zf_ctx_ops *ops; /* ctx.c's, static */
    _Atomic int terminating;   /* zmq_ctx_term/shutdown has begun: blocking calls return ETERM */
    int spin_us;               /* how long a blocking call looks before it parks (-1: 50 us when
                                * all inproc) */
    _Atomic uint64_t next_id;  /* session ids */
};

#endif
