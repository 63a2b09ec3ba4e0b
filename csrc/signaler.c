/* signaler.c: eventfd (Linux) or self-pipe (elsewhere) behind the zf_signal interface. */
#include "signaler.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

int zf_signal_init(zf_signal *s)
{
    atomic_store(&s->parked, 0);
#ifdef __linux__
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    s->rfd = s->wfd = fd;
#else
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    s->rfd = p[0];
    s->wfd = p[1];
#endif
    return 0;
}

void zf_signal_close(zf_signal *s)
{
    if (s->rfd >= 0)
        close(s->rfd);
    if (s->wfd >= 0 && s->wfd != s->rfd)
        close(s->wfd);
    s->rfd = s->wfd = -1;
}

void zf_signal_raise(zf_signal *s)
{
#ifdef __linux__
    uint64_t one = 1;
    ssize_t rc = write(s->wfd, &one, sizeof one);
#else
    char c = 0;
    ssize_t rc = write(s->wfd, &c, 1); /* a full pipe already means "notified" */
#endif
    (void)rc;
}

void zf_signal_drain(zf_signal *s)
{
    uint64_t buf[8];
    while (read(s->rfd, buf, sizeof buf) > 0) {
#ifdef __linux__
        break; /* one read empties an eventfd */
#endif
    }
}

int zf_signal_wait(zf_signal *s, int timeout_ms)
{
    struct pollfd pfd = {.fd = s->rfd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0)
        return -errno;
    if (rc == 0)
        return -EAGAIN;
    zf_signal_drain(s);
    return 0;
}
