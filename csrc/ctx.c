/* ctx.c: contexts: I/O threads, the socket list, the inproc endpoint table, termination. */
#include "ctx.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zmtp.h"

enum { ZF_CTX_IO_THREADS = 1, ZF_CTX_MAX_SOCKETS = 2, ZF_CTX_SOCKET_LIMIT = 3, ZF_CTX_IPV6 = 42,
       ZF_CTX_BLOCKY = 70, ZF_CTX_MSG_T_SIZE = 6 };
/* libzmq's numbers: THREAD_PRIORITY shares 3 with SOCKET_LIMIT (set is one, get the other) */
enum { ZF_CTX_THREAD_PRIORITY = 3, ZF_CTX_THREAD_SCHED_POLICY = 4, ZF_CTX_MAX_MSGSZ = 5,
       ZF_CTX_AFFINITY_CPU_ADD = 7, ZF_CTX_AFFINITY_CPU_REMOVE = 8, ZF_CTX_THREAD_NAME_PREFIX = 9,
       ZF_CTX_ZERO_COPY_RECV = 10 };
enum { AFFINITY_CPUS = 16 * 64 };

static void more_defaults(zf_ctx *c, int io_threads);
static void tune_io_thread(zf_ctx *c, zf_io *io, int n);
static int set_more(zf_ctx *c, int option, int value);
static int get_more(zf_ctx *c, int option, int *value);
static const zf_ctx_ops ctx_ops;

/* The link is embedded in the context (ctx.h). */
static zf_ctx *ctx_of(zf_ctx_link *l) { return (zf_ctx *)((char *)l - offsetof(zf_ctx, link)); }

zf_ctx *zf_ctx_new(int io_threads)
{
    if (io_threads < 0)
        return NULL;
    zf_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->nio = io_threads > 0 ? io_threads : 1;
    c->max_sockets = 1023;
    c->blocky = 1;
    const char *spin = getenv("ZMQFAST_SPIN_US");
    c->link.ops = &ctx_ops;
    c->link.spin_us = spin ? atoi(spin) : -1; /* -1: decide per socket */
    atomic_init(&c->link.next_id, 1);
    more_defaults(c, io_threads);
    return c;
}

/* I/O threads start with the first socket, so a context that does nothing costs no thread.
 * Under c->lock. From then on c->io and c->nio stay as they are until term has waited for every
 * socket to close, which is what lets zf_ctx_choose_io read them without the lock. */
void zf_ctx_start_io(zf_ctx *c)
{
    if (c->io_running)
        return;
    c->io = calloc((size_t)c->nio, sizeof(zf_io));
    int started = 0;
    for (int i = 0; c->io && i < c->nio; i++)
        if (zf_io_start(&c->io[i], c) == 0) {
            tune_io_thread(c, &c->io[i], i);
            started++;
        }
        else
            break;
    c->nio = started;
    c->io_running = 1;
}

/* libzmq's rule (ctx_t::choose_io_thread): among the threads whose index has its bit set in the
 * AFFINITY mask (0: all of them), the one with the fewest objects attached; the lowest index
 * wins a tie. The load is taken here, before the object reaches its thread, so a burst of
 * connects or accepts spreads out instead of all reading the same counts. Costs one relaxed
 * load per thread and one atomic add: once per connection or bind, never per message. Threads
 * beyond the 64th are reachable with a mask of 0 only, as in libzmq. */
zf_io *zf_ctx_choose_io(zf_ctx *c, uint64_t affinity)
{
    zf_io *best = NULL;
    int best_load = 0;
    for (int i = 0; c->io && i < c->nio; i++) {
        if (affinity && (i >= 64 || !(affinity & (1ULL << i))))
            continue;
        int load = atomic_load_explicit(&c->io[i].load, memory_order_relaxed);
        if (!best || load < best_load) {
            best = &c->io[i];
            best_load = load;
        }
    }
    if (best)
        atomic_fetch_add_explicit(&best->load, 1, memory_order_relaxed);
    return best;
}

