/* poller_poll.c: the poll(2) backend of poller.h, for POSIX systems without epoll. O(n) per
 * wait in the number of handlers, which is fine for the connection counts a client library
 * sees; kqueue can replace it on macOS and the BSDs. */
#include "poller.h"

#ifdef ZF_POLLER_POLL

#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "poller_list.h"

int zf_poller_init(zf_poller *p)
{
    p->hs = p->batch = NULL;
    p->pfd = NULL;
    p->nhs = p->hs_cap = p->batch_cap = 0;
    return 0;
}

void zf_poller_close(zf_poller *p)
{
    free(p->hs);
    free(p->batch);
    free(p->pfd);
    zf_poller_init(p);
}

static int grow(zf_poller *p, int cap)
{
    struct pollfd *n = realloc(p->pfd, (size_t)cap * sizeof *n);
    if (!n)
        return -1;
    p->pfd = n;
    return 0;
}

void zf_poller_wait(zf_poller *p, int timeout)
{
    if (zf_poller_list_snapshot(p, grow) < 0) {
        usleep(1000); /* out of memory: back off rather than spin */
        return;
    }
    int n = p->nhs;
    zf_handler **hs = p->batch;
    struct pollfd *pfd = p->pfd;
    for (int i = 0; i < n; i++) {
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
}

#endif /* ZF_POLLER_POLL */
