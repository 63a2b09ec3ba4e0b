/* sock_link.h: a socket as the layers below it see it (sessions, listeners, the monitor,
 * direct transmit).
 *
 * Sockets (socket.c) sit above sessions and call down into them; nothing below names socket.c.
 * What a session must tell or ask the socket that owns it goes through this link: commands
 * posted to the socket's mailbox (a pipe to attach, a pipe that ended), the pipe end it hands
 * the socket, a receive buffer made ahead by the binding, and the socket's reference count; and
 * four fields the lower layers read. socket.c fills the ops. Cost: an indirect call where a
 * direct one was, on per-connection paths and once per large (> ZF_INLINE_MAX) frame received;
 * nothing per message (rx_since_tx, read by direct transmit, is a plain field as before).
 *
 * Embedded first in struct zf_sock (socket.h): the pipe end a socket owns points at the socket,
 * and direct transmit reads rx_since_tx through that pointer as a zf_sock_link. */
#ifndef ZF_SOCK_LINK_H
#define ZF_SOCK_LINK_H

#include "ctx_link.h"
#include "pipe.h"

/* What a socket's mailbox carries (zf_sock_link_ops.post). */
enum { ZF_SCMD_ATTACH = 1, ZF_SCMD_TERM };

typedef struct zf_sock_link zf_sock_link;
struct zf_monitor;

typedef struct zf_sock_link_ops {
    void (*ref)(zf_sock_link *l);   /* any thread */
    void (*unref)(zf_sock_link *l); /* any thread; the last one frees the socket */
    /* Any thread: post a command (ZF_SCMD_*) about p; -1 if the socket is closed (the caller
     * keeps its reference on p), else the command holds it. */
    int (*post)(zf_sock_link *l, int type, zf_pipe *p);
    /* Any thread: make pipe end e the socket's (its waker, its release, a reference on it). */
    void (*own_end)(zf_sock_link *l, zf_pipe *p, int e);
    /* I/O thread: a buffer the binding made ahead with room for n bytes, or NULL (use malloc). */
    zf_buf *(*take_blank)(zf_sock_link *l, size_t n);
} zf_sock_link_ops;

struct zf_sock_link {
    const zf_sock_link_ops *ops; /* socket.c's, static */
    zf_ctx_link *ctx;            /* the socket's context */
    _Atomic(struct zf_monitor *) monitor; /* read by the I/O thread to report events (monitor.h) */
    _Atomic int disconnected; /* RECONNECT_STOP_AFTER_DISCONNECT: the application removed an endpoint */
    int rx_since_tx; /* owner thread: a frame the application had waited for was received
                      * since the last direct transmit (socket.c sets it; direct_send.c reads
                      * and clears it in the thread that commits) */
};

static inline void zf_sock_link_ref(zf_sock_link *l) { l->ops->ref(l); }
static inline void zf_sock_link_unref(zf_sock_link *l) { l->ops->unref(l); }

#endif