int zf_ctx_set(zf_ctx *c, int option, int value)
{
    switch (option) {
    case ZF_CTX_IO_THREADS:
        if (value < 0)
            return -EINVAL;
        /* As libzmq: the value is kept (and reported), but only the first socket starts
         * threads; set after that, it changes nothing that runs. */
        pthread_mutex_lock(&c->lock);
        if (!c->io_running)
            c->nio = value > 0 ? value : 1;
        c->io_threads_asked = value;
        pthread_mutex_unlock(&c->lock);
        return 0;
    case ZF_CTX_MAX_SOCKETS:
        if (value < 1)
            return -EINVAL;
        c->max_sockets = value;
        return 0;
    case ZF_CTX_IPV6:
        if (value < 0)
            return -EINVAL; /* as libzmq */
        c->ipv6 = value != 0;
        return 0;
    case ZF_CTX_BLOCKY:
        if (value < 0)
            return -EINVAL;
        c->blocky = value != 0;
        return 0;
    default:
        return set_more(c, option, value);
    }
}

int zf_ctx_get(zf_ctx *c, int option)
{
    switch (option) {
    case ZF_CTX_IO_THREADS: return c->nio;
    case ZF_CTX_MAX_SOCKETS: return c->max_sockets;
    case ZF_CTX_SOCKET_LIMIT: return 65535;
    case ZF_CTX_IPV6: return c->ipv6;
    case ZF_CTX_BLOCKY: return c->blocky;
    case ZF_CTX_MSG_T_SIZE: return 64;
    default: {
        int v;
        int rc = get_more(c, option, &v);
        return rc < 0 ? rc : v;
    }
    }
}

/* ---- libzmq's other context options -------------------------------------------------------- */

static void more_defaults(zf_ctx *c, int io_threads)
{
    c->io_threads_asked = io_threads;
    c->thread_priority = -1;
    c->thread_sched_policy = -1;
    c->max_msgsz = 0x7fffffff;
    c->zero_copy_recv = 1;
}

static int set_more(zf_ctx *c, int option, int value)
{
    if (value < 0 && option != ZF_CTX_THREAD_NAME_PREFIX)
        return -EINVAL; /* libzmq takes only non-negative values, but for the name prefix */
    switch (option) {
    case ZF_CTX_THREAD_PRIORITY: c->thread_priority = value; return 0;
    case ZF_CTX_THREAD_SCHED_POLICY: c->thread_sched_policy = value; return 0;
    case ZF_CTX_MAX_MSGSZ: c->max_msgsz = value; return 0;
    case ZF_CTX_THREAD_NAME_PREFIX: c->thread_name_prefix = value; return 0;
    case ZF_CTX_ZERO_COPY_RECV: c->zero_copy_recv = value != 0; return 0;
    case ZF_CTX_AFFINITY_CPU_ADD:
    case ZF_CTX_AFFINITY_CPU_REMOVE: {
        if (value >= AFFINITY_CPUS)
            return -EINVAL;
        uint64_t bit = 1ULL << (value % 64);
        uint64_t *w = &c->affinity[value / 64];
        if (option == ZF_CTX_AFFINITY_CPU_ADD) {
            *w |= bit;
            return 0;
        }
        if (!(*w & bit))
            return -EINVAL; /* as libzmq: removing a CPU that was never added */
        *w &= ~bit;
        return 0;
    }
    default: return -EINVAL;
    }
}

static int get_more(zf_ctx *c, int option, int *value)
{
    switch (option) {
    case ZF_CTX_IO_THREADS: *value = c->io_threads_asked; return 0;
    case ZF_CTX_THREAD_SCHED_POLICY: *value = c->thread_sched_policy; return 0;
    case ZF_CTX_MAX_MSGSZ: *value = c->max_msgsz; return 0;
    case ZF_CTX_THREAD_NAME_PREFIX: *value = c->thread_name_prefix; return 0;
    case ZF_CTX_ZERO_COPY_RECV: *value = c->zero_copy_recv; return 0;
    default: return -EINVAL; /* THREAD_AFFINITY_*: write-only in libzmq */
    }
}

int zf_ctx_get_ext(zf_ctx *c, int option, int *value)
{
    if (get_more(c, option, value) == 0)
        return 0;
    int rc = zf_ctx_get(c, option);
    if (rc < 0)
        return rc;
    *value = rc;
    return 0;
}

/* What libzmq does to its I/O threads at start: a name with the prefix, the CPU set, the
 * scheduling policy and priority. Best effort: a setting the system refuses is left out. */
