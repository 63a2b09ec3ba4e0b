/* poller.h: the I/O thread's readiness poller, one backend per file chosen at compile time
 * (no function pointers: the loop calls the one backend directly):
 *   poller_epoll.c   Linux (unless ZF_FORCE_POLL);
 *   poller_poll.c    other POSIX systems, and Linux with ZF_FORCE_POLL (to test it there);
 *   poller_select.c  Windows: select() over a growable fd_set, which reports a refused
 *                    non-blocking connect (in the exception set) where WSAPoll did not until
 *                    Windows 10 2004.
 * Level-triggered everywhere. Only the I/O thread touches a poller. */
#ifndef ZF_POLLER_H
#define ZF_POLLER_H

#include <stdint.h>

#include "platform.h"

#if defined(_WIN32)
#define ZF_POLLER_SELECT 1
#elif defined(__linux__) && !defined(ZF_FORCE_POLL)
#define ZF_POLLER_EPOLL 1
#else
#define ZF_POLLER_POLL 1
#endif

/* Something with a file descriptor in the poller. Owned by whoever embeds it (a session, a
 * listener, the I/O thread's wake-up); it must stay allocated until the end of the event batch
 * in which it is deleted (zf_io_bury). */
typedef struct zf_handler {
    int fd;
    uint32_t events; /* what the poller watches: ZF_IO_IN | ZF_IO_OUT */
    void (*on_event)(struct zf_handler *h, uint32_t events);
} zf_handler;

enum { ZF_IO_IN = 1, ZF_IO_OUT = 2, ZF_IO_ERR = 4 };

typedef struct zf_poller {
#if defined(ZF_POLLER_EPOLL)
    int epfd;
#else
    zf_handler **hs; /* the registered handlers, the poll set rebuilt for every wait */
    int nhs, hs_cap;
    zf_handler **batch; /* scratch for one wait, grown with hs (no allocation per wait) */
#if defined(ZF_POLLER_POLL)
    struct pollfd *pfd;
#else
    void *rd, *wr, *ex; /* Winsock fd_sets sized for batch_cap (poller_select.c) */
    uint32_t *ready;    /* per batch entry: the events found */
#endif
    int batch_cap;
#endif
} zf_poller;

/* 0 or -errno. */
int zf_poller_init(zf_poller *p);
void zf_poller_close(zf_poller *p);
/* Watch h->fd for events; 0 or -errno. */
int zf_poller_add(zf_poller *p, zf_handler *h, uint32_t events);
int zf_poller_set(zf_poller *p, zf_handler *h, uint32_t events);
void zf_poller_del(zf_poller *p, zf_handler *h);
/* Wait up to timeout_ms (-1 forever) and call on_event of each ready handler. A handler deleted
 * during the batch (fd < 0 or no events) is skipped. */
void zf_poller_wait(zf_poller *p, int timeout_ms);

#endif
