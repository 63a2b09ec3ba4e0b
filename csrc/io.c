/* io.c: the I/O thread's loop: poller, timers, mailbox, and deferred frees.
 * The poller is epoll on Linux and poll(2) elsewhere, behind zf_io_add/set/del. */
#include "io.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__) && !defined(ZF_FORCE_POLL)
#define ZF_EPOLL 1
#include <sys/epoll.h>
#endif

#include "platform.h"

/* ---- poller ------------------------------------------------------------------------------ */
#ifdef ZF_EPOLL
static uint32_t to_epoll(uint32_t ev)
{
    return (ev & ZF_IO_IN ? EPOLLIN : 0) | (ev & ZF_IO_OUT ? EPOLLOUT : 0);
}

int zf_io_add(zf_io *io, zf_handler *h, uint32_t events)
{
    struct epoll_event e = {.events = to_epoll(events), .data.ptr = h};
    h->events = events;
    return epoll_ctl(io->epfd, EPOLL_CTL_ADD, h->fd, &e) < 0 ? -errno : 0;
}

int zf_io_set(zf_io *io, zf_handler *h, uint32_t events)
{
    if (h->events == events)
        return 0;
    struct epoll_event e = {.events = to_epoll(events), .data.ptr = h};
    h->events = events;
    return epoll_ctl(io->epfd, EPOLL_CTL_MOD, h->fd, &e) < 0 ? -errno : 0;
}

void zf_io_del(zf_io *io, zf_handler *h)
{
    struct epoll_event e = {0};
    epoll_ctl(io->epfd, EPOLL_CTL_DEL, h->fd, &e);
    h->events = 0;
}

static int poller_init(zf_io *io)
{
    io->epfd = epoll_create1(EPOLL_CLOEXEC);
    return io->epfd < 0 ? -errno : 0;
}

static void poller_close(zf_io *io) { close(io->epfd); }

/* Wait and dispatch one batch. Handlers retired during the batch stay allocated until after it
 * (see zf_io_bury), so a stale event pointer is never a dangling one; a handler whose fd was
 * closed has events == 0 and is skipped. */
static void poller_wait(zf_io *io, int timeout)
{
    struct epoll_event evs[256];
    int n = epoll_wait(io->epfd, evs, 256, timeout);
    for (int i = 0; i < n; i++) {
        zf_handler *h = evs[i].data.ptr;
        if (h->fd < 0 || !h->events)
            continue;
        uint32_t e = evs[i].events, ev = 0;
        if (e & EPOLLIN)
            ev |= ZF_IO_IN;
        if (e & EPOLLOUT)
            ev |= ZF_IO_OUT;
        if (e & (EPOLLERR | EPOLLHUP))
            ev |= ZF_IO_ERR | ZF_IO_IN;
        h->on_event(h, ev);
    }
}
#else
/* poll(2): the registered handlers are the poll set, rebuilt for every wait. O(n) per wait,
 * which is fine for the connection counts a client library sees; kqueue can replace it. */
#include <poll.h>

