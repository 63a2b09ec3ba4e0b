/* socket.c: socket lifetime, mailbox, endpoints, the data entry points and sharing a socket
 * between threads. Waiting and polling are in socket_wait.c, options in socket_options.c,
 * routing in route.c and the patterns in sock_*.c. */
#include "socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor.h"
#include "session.h"
#include "sys.h"
#include "zmtp.h"

/* ---- lifetime and references ------------------------------------------------------------- */

static const zf_sock_link_ops link_ops;

int zf_sock_create(zf_ctx_link *c, int type, const zf_sock_ops *ops, zf_sock **out)
{
    zf_sock *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int rc = zf_signal_init(&s->sig);
    if (rc < 0) {
        free(s);
        return rc;
    }
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->mlock, NULL);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_mutex_init(&s->blank_lock, NULL);
    s->ops = ops;
    s->link.ops = &link_ops;
    s->link.ctx = c;
    s->rr.next_rid = (uint32_t)zf_now_ms() * 2654435761u; /* ROUTER ids start anywhere, as libzmq's do */
    zf_opts_defaults(&s->opts, type);
    *out = s;
    return 0;
}

void zf_sock_ref(zf_sock *s) { atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed); }

void zf_sock_unref(zf_sock *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    zf_signal_close(&s->sig);
    pthread_mutex_destroy(&s->mlock);
    pthread_mutex_destroy(&s->blank_lock);
    pthread_mutex_destroy(&s->lock);
    zf_monitor_free(atomic_load(&s->link.monitor));
    free(s->pipes);
    zf_fq_free(s);
    free(s->rr.env);
    free(s->ps.dist);
    free(s->ps.welcome);
    zf_subs_clear(&s->ps.subs);
    zf_opts_forget_secret(&s->opts);
    while (s->ps.notes_head) {
        zf_buf *n = s->ps.notes_head->next;
        zf_buf_unref(s->ps.notes_head);
        s->ps.notes_head = n;
    }
    free(s);
}

static void sock_wake(void *arg, zf_pipe *p, int end)
{
    (void)p;
    (void)end;
    zf_signal_raise(&((zf_sock *)arg)->sig);
}

static void sock_release(void *owner) { zf_sock_unref(owner); }

void zf_sock_own_end(zf_sock *s, zf_pipe *p, int e)
{
    zf_pipe_end *end = &p->end[e];
    end->owner = s;
    end->waker.parked = &s->sig.parked;
    end->waker.wake = sock_wake;
    end->waker.arg = s;
    end->release = sock_release;
    zf_sock_ref(s);
}

/* ---- sharing a socket between threads -----------------------------------------------------
 *
 * A socket's own state (its pipes, cursors, pattern state, mailbox processing) has no lock of
 * its own on the hot path: the binding keeps a socket's callers apart with the GIL. What that
 * leaves out is every call made without the GIL: a thread blocked in zf_sock_wait looks at the
 * socket (its spin, its last look before sleeping, the mail it processes, which attaches pipes)
 * while another thread, holding the GIL, may be sending; a nogil close or bind; the proxy; and,
 * on a free-threaded CPython, every call. Such a caller declares itself first, still inside
 * the exclusion (zf_sock_share), and from then on until it is gone every entry point takes
 * s->lock, it included. A caller holding the GIL that finds shared at 0 knows that no such
 * caller exists and none can appear before it lets the GIL go: it pays one relaxed load. The
 * free-threaded binding shares each socket for good: each call there pays an uncontended mutex
 * (two atomic operations), about what a critical section costs. The lock is recursive because
 * getsockopt(EVENTS), taken under zf_sock_enter by the binding, calls zf_sock_events. Lock order:
 * s->lock, then the context's or the mailbox's lock; the I/O thread never takes it. */

/* The entry points' own bodies are inlined into them (ZF_HOT_BODY) and their locked paths kept
 * out of line (ZF_SLOW_PATH): see zf_sock_send. */
#if defined(__GNUC__) || defined(__clang__)
#define ZF_SLOW_PATH __attribute__((noinline, cold))
#define ZF_HOT_BODY inline __attribute__((always_inline))
#else
#define ZF_SLOW_PATH
#define ZF_HOT_BODY inline
#endif

