/* poller_select.c: the Windows backend of poller.h, on select().
 *
 * Winsock's fd_set is a count and an array of sockets (not POSIX's bitmap), and select() reads
 * only as many entries as the count says, so the sets here are allocated at the size of the
 * handler list and FD_SETSIZE (64) does not limit the number of connections. select() compacts
 * each set to the ready sockets, in the order they were given; the results are matched back to
 * handlers by walking the batch in that order (O(n) per wait; a full rescan per socket, O(n*k),
 * only if some Winsock ever reordered them). Chosen over WSAPoll, which until Windows 10 2004
 * reported nothing at all for a refused non-blocking connect: select() puts it in the
 * exception set. */
#include "poller.h"

#ifdef ZF_POLLER_SELECT

#include <stdlib.h>

#include "poller_list.h"
#include "sys.h"

/* an fd_set of cap entries */
typedef struct {
    u_int count;
    SOCKET fds[];
} zf_fdset;

int zf_poller_init(zf_poller *p)
{
    p->hs = p->batch = NULL;
    p->rd = p->wr = p->ex = NULL;
    p->ready = NULL;
    p->nhs = p->hs_cap = p->batch_cap = 0;
    return zf_sys_init();
}

void zf_poller_close(zf_poller *p)
{
    free(p->hs);
    free(p->batch);
    free(p->rd);
    free(p->wr);
    free(p->ex);
    free(p->ready);
    p->hs = p->batch = NULL;
    p->rd = p->wr = p->ex = NULL;
    p->ready = NULL;
    p->nhs = p->hs_cap = p->batch_cap = 0;
}

static int grow(zf_poller *p, int cap)
{
    size_t set = sizeof(zf_fdset) + (size_t)cap * sizeof(SOCKET);
    void **sets[3] = {&p->rd, &p->wr, &p->ex};
    for (int i = 0; i < 3; i++) {
        void *n = realloc(*sets[i], set);
        if (!n)
            return -1;
        *sets[i] = n;
    }
    uint32_t *r = realloc(p->ready, (size_t)cap * sizeof *r);
    if (!r)
        return -1;
    p->ready = r;
    return 0;
}

/* The batch index whose handler has socket fd, searching from *cursor on (where the next one is
 * when select kept the order), wrapping once; -1 if none. */
static int find(zf_handler **hs, int n, SOCKET fd, int *cursor)
{
    for (int k = 0; k < n; k++) {
        int i = *cursor + k < n ? *cursor + k : *cursor + k - n;
        if ((SOCKET)hs[i]->fd == fd) {
            *cursor = i + 1 < n ? i + 1 : 0;
            return i;
        }
    }
    return -1;
}

static void mark(zf_poller *p, int n, const zf_fdset *set, uint32_t ev)
{
    int cursor = 0;
    for (u_int j = 0; j < set->count; j++) {
        int i = find(p->batch, n, set->fds[j], &cursor);
        if (i >= 0)
            p->ready[i] |= ev;
    }
}

void zf_poller_wait(zf_poller *p, int timeout)
{
    if (zf_poller_list_snapshot(p, grow) < 0) {
        Sleep(1); /* out of memory: back off rather than spin */
        return;
    }
    int n = p->nhs;
    zf_handler **hs = p->batch;
    zf_fdset *rd = p->rd, *wr = p->wr, *ex = p->ex;
    rd->count = wr->count = ex->count = 0;
    for (int i = 0; i < n; i++) {
        zf_handler *h = hs[i];
        p->ready[i] = 0;
        if (h->fd < 0)
            continue;
        if (h->events & ZF_IO_IN)
            rd->fds[rd->count++] = (SOCKET)h->fd;
        if (h->events & ZF_IO_OUT) {
            wr->fds[wr->count++] = (SOCKET)h->fd;
            ex->fds[ex->count++] = (SOCKET)h->fd; /* a failed connect shows here */
        }
    }
    if (!rd->count && !wr->count) {
        Sleep(timeout < 0 ? INFINITE : (DWORD)timeout); /* select() refuses three empty sets */
        return;
    }
    struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
    int rc = select(0, (fd_set *)rd, (fd_set *)wr, (fd_set *)ex, timeout < 0 ? NULL : &tv);
    if (rc == SOCKET_ERROR) {
        /* A socket closed while still registered poisons the whole set (POSIX poll would flag
         * just that one with POLLNVAL): find it and report an error on its handler, which then
         * deletes it, instead of failing every wait from now on. */
        if (WSAGetLastError() != WSAENOTSOCK)
            return;
        for (int i = 0; i < n; i++) {
            int type = 0, len = sizeof type;
            if (hs[i]->fd >= 0 && hs[i]->events &&
                getsockopt((SOCKET)hs[i]->fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
                hs[i]->on_event(hs[i], ZF_IO_ERR | ZF_IO_IN);
        }
        return;
    }
    if (rc == 0)
        return;
    mark(p, n, rd, ZF_IO_IN);
    mark(p, n, wr, ZF_IO_OUT);
    mark(p, n, ex, ZF_IO_ERR | ZF_IO_IN);
    for (int i = 0; i < n; i++) {
        zf_handler *h = hs[i];
        if (!p->ready[i] || h->fd < 0 || !h->events)
            continue;
        h->on_event(h, p->ready[i]);
    }
}

#endif /* ZF_POLLER_SELECT */