int zf_io_add(zf_io *io, zf_handler *h, uint32_t events)
{
    if (io->nhs == io->hs_cap) {
        int cap = io->hs_cap ? io->hs_cap * 2 : 16;
        zf_handler **n = realloc(io->hs, (size_t)cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        io->hs = n;
        io->hs_cap = cap;
    }
    io->hs[io->nhs++] = h;
    h->events = events;
    return 0;
}

int zf_io_set(zf_io *io, zf_handler *h, uint32_t events)
{
    (void)io;
    h->events = events;
    return 0;
}

void zf_io_del(zf_io *io, zf_handler *h)
{
    for (int i = 0; i < io->nhs; i++)
        if (io->hs[i] == h) {
            io->hs[i] = io->hs[--io->nhs];
            break;
        }
    h->events = 0;
}

static int poller_init(zf_io *io)
{
    io->epfd = -1;
    return 0;
}

static void poller_close(zf_io *io)
{
    free(io->hs);
    io->hs = NULL;
}

static void poller_wait(zf_io *io, int timeout)
{
    int n = io->nhs;
    struct pollfd *pfd = malloc((size_t)(n ? n : 1) * sizeof *pfd);
    zf_handler **hs = malloc((size_t)(n ? n : 1) * sizeof *hs);
    if (!pfd || !hs) {
        free(pfd);
        free(hs);
        return;
    }
    for (int i = 0; i < n; i++) {
        hs[i] = io->hs[i];
        pfd[i].fd = hs[i]->fd;
        pfd[i].events = (short)((hs[i]->events & ZF_IO_IN ? POLLIN : 0) | (hs[i]->events & ZF_IO_OUT ? POLLOUT : 0));
        pfd[i].revents = 0;
    }
    int rc = poll(pfd, (nfds_t)n, timeout);
    for (int i = 0; rc > 0 && i < n; i++) {
        zf_handler *h = hs[i];
        if (!pfd[i].revents || h->fd < 0 || !h->events)
            continue;
        uint32_t ev = 0;
        if (pfd[i].revents & POLLIN)
            ev |= ZF_IO_IN;
        if (pfd[i].revents & POLLOUT)
            ev |= ZF_IO_OUT;
        if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
            ev |= ZF_IO_ERR | ZF_IO_IN;
        h->on_event(h, ev);
    }
    free(pfd);
    free(hs);
}
#endif

/* ---- timers ------------------------------------------------------------------------------ */

void zf_io_timer_set(zf_io *io, zf_timer *t, int64_t delay_ms)
{
    t->when = zf_now_ms() + delay_ms;
    if (t->slot >= 0)
        return;
    if (io->ntimers == io->timers_cap) {
        int cap = io->timers_cap ? io->timers_cap * 2 : 16;
        zf_timer **nt = realloc(io->timers, (size_t)cap * sizeof *nt);
        if (!nt)
            return;
        io->timers = nt;
        io->timers_cap = cap;
    }
    t->slot = io->ntimers;
    io->timers[io->ntimers++] = t;
}

void zf_io_timer_cancel(zf_io *io, zf_timer *t)
{
    if (t->slot < 0)
        return;
    zf_timer *last = io->timers[--io->ntimers];
    io->timers[t->slot] = last;
    last->slot = t->slot;
    t->slot = -1;
}

/* Fire due timers; return ms until the next one (-1: none). */
static int run_timers(zf_io *io)
{
    int64_t now = zf_now_ms();
    int64_t next = -1;
    for (int i = 0; i < io->ntimers;) {
        zf_timer *t = io->timers[i];
        if (t->when <= now) {
            zf_io_timer_cancel(io, t);
            t->fire(t);
            i = 0; /* the set may have changed under us */
            now = zf_now_ms();
            next = -1;
            continue;
        }
        if (next < 0 || t->when < next)
            next = t->when;
        i++;
    }
    if (next < 0)
        return -1;
    int64_t d = next - now;
    return d > 1000000 ? 1000000 : (int)d;
}

/* ---- deferred frees ---------------------------------------------------------------------- */

void zf_io_bury(zf_io *io, void *obj)
{
    if (io->ngrave == io->grave_cap) {
        int cap = io->grave_cap ? io->grave_cap * 2 : 32;
        void **g = realloc(io->graveyard, (size_t)cap * sizeof *g);
        if (!g) {
            return; /* leak rather than free something an event may still point at */
        }
        io->graveyard = g;
        io->grave_cap = cap;
    }
    io->graveyard[io->ngrave++] = obj;
}

static void empty_graveyard(zf_io *io)
{
    for (int i = 0; i < io->ngrave; i++)
        free(io->graveyard[i]);
    io->ngrave = 0;
}

/* ---- mailbox ----------------------------------------------------------------------------- */

void zf_io_post(zf_io *io, zf_io_cmd *cmd)
{
    cmd->next = NULL;
    pthread_mutex_lock(&io->lock);
    if (io->tail)
        io->tail->next = cmd;
    else
        io->head = cmd;
    io->tail = cmd;
    pthread_mutex_unlock(&io->lock);
    zf_signal_kick(&io->wake);
}

static void sync_done(zf_sync *s, int result)
{
    pthread_mutex_lock(&s->lock);
    s->done = 1;
    s->result = result;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

int zf_io_call(zf_io *io, void (*run)(zf_io *, zf_io_cmd *), void *a)
{
    zf_sync sync;
    pthread_mutex_init(&sync.lock, NULL);
    pthread_cond_init(&sync.cond, NULL);
    sync.done = 0;
    sync.result = 0;
    zf_io_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->run = run;
    c->a = a;
    c->sync = &sync;
    zf_io_post(io, c);
    pthread_mutex_lock(&sync.lock);
    while (!sync.done)
        pthread_cond_wait(&sync.cond, &sync.lock);
    pthread_mutex_unlock(&sync.lock);
    pthread_mutex_destroy(&sync.lock);
    pthread_cond_destroy(&sync.cond);
    return sync.result;
}

int zf_io_post_new(zf_io *io, void (*run)(zf_io *, zf_io_cmd *), void *a, uint64_t id)
{
    zf_io_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->run = run;
    c->a = a;
    c->id = id;
    zf_io_post(io, c);
    return 0;
}

/* Each command carries its handler: the loop runs it and knows nothing of what it does. An
 * embedded command (a pipe's kick) belongs to its object and may be reposted by another thread
 * as soon as its handler has reopened it, so nothing here touches it after run. */
static void run_command(zf_io *io, zf_io_cmd *c)
{
    if (c->embedded) {
        c->run(io, c);
        return;
    }
    c->run(io, c);
    if (c->sync)
        sync_done(c->sync, 0);
    free(c);
}

static void drain_mailbox(zf_io *io)
{
    pthread_mutex_lock(&io->lock);
    zf_io_cmd *c = io->head;
    io->head = io->tail = NULL;
    pthread_mutex_unlock(&io->lock);
    while (c) {
        zf_io_cmd *n = c->next;
        run_command(io, c);
        c = n;
    }
}

static int mailbox_empty(zf_io *io)
{
    pthread_mutex_lock(&io->lock);
    int empty = io->head == NULL;
    pthread_mutex_unlock(&io->lock);
    return empty;
}

static void on_wake(zf_handler *h, uint32_t ev) { (void)h; (void)ev; }

/* ---- the loop ---------------------------------------------------------------------------- */

static void *io_main(void *arg)
{
    zf_io *io = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals belong to application threads */
    while (!io->stopping) {
        drain_mailbox(io);
        if (io->stopping)
            break;
        int timeout = run_timers(io);
        empty_graveyard(io);
        zf_signal_park(&io->wake);
        if (!mailbox_empty(io)) {
            atomic_store(&io->wake.parked, 0);
            continue;
        }
        poller_wait(io, timeout);
        atomic_store(&io->wake.parked, 0);
        zf_signal_drain(&io->wake);
        empty_graveyard(io);
    }
    /* Whatever is left at stop time (term already waited for the sessions it cares about):
     * whoever put it there said how to close it. */
    if (io->on_stop)
        io->on_stop(io);
    drain_mailbox(io);
    empty_graveyard(io);
    return NULL;
}

int zf_io_start(zf_io *io, zf_ctx *ctx)
{
    memset(io, 0, sizeof *io);
    io->ctx = ctx;
    io->rng = (uint64_t)zf_now_ms() ^ (uint64_t)(uintptr_t)io;
    pthread_mutex_init(&io->lock, NULL);
    int rc = poller_init(io);
    if (rc < 0)
        return rc;
    rc = zf_signal_init(&io->wake);
    if (rc < 0) {
        poller_close(io);
        return rc;
    }
    io->wake_h.fd = io->wake.rfd;
    io->wake_h.on_event = on_wake;
    zf_io_add(io, &io->wake_h, ZF_IO_IN);
    rc = pthread_create(&io->thread, NULL, io_main, io);
    if (rc != 0) {
        zf_signal_close(&io->wake);
        poller_close(io);
        return -rc;
    }
    return 0;
}

static void cmd_stop(zf_io *io, zf_io_cmd *c)
{
    (void)c;
    io->stopping = 1;
}

void zf_io_stop(zf_io *io)
{
    zf_io_call(io, cmd_stop, NULL);
    pthread_join(io->thread, NULL);
    zf_signal_close(&io->wake);
    poller_close(io);
    free(io->timers);
    free(io->graveyard);
    pthread_mutex_destroy(&io->lock);
}