void zf_sock_share(zf_sock *s, int delta) { atomic_fetch_add(&s->shared, delta); }
int zf_sock_enter(zf_sock *s) { return zf_sock_lock_shared(s); }
void zf_sock_leave(zf_sock *s, int entered) { zf_sock_unlock_shared(s, entered); }

/* ---- mailbox ----------------------------------------------------------------------------- */

int zf_sock_post(zf_sock *s, int type, zf_pipe *p)
{
    zf_sock_cmd *c = malloc(sizeof *c);
    if (!c)
        return -1;
    c->next = NULL;
    c->type = type;
    c->pipe = p;
    pthread_mutex_lock(&s->mlock);
    if (s->mclosed) {
        pthread_mutex_unlock(&s->mlock);
        free(c);
        return -1;
    }
    if (s->mtail)
        s->mtail->next = c;
    else
        s->mhead = c;
    s->mtail = c;
    /* which kinds wait: send_mail_deferred lets only TERMs wait */
    atomic_store_explicit(&s->mpending,
                          atomic_load_explicit(&s->mpending, memory_order_relaxed) |
                              (type == ZF_SCMD_TERM ? ZF_MAIL_TERM : ZF_MAIL_OTHER),
                          memory_order_relaxed);
    pthread_mutex_unlock(&s->mlock);
    zf_signal_kick(&s->sig);
    return 0;
}

static int has_only_delim(zf_sock *s, zf_pipe *p)
{
    zf_rec *r = zf_queue_peek(zf_pipe_inq(p, zf_sock_end(s, p)));
    return r && (r->flags & ZF_REC_DELIM);
}

static void run_cmd(zf_sock *s, zf_sock_cmd *c)
{
    zf_pipe *p = c->pipe;
    if (c->type == ZF_SCMD_ATTACH) {
        if (s->closed) {
            zf_pipe_close_end(p, zf_sock_end(s, p));
            zf_pipe_unref(p);
        } else {
            zf_sock_attach(s, p); /* the command's reference becomes the socket's */
        }
    } else if (c->type == ZF_SCMD_TERM) {
        int e = zf_sock_end(s, p);
        p->end[e].peer_gone = 1;
        /* A reader keeps the pipe until it has read what arrived before the end. */
        if (p->end[e].slot >= 0 && (!s->ops->reads || has_only_delim(s, p)))
            zf_sock_detach(s, p);
        zf_pipe_unref(p);
    }
    free(c);
}

void zf_sock_process(zf_sock *s)
{
    s->mail_us = zf_now_us(); /* one vDSO clock read per batch of commands, not per call */
    pthread_mutex_lock(&s->mlock);
    zf_sock_cmd *c = s->mhead;
    s->mhead = s->mtail = NULL;
    atomic_store_explicit(&s->mpending, 0, memory_order_relaxed);
    pthread_mutex_unlock(&s->mlock);
    while (c) {
        zf_sock_cmd *n = c->next;
        run_cmd(s, c);
        c = n;
    }
}


/* A send looks at a mailbox that holds only TERMs (a peer's pipe ending) at most once per
 * ZF_SEND_MAIL_US while it succeeds, as libzmq's send processes commands at most once per
 * millisecond of TSC (socket_base_t::process_commands' throttle). What that keeps is libzmq's
 * timing for a send that races a peer's hang-up: the message goes into the pipe whose end is on
 * its way (and is lost with it, as on libzmq) rather than the send blocking for want of a peer;
 * pyzmq's woodhouse example depends on it. New pipes (ATTACH) are taken at once, as before, and a
 * send that cannot proceed always reads the mailbox and tries again (zf_sock_send). Cost: a clock
 * read only while a TERM is pending. */
#define ZF_SEND_MAIL_US 1000

static inline int send_mail_deferred(zf_sock *s)
{
    int pending = atomic_load_explicit(&s->mpending, memory_order_relaxed);
    if (zf_likely(!pending))
        return 0;
    if (pending == ZF_MAIL_TERM && zf_now_us() - s->mail_us < ZF_SEND_MAIL_US)
        return 1;
    zf_sock_process(s);
    return 0;
}