static void tune_io_thread(zf_ctx *c, zf_io *io, int n)
{
#ifdef __linux__
    char name[48];
    if (c->thread_name_prefix)
        snprintf(name, sizeof name, "%d/ZMQbg/IO/%d", c->thread_name_prefix, n);
    else
        snprintf(name, sizeof name, "ZMQbg/IO/%d", n);
    name[15] = 0; /* the kernel keeps 15 characters */
    pthread_setname_np(io->thread, name);
    cpu_set_t set;
    CPU_ZERO(&set);
    int any = 0;
    for (int cpu = 0; cpu < AFFINITY_CPUS && cpu < CPU_SETSIZE; cpu++)
        if (c->affinity[cpu / 64] & (1ULL << (cpu % 64))) {
            CPU_SET(cpu, &set);
            any = 1;
        }
    if (any)
        pthread_setaffinity_np(io->thread, sizeof set, &set);
#else
    (void)n;
#endif
    if (c->thread_priority >= 0 || c->thread_sched_policy >= 0) {
        int policy;
        struct sched_param sp;
        if (pthread_getschedparam(io->thread, &policy, &sp) == 0) {
            if (c->thread_sched_policy >= 0)
                policy = c->thread_sched_policy;
            if (c->thread_priority >= 0)
                sp.sched_priority = c->thread_priority;
            pthread_setschedparam(io->thread, policy, &sp);
        }
    }
}

void zf_ctx_shutdown(zf_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->link.terminating, 1);
    for (zf_sock *s = c->sockets; s; s = s->ctx_next)
        zf_signal_raise(&s->sig);
    pthread_mutex_unlock(&c->lock);
}

void zf_ctx_session_born(zf_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    c->live_sessions++;
    pthread_mutex_unlock(&c->lock);
}

void zf_ctx_session_died(zf_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    c->live_sessions--;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* The pattern of each socket type: the context names them, as libzmq's socket factory does, so
 * that the socket core never names the patterns above it. */
static const zf_sock_ops *ops_for(int type)
{
    switch (type) {
    case ZF_PAIR: return &zf_pair_ops;
    case ZF_PUSH: return &zf_push_ops;
    case ZF_PULL: return &zf_pull_ops;
    case ZF_DEALER: return &zf_dealer_ops;
    case ZF_ROUTER: return &zf_router_ops;
    case ZF_REQ: return &zf_req_ops;
    case ZF_REP: return &zf_rep_ops;
    case ZF_PUB: return &zf_pub_ops;
    case ZF_SUB: return &zf_sub_ops;
    case ZF_XPUB: return &zf_xpub_ops;
    case ZF_XSUB: return &zf_xsub_ops;
    case ZF_STREAM: return &zf_stream_ops;
    default: return NULL;
    }
}

/* zmq_socket: the context makes the socket (socket.c) and registers it; the socket tells it when
 * it has closed (sock_closed, through its link). */
int zf_sock_new(zf_ctx *c, int type, zf_sock **out)
{
    if (type < 0 || type >= ZF_NTYPES)
        return -EINVAL;
    const zf_sock_ops *ops = ops_for(type);
    if (!ops)
        return -ENOTSUP;
    zf_sock *s;
    int rc = zf_sock_create(&c->link, type, ops, &s);
    if (rc < 0)
        return rc;
    s->opts.ipv6 = c->ipv6;
    pthread_mutex_lock(&c->lock);
    if (atomic_load(&c->link.terminating) || c->forgotten)
        rc = -ZF_ETERM;
    else if (c->nsockets >= c->max_sockets)
        rc = -EMFILE;
    if (rc < 0) {
        pthread_mutex_unlock(&c->lock);
        zf_sock_unref(s);
        return rc;
    }
    zf_ctx_start_io(c); /* each connection and listener then picks its thread (choose_io) */
    c->nsockets++;
    s->ctx_next = c->sockets;
    if (c->sockets)
        c->sockets->ctx_prev = s;
    c->sockets = s;
    pthread_mutex_unlock(&c->lock);
    *out = s;
    return 0;
}

static void sock_closed(zf_ctx *c, zf_sock *s)
{
    pthread_mutex_lock(&c->lock);
    if (s->ctx_prev)
        s->ctx_prev->ctx_next = s->ctx_next;
    else
        c->sockets = s->ctx_next;
    if (s->ctx_next)
        s->ctx_next->ctx_prev = s->ctx_prev;
    c->nsockets--;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

int zf_ctx_term_wait(zf_ctx *c, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&c->lock);
    while (c->nsockets > 0 || c->live_sessions > 0) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&c->cond, &c->lock);
        } else if (pthread_cond_timedwait(&c->cond, &c->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&c->lock);
            return -EAGAIN;
        }
    }
    int running = c->io_running;
    c->io_running = 0;
    pthread_mutex_unlock(&c->lock);
    if (running) {
        for (int i = 0; i < c->nio; i++)
            zf_io_stop(&c->io[i]);
        free(c->io);
        c->io = NULL;
    }
    return 0;
}

