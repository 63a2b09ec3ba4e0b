/* signaler.c: eventfd (Linux), a self-pipe (other POSIX systems) or a loopback socket pair
 * (Windows, where select/WSAPoll wait only on sockets) behind the zf_signal interface. */
#include "signaler.h"

#include <errno.h>

#include "sys.h"
#ifdef __linux__
#include <sys/eventfd.h>
#endif

int zf_signal_init(zf_signal *s)
{
    atomic_store(&s->parked, 0);
#if defined(__linux__)
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    s->rfd = s->wfd = fd;
#elif defined(_WIN32)
    int sv[2];
    if (zf_sys_socketpair(sv) < 0)
        return -errno;
    s->rfd = sv[0];
    s->wfd = sv[1];
#else
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        zf_sys_set_nonblock(p[i]);
        zf_sys_set_cloexec(p[i]);
    }
    s->rfd = p[0];
    s->wfd = p[1];
#endif
    return 0;
}

void zf_signal_close(zf_signal *s)
{
    if (s->rfd >= 0)
        zf_sys_close(s->rfd);
    if (s->wfd >= 0 && s->wfd != s->rfd)
        zf_sys_close(s->wfd);
    s->rfd = s->wfd = -1;
}

void zf_signal_raise(zf_signal *s)
{
#if defined(__linux__)
    uint64_t one = 1;
    ssize_t rc = write(s->wfd, &one, sizeof one);
#elif defined(_WIN32)
    char c = 0;
    ssize_t rc = zf_sys_send(s->wfd, &c, 1); /* a full buffer already means "notified" */
#else
    char c = 0;
    ssize_t rc = write(s->wfd, &c, 1); /* a full pipe already means "notified" */
#endif
    (void)rc;
}

void zf_signal_drain(zf_signal *s)
{
    uint64_t buf[8];
#if defined(_WIN32)
    while (zf_sys_recv(s->rfd, buf, sizeof buf) > 0) {
    }
#else
    while (read(s->rfd, buf, sizeof buf) > 0) {
#ifdef __linux__
        break; /* one read empties an eventfd */
#endif
    }
#endif
}

int zf_signal_sleep(zf_signal *s, int timeout_ms)
{
    struct pollfd pfd = {.fd = s->rfd, .events = POLLIN};
    int rc = zf_sys_poll(&pfd, 1, timeout_ms);
    if (rc < 0)
        return -errno;
    return rc == 0 ? -EAGAIN : 0;
}

int zf_signal_wait(zf_signal *s, int timeout_ms)
{
    int rc = zf_signal_sleep(s, timeout_ms);
    if (rc == 0)
        zf_signal_drain(s);
    return rc;
}
