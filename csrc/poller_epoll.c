/* poller_epoll.c: the Linux backend of poller.h. */
#include "poller.h"

#ifdef ZF_POLLER_EPOLL

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

static uint32_t to_epoll(uint32_t ev)
{
    return (ev & ZF_IO_IN ? EPOLLIN : 0) | (ev & ZF_IO_OUT ? EPOLLOUT : 0);
}

int zf_poller_add(zf_poller *p, zf_handler *h, uint32_t events)
{
    struct epoll_event e = {.events = to_epoll(events), .data.ptr = h};
    h->events = events;
    return epoll_ctl(p->epfd, EPOLL_CTL_ADD, h->fd, &e) < 0 ? -errno : 0;
}

int zf_poller_set(zf_poller *p, zf_handler *h, uint32_t events)
{
    if (h->events == events)
        return 0;
    struct epoll_event e = {.events = to_epoll(events), .data.ptr = h};
    h->events = events;
    return epoll_ctl(p->epfd, EPOLL_CTL_MOD, h->fd, &e) < 0 ? -errno : 0;
}

void zf_poller_del(zf_poller *p, zf_handler *h)
{
    struct epoll_event e = {0};
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, h->fd, &e);
    h->events = 0;
}

int zf_poller_init(zf_poller *p)
{
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    return p->epfd < 0 ? -errno : 0;
}

void zf_poller_close(zf_poller *p) { close(p->epfd); }

/* Wait and dispatch one batch. Handlers retired during the batch stay allocated until after it
 * (see zf_io_bury), so a stale event pointer is never a dangling one; a handler whose fd was
 * closed has events == 0 and is skipped. */
void zf_poller_wait(zf_poller *p, int timeout)
{
    struct epoll_event evs[256];
    int n = epoll_wait(p->epfd, evs, 256, timeout);
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

#endif /* ZF_POLLER_EPOLL */