void zf_ctx_free(zf_ctx *c)
{
    zf_inproc *e = c->inproc;
    while (e) {
        zf_inproc *n = e->next;
        if (e->pipe)
            zf_pipe_unref(e->pipe);
        free(e);
        e = n;
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}

void zf_ctx_forget(zf_ctx *c)
{
    /* In a forked child the I/O threads and their fds are the parent's: touch nothing. */
    c->forgotten = 1;
    atomic_store(&c->link.terminating, 1);
    c->io_running = 0;
}

zf_release_stack *zf_ctx_release_stack(zf_ctx *c) { return &c->release; }

int64_t zf_clock_ms(void) { return zf_now_ms(); }

/* ---- inproc ------------------------------------------------------------------------------ */

/* Join connecter (end 0) and binder (end 1): peer facts and the binder's ownership of end 1. */
static void join(zf_pipe *p, zf_sock *connecter, zf_sock *binder)
{
    p->end[0].peer_type = binder->opts.type;
    p->end[0].peer_id_len = binder->opts.identity_len;
    memcpy(p->end[0].peer_id, binder->opts.identity, binder->opts.identity_len);
    p->end[1].peer_type = connecter->opts.type;
    p->end[1].peer_id_len = connecter->opts.identity_len;
    memcpy(p->end[1].peer_id, connecter->opts.identity, connecter->opts.identity_len);
    /* HWM across inproc is the sum of the sender's SNDHWM and the receiver's RCVHWM. */
    p->end[0].hwm = hwm_pair(connecter->opts.sndhwm, binder->opts.rcvhwm);
    p->end[1].hwm = hwm_pair(binder->opts.sndhwm, connecter->opts.rcvhwm);
    /* A CONFLATE reader keeps only the newest message: it never holds its writer back. */
    if (binder->opts.conflate)
        p->end[0].hwm = 0;
    if (connecter->opts.conflate)
        p->end[1].hwm = 0;
    zf_sock_own_end(binder, p, 1);
}

/* With the lock held: a new table entry for a binder of name, or NULL with *err set
 * (EADDRINUSE when someone is bound there already). */
static zf_inproc *claim_name(zf_ctx *c, const char *name, int *err)
{
    for (zf_inproc *e = c->inproc; e; e = e->next) {
        if ((e->sock || e->mon) && strcmp(e->name, name) == 0) {
            *err = -EADDRINUSE;
            return NULL;
        }
    }
    zf_inproc *b = calloc(1, sizeof *b);
    if (!b) {
        *err = -ENOMEM;
        return NULL;
    }
    strcpy(b->name, name);
    return b;
}

/* With the lock held: take the connects to name that came before its binder. Up to `max`
 * (-1: all) pipes of a type compatible with `type` (-1: any) are returned (malloc'd array,
 * references included); the others are closed, so their connecters see the peer gone. */
static zf_pipe **take_pending(zf_ctx *c, const char *name, int type, int max, int *n)
{
    zf_pipe **out = NULL;
    int cap = 0;
    *n = 0;
    for (zf_inproc **pp = &c->inproc; *pp;) {
        zf_inproc *e = *pp;
        if (e->sock || e->mon || strcmp(e->name, name) != 0) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        int keep = (max < 0 || *n < max) && (type < 0 || zf_zmtp_compatible(type, e->connecter_type));
        if (keep && *n == cap) {
            cap = cap ? cap * 2 : 8;
            zf_pipe **grown = realloc(out, (size_t)cap * sizeof *out);
            if (grown)
                out = grown;
            else
                keep = 0;
        }
        if (keep) {
            out[(*n)++] = e->pipe;
        } else {
            zf_pipe_close_end(e->pipe, 1);
            zf_pipe_unref(e->pipe);
        }
        free(e);
    }
    return out;
}

int zf_ctx_inproc_bind(zf_ctx *c, zf_sock *s, const char *name)
{
    int err = 0;
    pthread_mutex_lock(&c->lock);
    zf_inproc *b = claim_name(c, name, &err);
    if (!b) {
        pthread_mutex_unlock(&c->lock);
        return err;
    }
    b->sock = s;
    int nready = 0;
    zf_pipe **ready = take_pending(c, name, s->opts.type, -1, &nready);
    b->next = c->inproc;
    c->inproc = b;
    pthread_mutex_unlock(&c->lock);
    for (int i = 0; i < nready; i++) {
        zf_pipe *p = ready[i];
        join(p, p->end[0].owner, s);
        zf_sock_attach(s, p); /* the table's reference becomes ours */
    }
    free(ready);
    return 0;
}

void zf_ctx_inproc_unbind(zf_ctx *c, zf_sock *s, const char *name)
{
    pthread_mutex_lock(&c->lock);
    for (zf_inproc **pp = &c->inproc; *pp;) {
        zf_inproc *e = *pp;
        if (e->sock == s && (!name || strcmp(e->name, name) == 0)) {
            *pp = e->next;
            free(e);
            continue;
        }
        pp = &e->next;
    }
    pthread_mutex_unlock(&c->lock);
}

int zf_ctx_inproc_connect(zf_ctx *c, zf_sock *s, const char *name, zf_pipe **out)
{
    zf_pipe *p = zf_pipe_new(0, 0);
    if (!p)
        return -ENOMEM;
    zf_sock_own_end(s, p, 0);
    pthread_mutex_lock(&c->lock);
    zf_sock *binder = NULL;
    zf_monitor *mon = NULL;
    for (zf_inproc *e = c->inproc; e; e = e->next)
        if ((e->sock || e->mon) && strcmp(e->name, name) == 0) {
            binder = e->sock;
            mon = e->mon;
            break;
        }
    if (mon) {
        p->end[0].hwm = hwm_pair(s->opts.sndhwm, s->opts.rcvhwm);
        p->end[1].hwm = hwm_pair(s->opts.sndhwm, s->opts.rcvhwm);
        zf_pipe_ref(p);
        zf_monitor_take_pipe(mon, p);
        pthread_mutex_unlock(&c->lock);
        zf_sock_attach(s, p);
        *out = p;
        return 0;
    }
    if (binder && !zf_zmtp_compatible(s->opts.type, binder->opts.type)) {
        pthread_mutex_unlock(&c->lock);
        zf_pipe_unref(p);
        *out = NULL;
        return 0; /* like tcp: an incompatible peer simply never talks to us */
    }
    if (binder) {
        join(p, s, binder);
        zf_pipe_ref(p);
        if (zf_sock_post(binder, ZF_SCMD_ATTACH, p) < 0)
            zf_pipe_unref(p);
    } else {
        zf_inproc *e = calloc(1, sizeof *e);
        if (!e) {
            pthread_mutex_unlock(&c->lock);
            zf_pipe_unref(p);
            return -ENOMEM;
        }
        strcpy(e->name, name);
        e->pipe = p;
        e->connecter_type = s->opts.type;
        zf_pipe_ref(p);
        /* Until a binder comes, HWM is ours alone. */
        p->end[0].hwm = hwm_pair(s->opts.sndhwm, s->opts.rcvhwm);
        e->next = c->inproc;
        c->inproc = e;
    }
    pthread_mutex_unlock(&c->lock);
    zf_sock_attach(s, p); /* the creation reference is ours */
    *out = p;
    return 0;
}

int zf_ctx_inproc_attach_io(zf_ctx *c, const char *name, zf_pipe *p, int as_type)
{
    pthread_mutex_lock(&c->lock);
    zf_sock *binder = NULL;
    for (zf_inproc *e = c->inproc; e; e = e->next)
        if (e->sock && strcmp(e->name, name) == 0) {
            binder = e->sock;
            break;
        }
    if (!binder) {
        pthread_mutex_unlock(&c->lock);
        return -ECONNREFUSED;
    }
    p->end[0].peer_type = binder->opts.type;
    p->end[1].peer_type = as_type;
    p->end[0].hwm = p->end[1].hwm = 0; /* one request, one reply */
    zf_sock_own_end(binder, p, 1);     /* under the lock: the binder cannot be freed meanwhile */
    zf_pipe_ref(p);                    /* the binder's */
    int rc = zf_sock_post(binder, ZF_SCMD_ATTACH, p);
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        zf_pipe_unref(p);
        return -ECONNREFUSED; /* closing: as good as absent */
    }
    return 0;
}

