/* socket_wait.c: waiting on a socket (zf_sock_wait, zf_sock_events) and polling sockets and fds
 * together (zf_poll_scan, zf_poll_wait): the socket's readiness, arming its signal, and how
 * several threads asleep on one socket share its wake-ups. Any application thread; every look
 * at the socket under zf_sock_lock_shared (socket.c, "sharing a socket between threads"). */
#include "socket.h"

#include <errno.h>
#include <stdlib.h>

#include "sys.h"

static int readiness(zf_sock *s, int arm)
{
    int ev = 0;
    if (s->ops->has_in) {
        if (s->ops->has_in(s))
            ev |= ZF_POLLIN;
        else
            s->rx_starved = 1;
    }
    if (s->ops->has_out && s->ops->has_out(s, arm))
        ev |= ZF_POLLOUT;
    return ev;
}

/* Threads asleep on the socket's fd, counted by the events they wait for (zf_sock_wait, a
 * Poller between its armed scan and the end of its wait). Counted before their last look. */
static void want(zf_sock *s, int events, int delta)
{
    if (events & ZF_POLLIN)
        atomic_fetch_add_explicit(&s->want_in, delta, memory_order_relaxed);
    if (events & ZF_POLLOUT)
        atomic_fetch_add_explicit(&s->want_out, delta, memory_order_relaxed);
}

/* Drain the fd, declare ourselves parked, then look: any change after this look raises the fd
 * again, so a caller that waits on the fd after a "not ready" answer cannot miss a wake-up.
 *
 * With several threads on one socket the drain is where wake-ups got lost: a change raises the
 * fd once (the parked flag lets one notifier through), every thread asleep on it is woken, but
 * one that drains before another's poll has seen the fd readable leaves that one asleep (four
 * senders and four receivers on one pair stalled so). So a drain answers for what it took: if
 * the look that follows finds the socket ready for what another counted sleeper waits for, the
 * fd is raised again for it. Nothing is ready that anyone waits for: nobody is woken, so
 * sleepers cannot wake each other in a loop. mine: the events the caller is counted for
 * (want), not another's. Cost: two relaxed loads; a raise only with other sleepers. Caller holds
 * the socket (sock_enter). */
static int arm_and_look(zf_sock *s, int mine)
{
    zf_signal_drain(&s->sig);
    zf_signal_park(&s->sig);
    zf_sock_check_mail(s);
    int ev = readiness(s, 1);
    int in = atomic_load_explicit(&s->want_in, memory_order_relaxed) - !!(mine & ZF_POLLIN);
    int out = atomic_load_explicit(&s->want_out, memory_order_relaxed) - !!(mine & ZF_POLLOUT);
    if (((ev & ZF_POLLIN) && in > 0) || ((ev & ZF_POLLOUT) && out > 0))
        zf_signal_raise(&s->sig);
    return ev;
}

int zf_sock_events(zf_sock *s)
{
    int entered = zf_sock_lock_shared(s);
    int ev = 0;
    if (!s->closed && !atomic_load(&s->link.ctx->terminating))
        ev = arm_and_look(s, 0);
    zf_sock_unlock_shared(s, entered);
    return ev;
}

static int only_inproc(zf_sock *s)
{
    if (!s->npipes)
        return 0;
    for (int i = 0; i < s->npipes; i++)
        if (s->pipes[i]->end[zf_sock_end(s, s->pipes[i])].via_session)
            return 0;
    return 1;
}

/* Every look at the socket here is under its lock (the caller shared it: see above); the
 * sleep is not. */
static int wait_ready(zf_sock *s, int events, int timeout_ms)
{
    if (atomic_load(&s->closing))
        return -ENOTSOCK;
    if (atomic_load(&s->link.ctx->terminating))
        return -ZF_ETERM;
    int entered = zf_sock_lock_shared(s);
    int spin = s->link.ctx->spin_us >= 0 ? s->link.ctx->spin_us : (only_inproc(s) ? 50 : 0);
    zf_sock_unlock_shared(s, entered);
    if (spin > 0 && timeout_ms != 0) {
        /* A reply often comes within microseconds: look for it a little before parking, since a
         * parked reader costs its writer a syscall and itself a scheduler wake-up. By default
         * only when every peer is an application thread (inproc): where an I/O thread sits in
         * between, spinning takes the CPU that thread needs (measured: slower on 2 cores). The
         * lock is let go between looks, so that the threads the socket is shared with (the
         * peer, often) get in. */
        int64_t until = zf_now_us() + spin;
        do {
            entered = zf_sock_lock_shared(s);
            zf_sock_check_mail(s);
            int ready = readiness(s, 0) & events;
            zf_sock_unlock_shared(s, entered);
            if (ready)
                return 0;
            zf_cpu_relax();
        } while (zf_now_us() < until);
    }
    entered = zf_sock_lock_shared(s);
    want(s, events, 1);
    int ready = arm_and_look(s, events) & events;
    zf_sock_unlock_shared(s, entered);
    int rc;
    if (ready || atomic_load(&s->mpending))
        rc = 0;
    else if (atomic_load(&s->link.ctx->terminating))
        rc = -ZF_ETERM;
    else if (atomic_load(&s->closing)) /* after arm_and_look's drain: a close's raise is not lost */
        rc = -ENOTSOCK;
    else
        rc = zf_signal_sleep(&s->sig, timeout_ms); /* not drained: see zf_signal_sleep */
    want(s, events, -1);
    return atomic_load(&s->closing) ? -ENOTSOCK : rc;
}

