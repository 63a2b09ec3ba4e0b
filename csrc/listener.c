/* listener.c: bound tcp/ipc endpoints. The socket opens a listener in the application thread
 * (so bind errors are reported synchronously), then hands it to the I/O thread, which accepts
 * connections into sessions of the accepting side and closes it at unbind or socket close. */
#define ZF_SESSION_INTERNAL
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "sys.h"

/* A connect burst (thousands of peers at once) fills the kernel's accept queue (BACKLOG, at
 * most net.core.somaxconn) while this thread is busy, and a SYN that finds the queue full waits
 * a second to be sent again: those peers then take a second longer to connect. So each turn of
 * the loop first takes every connection the kernel holds (one accept4 each, a few microseconds),
 * parking the fds here, and then makes sessions of at most ZF_ACCEPT_SETUP of them (an
 * allocation and the greeting's write each, tens of microseconds): the kernel's queue is emptied
 * every turn, and the sessions already up wait at most one batch. A single connect is set up in
 * the turn that accepts it, as before. Memory: 4 bytes per parked connection. */
#define ZF_ACCEPT_SETUP 64
#define ZF_ACCEPT_PARK_MAX (1 << 20)

/* accept4 until the kernel has nothing more (or the park is full): 0, or -1 when accepting
 * failed for another reason than EAGAIN (reported; tried again on the next event). */
static int take_pending(zf_listener *l)
{
    for (;;) {
        if (l->parked_head + l->nparked == l->parked_cap) {
            if (l->parked_head > 0) { /* slide the live part to the front */
                memmove(l->parked, l->parked + l->parked_head, (size_t)l->nparked * sizeof *l->parked);
                l->parked_head = 0;
            } else {
                if (l->parked_cap >= ZF_ACCEPT_PARK_MAX)
                    return 0; /* the rest stays in the kernel's queue */
                int cap = l->parked_cap ? l->parked_cap * 2 : 64;
                int *n = realloc(l->parked, (size_t)cap * sizeof *n);
                if (!n)
                    return 0;
                l->parked = n;
                l->parked_cap = cap;
            }
        }
        int fd = zf_net_accept(l->h.fd);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            zf_monitor_event(l->sock, ZF_EVENT_ACCEPT_FAILED, errno, l->endpoint);
            return -1; /* a transient error (EMFILE...): try again on the next event */
        }
        l->parked[l->parked_head + l->nparked++] = fd;
    }
}

/* A session of the accepting side for the connection fd. */
static void set_up(zf_listener *l, int fd)
{
    if (!zf_opts_accepts(&l->opts, fd, l->addr.transport == ZF_TCP)) {
        /* TCP_ACCEPT_FILTER / IPC_FILTER_*: not a peer we take; libzmq reports it so */
        zf_sys_close(fd);
        zf_monitor_event(l->sock, ZF_EVENT_ACCEPT_FAILED, EACCES, l->endpoint);
        return;
    }
    zf_monitor_event(l->sock, ZF_EVENT_ACCEPTED, fd, l->endpoint);
    /* Each connection gets its own thread, as in libzmq: the least loaded of those the
     * listener's AFFINITY allows (the listener's own thread is one of them). */
    zf_ctx_link *c = l->sock->ctx;
    zf_io *io = c->ops->choose_io(c, (uint64_t)l->opts.affinity);
    if (!io) {
        io = l->io;
        atomic_fetch_add_explicit(&io->load, 1, memory_order_relaxed);
    }
    zf_session *s = zf_session_alloc(io, l->sock, &l->opts);
    if (!s) {
        zf_io_unload(io);
        zf_sys_close(fd);
        return;
    }
    s->listener = l;
    s->addr = l->addr;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", l->endpoint);
    zf_net_tune(fd, &s->opts, s->addr.transport == ZF_TCP);
    s->h.fd = fd;
    if (io != l->io) {
        if (zf_session_post_accepted(s) == 0)
            return;
        /* no memory for the command: it stays here (nothing yet depends on its thread) */
        zf_io_unload(io);
        io = s->io = l->io;
        atomic_fetch_add_explicit(&io->load, 1, memory_order_relaxed);
    }
    zf_session_link(s);
    zf_io_add(io, &s->h, ZF_IO_IN);
    s->engine->connected(s);
}

/* One turn: take what the kernel holds, set up a batch, come back at once if some are left. */
static void accept_turn(zf_listener *l)
{
    if (l->h.fd < 0)
        return;
    take_pending(l);
    for (int i = 0; i < ZF_ACCEPT_SETUP && l->nparked > 0 && l->h.fd >= 0; i++) {
        int fd = l->parked[l->parked_head++];
        l->nparked--;
        set_up(l, fd);
    }
    if (l->nparked == 0)
        l->parked_head = 0;
    else
        zf_io_timer_set(l->io, &l->t_more, 0);
}

static void on_accept(zf_handler *h, uint32_t ev)
{
    (void)ev;
    accept_turn(zf_container_of(h, zf_listener, h));
}

static void t_more_fire(zf_timer *t) { accept_turn(zf_container_of(t, zf_listener, t_more)); }

/* USE_FD: listen on a socket the application made, bound and listening already; its address
 * is the endpoint. It is ours from now on: closed with the listener, as libzmq does. */