int zf_ctx_inproc_bind_monitor(zf_ctx *c, zf_monitor *m, const char *name)
{
    if (!*name || strlen(name) >= 256)
        return -EINVAL;
    int err = 0;
    pthread_mutex_lock(&c->lock);
    zf_inproc *b = claim_name(c, name, &err);
    if (!b) {
        pthread_mutex_unlock(&c->lock);
        return err;
    }
    b->mon = m;
    int npending = 0;
    zf_pipe **pending = take_pending(c, name, -1, 1, &npending); /* only one PAIR listens */
    b->next = c->inproc;
    c->inproc = b;
    pthread_mutex_unlock(&c->lock);
    if (npending)
        zf_monitor_take_pipe(m, pending[0]); /* the table's reference becomes the monitor's */
    free(pending);
    return 0;
}

void zf_ctx_inproc_unbind_monitor(zf_ctx *c, zf_monitor *m)
{
    pthread_mutex_lock(&c->lock);
    for (zf_inproc **pp = &c->inproc; *pp;) {
        zf_inproc *e = *pp;
        if (e->mon == m) {
            *pp = e->next;
            free(e);
            continue;
        }
        pp = &e->next;
    }
    pthread_mutex_unlock(&c->lock);
}

/* Start (endpoint set) or stop (NULL) monitoring socket s. Here, not in monitor.c: the
 * monitor's address is an entry of this context's inproc table. */
