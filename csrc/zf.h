/* zf.h: the engine's API, the only header the Python binding sees. Plain C types; functions
 * return 0 (or a count) on success and a negative errno on failure. Error numbers are libzmq's. */
#ifndef ZF_H
#define ZF_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

typedef struct zf_ctx zf_ctx;
typedef struct zf_sock zf_sock;

/* libzmq's own error numbers (beyond the OS's). */
#define ZF_HAUSNUMERO 156384712
#define ZF_EFSM (ZF_HAUSNUMERO + 51)
#define ZF_ENOCOMPATPROTO (ZF_HAUSNUMERO + 52)
#define ZF_ETERM (ZF_HAUSNUMERO + 53)
#define ZF_EMTHREAD (ZF_HAUSNUMERO + 54)

/* Flags and poll events, with libzmq's values. */
#define ZF_DONTWAIT 1
#define ZF_SNDMORE 2
#define ZF_POLLIN 1
#define ZF_POLLOUT 2
#define ZF_POLLERR 4

/* A received frame. data is valid until the next receive on the socket; if buf is set the
 * caller owns one reference to it (and data points into it). */
typedef struct zf_frame {
    const uint8_t *data;
    size_t size;
    zf_buf *buf;
    int more;
} zf_frame;

/* Monotonic milliseconds, for callers computing what is left of a timeout. */
int64_t zf_clock_ms(void);

/* Context. */
zf_ctx *zf_ctx_new(int io_threads);
int zf_ctx_set(zf_ctx *c, int option, int value);
int zf_ctx_get(zf_ctx *c, int option);
/* Any context option into *value (which may be negative, as libzmq reports some): 0 or -EINVAL. */
int zf_ctx_get_ext(zf_ctx *c, int option, int *value);
/* Start termination: blocking calls in any thread return -ETERM from now on. */
void zf_ctx_shutdown(zf_ctx *c);
/* Wait (ms, -1 forever) until every socket is closed and lingering is over; then stop the I/O
 * threads. 0 when done, -EAGAIN on timeout (call again). */
int zf_ctx_term_wait(zf_ctx *c, int timeout_ms);
void zf_ctx_free(zf_ctx *c);
zf_release_stack *zf_ctx_release_stack(zf_ctx *c);
/* After fork() in the child: the I/O threads do not exist here; make every call fail. */
void zf_ctx_forget(zf_ctx *c);

/* Socket lifetime and endpoints. */
int zf_sock_new(zf_ctx *c, int type, zf_sock **out);
int zf_sock_close(zf_sock *s, int linger_set, int linger);
/* Extra references for objects that share a socket (shadows): its memory stays valid, and every
 * call on it after close fails with -ENOTSOCK. */
void zf_sock_ref(zf_sock *s);
void zf_sock_unref(zf_sock *s);
int zf_sock_closed(zf_sock *s);
/* Receive buffers made ahead by the binding, with whatever allocator it likes (zmqfast: Python
 * bytes objects, made with the GIL): the I/O thread reads a large frame from a connection
 * straight into one whose size fits (no more than 1/8 too big), so it can become the received
 * object without a copy. b is an external buffer (zf_buf_external) whose size is the room it
 * has; a buffer the engine does not use goes back through its release stack. Refused (-ENOTSOCK,
 * the caller keeps b) once the socket is closed. */
int zf_sock_give_blank(zf_sock *s, zf_buf *b);
int zf_sock_blanks(zf_sock *s); /* how many are waiting */
int zf_sock_bind(zf_sock *s, const char *endpoint);
int zf_sock_connect(zf_sock *s, const char *endpoint);
int zf_sock_unbind(zf_sock *s, const char *endpoint);
int zf_sock_disconnect(zf_sock *s, const char *endpoint);