/* ---- pipes ------------------------------------------------------------------------------- */

void zf_sock_attach(zf_sock *s, zf_pipe *p)
{
    int e = zf_sock_end(s, p);
    if (s->ops->attach && s->ops->attach(s, p) < 0) {
        zf_pipe_close_end(p, e);
        zf_pipe_unref(p);
        return;
    }
    if (s->npipes == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        zf_pipe **np = realloc(s->pipes, (size_t)cap * sizeof *np);
        if (!np) {
            zf_pipe_close_end(p, e);
            zf_pipe_unref(p);
            return;
        }
        s->pipes = np;
        s->cap = cap;
    }
    if (zf_fq_add(s, p) < 0) {
        zf_pipe_close_end(p, e);
        zf_pipe_unref(p);
        return;
    }
    p->end[e].slot = s->npipes;
    s->pipes[s->npipes++] = p;
    if (s->opts.conflate) {
        atomic_store(&p->end[e].conflate, 1);
        p->end[e].hwm = 0; /* a conflating writer is never held back: stale messages get dropped */
    }
    if (s->ops->attached)
        s->ops->attached(s, p);
    if (s->rr.probe_router && p->end[e].slot >= 0) {
        /* PROBE_ROUTER: an empty message tells a ROUTER peer we exist */
        zf_pipe_put(p, e, NULL, 0, NULL, 0);
        zf_pipe_commit(p, e);
        zf_pipe_wake_peer(p, e);
    }
    /* Wake a blocked call: a new peer may make a send possible. */
    zf_signal_raise(&s->sig);
}

void zf_sock_detach(zf_sock *s, zf_pipe *p)
{
    int e = zf_sock_end(s, p);
    int slot = p->end[e].slot;
    if (slot < 0)
        return;
    zf_fq_remove(s, p);
    zf_pipe *last = s->pipes[--s->npipes];
    s->pipes[slot] = last;
    last->end[zf_sock_end(s, last)].slot = slot;
    p->end[e].slot = -1;
    if (s->lb_next >= s->npipes)
        s->lb_next = 0;
    if (s->tx_pipe == p)
        s->tx_pipe = NULL; /* the rest of a multipart message in progress is dropped */
    if (s->rx_pipe == p) {
        s->rx_pipe = NULL;
        s->rx_more = 0;
    }
    if (s->rr.reply_pipe == p)
        s->rr.reply_pipe = NULL;
    if (s->last_pipe == p)
        s->last_pipe = NULL;
    if (s->rr.blocked_pipe == p)
        s->rr.blocked_pipe = NULL;
    if (s->ops->detach)
        s->ops->detach(s, p);
    p->end[e].linger = s->opts.linger;
    zf_pipe_close_end(p, e);
    zf_pipe_unref(p);
}

/* ---- endpoints --------------------------------------------------------------------------- */

static zf_endpoint *add_endpoint(zf_sock *s, const char *uri, int transport, int bound)
{
    zf_endpoint *ep = calloc(1, sizeof *ep);
    if (!ep)
        return NULL;
    snprintf(ep->uri, sizeof ep->uri, "%s", uri);
    ep->transport = transport;
    ep->bound = bound;
    ep->next = s->endpoints;
    s->endpoints = ep;
    return ep;
}

static int check_usable(zf_sock *s)
{
    if (zf_unlikely(s->closed))
        return -ENOTSOCK;
    if (zf_unlikely(atomic_load_explicit(&s->link.ctx->terminating, memory_order_relaxed)))
        return -ZF_ETERM;
    zf_sock_check_mail(s);
    return 0;
}