int zf_sock_monitor(zf_sock *s, const char *endpoint, int events)
{
    zf_monitor *m = atomic_load(&s->link.monitor);
    if (!endpoint) {
        if (!m)
            return 0;
        zf_pipe *p = zf_monitor_stop(m);
        if (p) {
            zf_pipe_close_end(p, 1);
            zf_pipe_unref(p);
        }
        zf_ctx_inproc_unbind_monitor(ctx_of(s->link.ctx), m);
        return 0;
    }
    if (strncmp(endpoint, "inproc://", 9) != 0)
        return -EPROTONOSUPPORT; /* libzmq monitors only over inproc */
    if (!m) {
        m = zf_monitor_new();
        if (!m)
            return -ENOMEM;
        atomic_store(&s->link.monitor, m);
    } else {
        zf_sock_monitor(s, NULL, 0);
    }
    zf_monitor_set_events(m, events);
    return zf_ctx_inproc_bind_monitor(ctx_of(s->link.ctx), m, endpoint + 9);
}

/* ---- the link (ctx_link.h): what sockets, sessions and ZAP requests may ask ---------------- */

static int link_inproc_bind(zf_ctx_link *l, zf_sock *s, const char *name)
{
    return zf_ctx_inproc_bind(ctx_of(l), s, name);
}
static void link_inproc_unbind(zf_ctx_link *l, zf_sock *s, const char *name)
{
    zf_ctx_inproc_unbind(ctx_of(l), s, name);
}
static int link_inproc_connect(zf_ctx_link *l, zf_sock *s, const char *name, zf_pipe **out)
{
    return zf_ctx_inproc_connect(ctx_of(l), s, name, out);
}
static int link_inproc_attach_io(zf_ctx_link *l, const char *name, zf_pipe *p, int as_type)
{
    return zf_ctx_inproc_attach_io(ctx_of(l), name, p, as_type);
}
static int link_monitor(zf_ctx_link *l, zf_sock *s, const char *addr, int events)
{
    (void)l;
    return zf_sock_monitor(s, addr, events);
}
static void link_sock_closed(zf_ctx_link *l, zf_sock *s) { sock_closed(ctx_of(l), s); }
static void link_session_born(zf_ctx_link *l) { zf_ctx_session_born(ctx_of(l)); }
static void link_session_died(zf_ctx_link *l) { zf_ctx_session_died(ctx_of(l)); }
static zf_io *link_choose_io(zf_ctx_link *l, uint64_t affinity) { return zf_ctx_choose_io(ctx_of(l), affinity); }
static zf_io *link_io_at(zf_ctx_link *l, int i)
{
    zf_ctx *c = ctx_of(l);
    return c->io && i >= 0 && i < c->nio ? &c->io[i] : NULL;
}

static const zf_ctx_ops ctx_ops = {
    .inproc_bind = link_inproc_bind,
    .inproc_unbind = link_inproc_unbind,
    .inproc_connect = link_inproc_connect,
    .inproc_attach_io = link_inproc_attach_io,
    .monitor = link_monitor,
    .sock_closed = link_sock_closed,
    .session_born = link_session_born,
    .session_died = link_session_died,
    .choose_io = link_choose_io,
    .io_at = link_io_at,
};