/* Options: integers (int and int64 alike) and byte strings. */
int zf_sock_setopt_int(zf_sock *s, int option, int64_t value);
int zf_sock_getopt_int(zf_sock *s, int option, int64_t *value);
int zf_sock_setopt_bytes(zf_sock *s, int option, const void *value, size_t len);
int zf_sock_getopt_bytes(zf_sock *s, int option, void *value, size_t *len);
int zf_sock_type(zf_sock *s);
/* The metadata of the connection the last received frame came from (a new reference), or NULL. */
zf_buf *zf_sock_meta(zf_sock *s);
int zf_meta_get(const zf_buf *m, const char *name, const uint8_t **val, size_t *len);
int zf_sock_fd(zf_sock *s);

/* Report socket events (ZMQ_EVENT_* mask) to a PAIR connected to an inproc endpoint;
 * endpoint NULL stops it. */
int zf_sock_monitor(zf_sock *s, const char *endpoint, int events);

/* Sharing a socket between threads. The engine assumes its caller keeps a socket's other
 * callers out (the GIL does, for a binding that holds it around every call) except while the
 * socket is shared: zf_sock_share(s, +1) before a call made without that exclusion (a blocking
 * wait, a nogil bind, close, the proxy), or once for good where there is none (free-threaded
 * CPython), and zf_sock_share(s, -1) after. Must be called while still holding the exclusion,
 * so that every later caller sees it. While shared, zf_sock_send/send_buf/recv/events/wait/
 * close and zf_poll_scan take the socket's lock themselves; any other zf_sock_* call on the
 * socket goes between zf_sock_enter and zf_sock_leave (the lock is recursive). */
void zf_sock_share(zf_sock *s, int delta);
int zf_sock_enter(zf_sock *s);              /* returns what zf_sock_leave needs */
void zf_sock_leave(zf_sock *s, int entered);

/* Data. None of these blocks: -EAGAIN means "would block" (see zf_sock_wait). */
int zf_sock_send(zf_sock *s, const void *data, size_t len, int flags);
/* Zero-copy: the engine takes over the caller's reference to buf (also on failure). */
int zf_sock_send_buf(zf_sock *s, zf_buf *buf, const void *data, size_t len, int flags);
int zf_sock_recv(zf_sock *s, zf_frame *f);
int zf_sock_rcvmore(zf_sock *s);
/* Readiness now, arming the socket's fd so it turns readable on any change. */
int zf_sock_events(zf_sock *s);
/* Block until the socket may be ready for events (spurious wake-ups allowed). Call without
 * the GIL. 0, -EAGAIN (timeout), -EINTR (signal: check and retry), -ETERM. */
int zf_sock_wait(zf_sock *s, int events, int timeout_ms);

/* Polling sockets and plain fds together. */
typedef struct zf_pollitem {
    zf_sock *sock; /* or NULL for fd */
    int fd;
    short events;
    short revents;
} zf_pollitem;
/* Non-blocking readiness scan. With arm, every socket's fd is also set to turn readable on
 * any change, as needed before zf_poll_wait, and the caller counts as asleep on each socket
 * (so that other threads draining its fd pass wake-ups on): an armed scan that returns 0 must
 * be followed by zf_poll_wait, which ends that; one that returns anything else ended it.
 * Returns the number of ready items. */
int zf_poll_scan(zf_pollitem *items, int n, int arm);
/* Sleep on all items until something may have changed (call without the GIL).
 * 0, -EAGAIN timeout, -EINTR. */
int zf_poll_wait(zf_pollitem *items, int n, int timeout_ms);

/* Proxy: forward messages both ways until the control socket says TERMINATE (returns 1),
 * a signal arrives or an idle wait of wait_ms ends (-EINTR: look for signals and call again,
 * the state is kept), or the context ends (-ETERM). wait_ms < 0 sleeps until something happens;
 * the binding gives a slice, since on Windows (and for _thread.interrupt_main anywhere) no
 * signal cuts the wait short. stats: frontend msgs in, bytes in, msgs out, bytes out, then the
 * same for the backend. */
typedef struct zf_proxy {
    zf_sock *front, *back, *capture, *control;
    int paused;
    int wait_ms;
    uint64_t stats[8];
} zf_proxy;
int zf_proxy_run(zf_proxy *px);

#endif