int zf_sock_bind(zf_sock *s, const char *endpoint)
{
    int rc = check_usable(s);
    if (rc < 0)
        return rc;
    zf_addr a;
    rc = zf_addr_parse(endpoint, 1, &a);
    if (rc < 0)
        return rc;
    if (a.transport == ZF_INPROC) {
        rc = s->link.ctx->ops->inproc_bind(s->link.ctx, s, a.name);
        if (rc < 0)
            return rc;
        add_endpoint(s, endpoint, ZF_INPROC, 1);
        snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", endpoint);
        return 0;
    }
    zf_listener *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->t_more.slot = -1; /* not armed (listener.c arms it while connections are parked) */
    zf_ctx_link *c = s->link.ctx;
    l->io = c->ops->choose_io(c, (uint64_t)s->opts.affinity);
    if (!l->io) {
        free(l);
        return -ZF_EMTHREAD; /* AFFINITY names no I/O thread of this context: as libzmq */
    }
    l->sock = &s->link;
    l->opts = s->opts;
    l->addr = a;
    l->h.fd = -1;
    rc = zf_listener_open(l);
    if (rc < 0) {
        zf_monitor_event(&s->link, ZF_EVENT_BIND_FAILED, -rc, endpoint);
        zf_opts_forget_secret(&l->opts);
        zf_io_unload(l->io);
        free(l);
        return rc;
    }
    zf_monitor_event(&s->link, ZF_EVENT_LISTENING, l->h.fd, l->endpoint);
    zf_sock_ref(s);
    zf_endpoint *ep = add_endpoint(s, l->endpoint, a.transport, 1);
    if (ep)
        ep->listener = l;
    snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", l->endpoint);
    zf_listener_post_start(l);
    return 0;
}

/* CONNECT_ROUTING_ID names the next connection's pipe (ROUTER). */
static void take_connect_rid(zf_sock *s, zf_pipe *p, int e)
{
    if (!s->rr.connect_rid_len)
        return;
    memcpy(p->end[e].route_id, s->rr.connect_rid, s->rr.connect_rid_len);
    p->end[e].route_id_len = s->rr.connect_rid_len;
    s->rr.connect_rid_len = 0;
}

/* A CONNECT_ROUTING_ID some pipe already goes by (libzmq asserts; we refuse the connect). */
static int connect_rid_taken(zf_sock *s)
{
    for (int i = 0; s->rr.connect_rid_len && i < s->npipes; i++) {
        zf_pipe_end *e = &s->pipes[i]->end[zf_sock_end(s, s->pipes[i])];
        if (e->route_id_len == s->rr.connect_rid_len && memcmp(e->route_id, s->rr.connect_rid, s->rr.connect_rid_len) == 0)
            return 1;
    }
    return 0;
}

int zf_sock_connect(zf_sock *s, const char *endpoint)
{
    int rc = check_usable(s);
    if (rc < 0)
        return rc;
    if (connect_rid_taken(s))
        return -EINVAL;
    zf_addr a;
    rc = zf_addr_parse(endpoint, 0, &a);
    if (rc < 0)
        return rc;
    if (a.transport == ZF_INPROC) {
        zf_pipe *p = NULL;
        rc = s->link.ctx->ops->inproc_connect(s->link.ctx, s, a.name, &p);
        if (rc == 0 && p)
            take_connect_rid(s, p, zf_sock_end(s, p));
        if (rc < 0)
            return rc;
        zf_endpoint *ep = add_endpoint(s, endpoint, ZF_INPROC, 0);
        if (ep && p) {
            zf_pipe_ref(p);
            ep->pipe = p;
        }
        snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", endpoint);
        return 0;
    }
    /* The session (which is also the connecter: it reconnects on the same thread) lives on the
     * I/O thread chosen for it now, as libzmq chooses one per connect. */
    zf_io *io = s->link.ctx->ops->choose_io(s->link.ctx, (uint64_t)s->opts.affinity);
    if (!io)
        return -ZF_EMTHREAD; /* AFFINITY names no I/O thread of this context: as libzmq */
    zf_pipe *p = NULL;
    if (!s->opts.immediate) {
        p = zf_pipe_new(s->opts.sndhwm > 0 ? (uint64_t)s->opts.sndhwm : 0,
                        s->opts.rcvhwm > 0 && !s->opts.conflate ? (uint64_t)s->opts.rcvhwm : 0);
        if (!p) {
            zf_io_unload(io);
            return -ENOMEM;
        }
        zf_sock_own_end(s, p, 0);
        p->end[0].via_session = 1;
        take_connect_rid(s, p, 0);
    }
    zf_session *ss = zf_session_new_connect(io, &s->link, &s->opts, &a, endpoint, p);
    if (!ss) {
        if (p)
            zf_pipe_unref(p);
        zf_io_unload(io);
        return -ENOMEM;
    }
    zf_endpoint *ep = add_endpoint(s, endpoint, a.transport, 0);
    if (ep) {
        ep->session = ss;
        ep->io = io;
        ep->session_id = zf_session_id(ss);
        if (p) {
            zf_pipe_ref(p);
            ep->pipe = p;
        }
    }
    if (p) {
        zf_pipe_ref(p); /* the socket's; the creation reference is the session's */
        zf_sock_attach(s, p);
    }
    zf_session_post_start(ss);
    snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", endpoint);
    return 0;
}