static int listener_adopt(zf_listener *l)
{
    zf_addr *a = &l->addr;
    int fd = l->opts.use_fd;
    socklen_t len = sizeof a->sa;
    if (zf_sys_getsockname(fd, (struct sockaddr *)&a->sa, &len) < 0)
        return -errno;
    a->salen = len;
    int family = a->sa.ss_family;
    if (!((a->transport == ZF_TCP && (family == AF_INET || family == AF_INET6)) ||
          (a->transport == ZF_IPC && family == AF_UNIX)))
        return -EINVAL; /* not a socket of this endpoint's transport */
    if (a->transport == ZF_IPC) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
        snprintf(a->name, sizeof a->name, "%s", un->sun_path);
    }
    if (zf_sys_set_nonblock(fd) < 0)
        return -errno;
    zf_sys_set_cloexec(fd);
    zf_addr_format(a, l->endpoint, sizeof l->endpoint);
    l->h.fd = fd;
    l->h.on_event = on_accept;
    return 0;
}

int zf_listener_open(zf_listener *l)
{
    zf_addr *a = &l->addr;
    if (l->opts.use_fd >= 0 && a->transport != ZF_INPROC)
        return listener_adopt(l);
    if (a->transport == ZF_IPC && strcmp(a->name, "*") == 0) {
        int e = zf_sys_ipc_wildcard(a->name, sizeof a->name); /* a new private directory */
        if (e < 0)
            return e;
    }
    int rc = zf_addr_resolve(a, 1, l->opts.ipv6);
    if (rc < 0)
        return rc;
    int fd = zf_net_socket(a->sa.ss_family);
    if (fd < 0)
        return -errno;
    if (a->transport == ZF_TCP) {
        zf_sys_set_reuseaddr(fd); /* SO_EXCLUSIVEADDRUSE on Windows: see sys_win.h */
        if (a->sa.ss_family == AF_INET6)
            zf_sys_setsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    } else {
        zf_sys_unlink(a->name); /* a stale socket file from a dead process, as libzmq does */
    }
    if (l->opts.sndbuf > 0)
        zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, l->opts.sndbuf);
    if (l->opts.rcvbuf > 0)
        zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, l->opts.rcvbuf);
    if (a->transport == ZF_TCP) {
        int e = zf_net_bind_to_device(fd, &l->opts);
        if (e < 0) {
            zf_sys_close(fd);
            return e; /* ENODEV for an unknown interface, as libzmq's bind reports */
        }
    }
    if (zf_sys_bind(fd, (struct sockaddr *)&a->sa, a->salen) < 0 ||
        zf_sys_listen(fd, l->opts.backlog > 0 ? l->opts.backlog : 100) < 0) {
        int e = errno;
        zf_sys_close(fd);
        return -e;
    }
    if (a->transport == ZF_TCP) {
        socklen_t len = sizeof a->sa;
        getsockname(fd, (struct sockaddr *)&a->sa, &len);
        a->salen = len;
    }
    zf_addr_format(a, l->endpoint, sizeof l->endpoint);
    l->h.fd = fd;
    l->h.on_event = on_accept;
    return 0;
}

void zf_listener_start(zf_listener *l)
{
    l->t_more.fire = t_more_fire;
    l->next = l->io->listeners;
    l->io->listeners = l;
    zf_io_add(l->io, &l->h, ZF_IO_IN);
}

void zf_listener_stop(zf_listener *l)
{
    zf_io *io = l->io;
    zf_listener **pp = &io->listeners;
    while (*pp && *pp != l)
        pp = &(*pp)->next;
    if (*pp)
        *pp = l->next;
    zf_io_timer_cancel(io, &l->t_more);
    while (l->nparked > 0) { /* accepted, never made sessions: their peers see the close */
        zf_sys_close(l->parked[l->parked_head++]);
        l->nparked--;
    }
    l->parked_head = 0;
    if (l->h.fd >= 0) {
        zf_monitor_event(l->sock, ZF_EVENT_CLOSED, l->h.fd, l->endpoint);
        zf_io_del(io, &l->h);
        zf_sys_close(l->h.fd);
        l->h.fd = -1;
        if (l->addr.transport == ZF_IPC && l->opts.use_fd < 0) /* an adopted fd's file is not ours */
            zf_sys_unlink(l->addr.name);
    }
}

void zf_listener_release_sessions(zf_io *io, zf_listener *l, int with_sessions)
{
    zf_session *s = io->sessions;
    while (s) {
        zf_session *n = s->next;
        if (s->listener == l) {
            s->listener = NULL;
            if (!s->pipe || with_sessions) {
                zf_pipe *p = zf_session_tx_enter(s);
                zf_session_destroy(s);
                zf_session_tx_leave(s, p);
            }
        }
        s = n;
    }
}

/* Stop accepting. Sessions it accepted go with it (unbind), or only those that carry no traffic
 * yet (socket close: the others flush within the linger period). Those on other I/O threads
 * were released by zf_listener_post_close before this runs. */
void zf_listener_close(zf_listener *l, int with_sessions)
{
    zf_io *io = l->io;
    zf_listener_stop(l);
    zf_listener_release_sessions(io, l, with_sessions);
    zf_opts_forget_secret(&l->opts);
    free(l->parked);
    l->parked = NULL;
    zf_sock_link_unref(l->sock);
    zf_io_bury(io, l);
    zf_io_unload(io);
}