/* Counted (see release_waiters): the count goes up before closing is first read, so either
 * this thread sees closing or close sees this thread. */
int zf_sock_wait(zf_sock *s, int events, int timeout_ms)
{
    atomic_fetch_add(&s->waiters, 1);
    int rc = wait_ready(s, events, timeout_ms);
    atomic_fetch_sub(&s->waiters, 1);
    return rc;
}

/* ---- polling ----------------------------------------------------------------------------- */

/* An armed scan counts its caller asleep on each socket (want) before looking at it, and the
 * count lasts until zf_poll_wait has slept, unless the scan itself answers (ready or failed). */
static void poll_unwant(zf_pollitem *items, int n)
{
    for (int i = 0; i < n; i++)
        if (items[i].sock)
            want(items[i].sock, items[i].events, -1);
}

int zf_poll_scan(zf_pollitem *items, int n, int arm)
{
    int ready = 0, nfds = 0;
    struct pollfd small[32], *pfd = small;
    for (int i = 0; i < n; i++)
        nfds += items[i].sock == NULL;
    if (nfds > 32 && !(pfd = malloc((size_t)nfds * sizeof *pfd)))
        return -ENOMEM;
    int k = 0;
    for (int i = 0; i < n; i++) {
        zf_pollitem *it = &items[i];
        it->revents = 0;
        if (it->sock) {
            zf_sock *s = it->sock;
            int entered = zf_sock_lock_shared(s), rc = 0;
            if (arm)
                want(s, it->events, 1);
            if (s->closed)
                rc = -ENOTSOCK;
            else if (atomic_load(&s->link.ctx->terminating))
                rc = -ZF_ETERM;
            else if (arm)
                it->revents = (short)(arm_and_look(s, it->events) & it->events);
            else {
                zf_sock_check_mail(s);
                it->revents = (short)(readiness(s, 0) & it->events);
            }
            /* after the drain too: a term's raise it took is not lost */
            if (!rc && arm && atomic_load(&s->link.ctx->terminating))
                rc = -ZF_ETERM;
            zf_sock_unlock_shared(s, entered);
            if (rc < 0) {
                if (arm)
                    poll_unwant(items, i + 1);
                if (pfd != small)
                    free(pfd);
                return rc;
            }
        } else {
            pfd[k].fd = it->fd;
            pfd[k].events = (short)((it->events & ZF_POLLIN ? POLLIN : 0) | (it->events & ZF_POLLOUT ? POLLOUT : 0));
            pfd[k].revents = 0;
            k++;
        }
    }
    if (k && zf_sys_poll(pfd, (unsigned)k, 0) > 0) {
        k = 0;
        for (int i = 0; i < n; i++) {
            if (items[i].sock)
                continue;
            short r = pfd[k++].revents;
            items[i].revents = (short)((r & POLLIN ? ZF_POLLIN : 0) | (r & POLLOUT ? ZF_POLLOUT : 0) |
                                       (r & (POLLERR | POLLHUP | POLLNVAL) ? ZF_POLLERR : 0));
            items[i].revents &= (short)(items[i].events | ZF_POLLERR);
        }
    }
    for (int i = 0; i < n; i++)
        ready += items[i].revents != 0;
    if (pfd != small)
        free(pfd);
    if (arm && ready)
        poll_unwant(items, n);
    return ready;
}

int zf_poll_wait(zf_pollitem *items, int n, int timeout_ms)
{
    struct pollfd small[32], *pfd = small;
    if (n > 32 && !(pfd = malloc((size_t)n * sizeof *pfd))) {
        poll_unwant(items, n);
        return -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        zf_pollitem *it = &items[i];
        if (it->sock) {
            pfd[i].fd = it->sock->sig.rfd;
            pfd[i].events = POLLIN;
        } else {
            pfd[i].fd = it->fd;
            pfd[i].events = (short)((it->events & ZF_POLLIN ? POLLIN : 0) | (it->events & ZF_POLLOUT ? POLLOUT : 0));
        }
        pfd[i].revents = 0;
    }
    int rc = zf_sys_poll(pfd, (unsigned)n, timeout_ms); /* no drain: see zf_signal_sleep */
    int err = errno;
    if (pfd != small)
        free(pfd);
    poll_unwant(items, n); /* the armed scan's */
    if (rc < 0)
        return -err;
    return rc == 0 ? -EAGAIN : 0;
}