/* Take an endpoint away: listeners close now, connections flush within LINGER. */
static void end_endpoint(zf_sock *s, zf_endpoint *ep, int closing)
{
    if (ep->listener)
        zf_listener_post_close(ep->listener, !closing);
    if (ep->pipe) {
        if (ep->pipe->end[zf_sock_end(s, ep->pipe)].slot >= 0)
            zf_sock_detach(s, ep->pipe);
        zf_pipe_unref(ep->pipe);
    }
    if (ep->session_id)
        zf_session_post_sock_closed(ep->io, ep->session_id);
    if (ep->transport == ZF_INPROC && ep->bound) {
        zf_addr a;
        if (zf_addr_parse(ep->uri, 1, &a) == 0)
            s->link.ctx->ops->inproc_unbind(s->link.ctx, s, a.name);
    }
    free(ep);
}

static int remove_endpoint(zf_sock *s, const char *endpoint, int bound)
{
    int rc = check_usable(s);
    if (rc < 0)
        return rc;
    zf_addr a;
    rc = zf_addr_parse(endpoint, bound, &a);
    if (rc < 0)
        return rc;
    for (zf_endpoint **pp = &s->endpoints; *pp; pp = &(*pp)->next) {
        zf_endpoint *ep = *pp;
        if (ep->bound == bound && strcmp(ep->uri, endpoint) == 0) {
            *pp = ep->next;
            end_endpoint(s, ep, 0);
            return 0;
        }
    }
    return -ENOENT;
}

/* RECONNECT_STOP_AFTER_DISCONNECT: remember that the application removed an endpoint. */
static int endpoint_removed(zf_sock *s, int rc)
{
    if (rc == 0 && (s->opts.reconnect_stop & ZF_RECONNECT_STOP_AFTER_DISCONNECT))
        atomic_store(&s->link.disconnected, 1);
    return rc;
}

int zf_sock_unbind(zf_sock *s, const char *endpoint)
{
    return endpoint_removed(s, remove_endpoint(s, endpoint, 1));
}
int zf_sock_disconnect(zf_sock *s, const char *endpoint)
{
    return endpoint_removed(s, remove_endpoint(s, endpoint, 0));
}

/* Wake every thread blocked in zf_sock_wait on s (closing is set: they leave with -ENOTSOCK)
 * and wait until none is left inside, so that none reads the socket while close takes it
 * apart. A waiter leaves within one wake-up; the raise is repeated in case one drained the
 * first between its last look at closing and its sleep. Also wakes a Poller sleeping on the
 * socket's fd (the binding then sees the socket gone). Called without s->lock: a waiter takes
 * it for each look. */
static void release_waiters(zf_sock *s)
{
    zf_signal_raise(&s->sig);
    while (atomic_load(&s->waiters)) {
        zf_sys_sleep_us(100);
        zf_signal_raise(&s->sig);
    }
}

/* ---- receive buffers made ahead ---------------------------------------------------------- */

int zf_sock_give_blank(zf_sock *s, zf_buf *b)
{
    pthread_mutex_lock(&s->blank_lock);
    int closed = s->blanks_closed;
    if (!closed) {
        b->next = s->blanks;
        s->blanks = b;
        atomic_fetch_add_explicit(&s->nblanks, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&s->blank_lock);
    return closed ? -ENOTSOCK : 0;
}

int zf_sock_blanks(zf_sock *s) { return atomic_load_explicit(&s->nblanks, memory_order_relaxed); }

zf_buf *zf_sock_take_blank(zf_sock *s, size_t n)
{
    if (!atomic_load_explicit(&s->nblanks, memory_order_relaxed))
        return NULL;
    pthread_mutex_lock(&s->blank_lock);
    zf_buf *b = s->blanks;
    if (b) {
        s->blanks = b->next;
        b->next = NULL;
        atomic_fetch_sub_explicit(&s->nblanks, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&s->blank_lock);
    if (b && (b->size < n || b->size - n > b->size / 8)) {
        zf_buf_unref(b); /* made for frames of another size: back to its owner */
        b = NULL;
    }
    return b;
}

/* Close: every blank goes back to its owner, and no more are taken in. */
static void drop_blanks(zf_sock *s)
{
    pthread_mutex_lock(&s->blank_lock);
    zf_buf *b = s->blanks;
    s->blanks = NULL;
    s->blanks_closed = 1;
    atomic_store_explicit(&s->nblanks, 0, memory_order_relaxed);
    pthread_mutex_unlock(&s->blank_lock);
    while (b) {
        zf_buf *n = b->next;
        zf_buf_unref(b);
        b = n;
    }
}

int zf_sock_close(zf_sock *s, int linger_set, int linger)
{
    /* One close goes ahead: two threads closing one socket (through two Socket objects sharing
     * it) must not both take it apart. */
    if (s->closed || atomic_exchange(&s->closing, 1))
        return -ENOTSOCK;
    release_waiters(s);
    int entered = zf_sock_lock_shared(s); /* a caller that still holds s (a shadow) waits for the end */
    drop_blanks(s);
    if (linger_set)
        s->opts.linger = linger;
    zf_sock_process(s);
    pthread_mutex_lock(&s->mlock);
    s->mclosed = 1; /* from now on posters keep their pipes */
    pthread_mutex_unlock(&s->mlock);
    s->closed = 1;
    /* Left raised: a thread polling this socket's fd (a Poller) beside threads blocked in it may
     * have had release_waiters' wake-ups drained by them; it must wake too and find it closed. */
    zf_signal_raise(&s->sig);
    zf_sock_process(s); /* what slipped in before the door closed */
    while (s->endpoints) {
        zf_endpoint *ep = s->endpoints;
        s->endpoints = ep->next;
        end_endpoint(s, ep, 1);
    }
    s->link.ctx->ops->inproc_unbind(s->link.ctx, s, NULL);
    s->link.ctx->ops->monitor(s->link.ctx, s, NULL, 0);
    while (s->npipes)
        zf_sock_detach(s, s->pipes[s->npipes - 1]);
    /* XPUB_MANUAL's pipe references: a pipe holds its socket, so these must go before free */
    for (zf_buf *b = s->ps.notes_head; b; b = b->next)
        if (b->hint) {
            zf_pipe_unref(b->hint);
            b->hint = NULL;
        }
    if (s->ps.manual_pipe) {
        zf_pipe_unref(s->ps.manual_pipe);
        s->ps.manual_pipe = NULL;
    }
    s->link.ctx->ops->sock_closed(s->link.ctx, s);
    zf_sock_unlock_shared(s, entered);
    zf_sock_unref(s);
    return 0;
}

/* ---- data -------------------------------------------------------------------------------- */

/* check_usable for a send: the mailbox may wait (send_mail_deferred). Returns 1 when mail was
 * left pending, 0 when not, or a negative errno. */
static int check_usable_tx(zf_sock *s)
{
    if (zf_unlikely(s->closed))
        return -ENOTSOCK;
    if (zf_unlikely(atomic_load_explicit(&s->link.ctx->terminating, memory_order_relaxed)))
        return -ZF_ETERM;
    return send_mail_deferred(s);
}

static ZF_HOT_BODY int sock_send(zf_sock *s, const void *data, size_t len, int flags)
{
    int deferred = check_usable_tx(s);
    if (deferred < 0)
        return deferred;
    if (!s->ops->send)
        return -ENOTSUP;
    int rc = s->ops->send(s, data, len, NULL, flags);
    if (zf_unlikely(deferred && rc < 0)) { /* the mail may hold the peer this send needs */
        zf_sock_process(s);
        rc = s->ops->send(s, data, len, NULL, flags);
    }
    return rc;
}

/* buf: the caller's reference is taken either way. A pattern's send consumes it only when it
 * succeeds, so a failed first try leaves it here for the second. */
static ZF_HOT_BODY int sock_send_buf(zf_sock *s, zf_buf *buf, const void *data, size_t len, int flags)
{
    int deferred = check_usable_tx(s);
    int rc = deferred;
    if (rc >= 0)
        rc = s->ops->send ? s->ops->send(s, data, len, buf, flags) : -ENOTSUP;
    if (zf_unlikely(deferred > 0 && rc < 0 && rc != -ENOTSUP)) {
        zf_sock_process(s);
        rc = s->ops->send(s, data, len, buf, flags);
    }
    if (rc < 0)
        zf_buf_unref(buf);
    return rc;
}

static ZF_HOT_BODY int sock_recv(zf_sock *s, zf_frame *f)
{
    int rc = check_usable(s);
    if (rc < 0)
        return rc;
    if (!s->ops->recv)
        return -ENOTSUP;
    rc = s->ops->recv(s, f);
    /* Direct transmit (direct_send.c) only for a reply to what the application waited for: it
     * was ahead of its peers, so latency is what counts. A frame found queued means it is
     * behind them; its replies then go through the I/O thread, which batches beside it. Cost:
     * a test and a store per frame. */
    if (rc == 0) {
        if (s->rx_starved) {
            s->link.rx_since_tx = 1;
            s->rx_starved = 0;
        }
    } else if (rc == -EAGAIN) {
        s->rx_starved = 1;
    }
    return rc;
}

/* The entry points, under the lock while the socket is shared (above). The locked path is a
 * function of its own, kept out of line, and the body inlined into both: the unshared path then
 * saves no register and costs a load, a test and a branch more than before (callgrind: 3
 * instructions per call; written with sock_enter/sock_leave in one function, 9-11). */
static inline int is_shared(zf_sock *s)
{
    return zf_unlikely(atomic_load_explicit(&s->shared, memory_order_relaxed) != 0);
}

static ZF_SLOW_PATH int send_locked(zf_sock *s, zf_buf *buf, const void *data, size_t len, int flags)
{
    pthread_mutex_lock(&s->lock);
    int rc = buf ? sock_send_buf(s, buf, data, len, flags) : sock_send(s, data, len, flags);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static ZF_SLOW_PATH int recv_locked(zf_sock *s, zf_frame *f)
{
    pthread_mutex_lock(&s->lock);
    int rc = sock_recv(s, f);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int zf_sock_send(zf_sock *s, const void *data, size_t len, int flags)
{
    if (is_shared(s))
        return send_locked(s, NULL, data, len, flags);
    return sock_send(s, data, len, flags);
}

int zf_sock_send_buf(zf_sock *s, zf_buf *buf, const void *data, size_t len, int flags)
{
    if (is_shared(s))
        return send_locked(s, buf, data, len, flags);
    return sock_send_buf(s, buf, data, len, flags);
}

int zf_sock_recv(zf_sock *s, zf_frame *f)
{
    if (is_shared(s))
        return recv_locked(s, f);
    return sock_recv(s, f);
}

/* ---- the link (sock_link.h): what sessions, listeners and the monitor may ask ------------- */

/* The link is the socket's first member: a pointer to one is a pointer to the other. */
static zf_sock *sock_of(zf_sock_link *l) { return (zf_sock *)l; }
static void link_ref(zf_sock_link *l) { zf_sock_ref(sock_of(l)); }
static void link_unref(zf_sock_link *l) { zf_sock_unref(sock_of(l)); }
static int link_post(zf_sock_link *l, int type, zf_pipe *p) { return zf_sock_post(sock_of(l), type, p); }
static void link_own_end(zf_sock_link *l, zf_pipe *p, int e) { zf_sock_own_end(sock_of(l), p, e); }
static zf_buf *link_take_blank(zf_sock_link *l, size_t n) { return zf_sock_take_blank(sock_of(l), n); }

static const zf_sock_link_ops link_ops = {
    .ref = link_ref,
    .unref = link_unref,
    .post = link_post,
    .own_end = link_own_end,
    .take_blank = link_take_blank,
};
