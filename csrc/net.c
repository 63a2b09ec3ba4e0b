/* net.c: see net.h. */
#include "net.h"

#include <string.h>

#if defined(_WIN32)
int zf_net_socket(int family)
{
    if (zf_sys_init() < 0)
        return -1;
    /* WSA_FLAG_NO_HANDLE_INHERIT: close-on-exec from birth, as SOCK_CLOEXEC */
    SOCKET s = WSASocketW(family, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET)
        return zf_sys_fail();
    if (zf_sys_set_nonblock((int)s) < 0) {
        int err = errno;
        closesocket(s);
        errno = err;
        return -1;
    }
    return (int)s;
}

int zf_net_accept(int listen_fd)
{
    SOCKET s = accept((SOCKET)listen_fd, NULL, NULL);
    if (s == INVALID_SOCKET)
        return zf_sys_fail();
    /* an accepted socket takes the listener's non-blocking mode but not its inheritance flag
     * in every Windows version: set both */
    zf_sys_set_cloexec((int)s);
    if (zf_sys_set_nonblock((int)s) < 0) {
        int err = errno;
        closesocket(s);
        errno = err;
        return -1;
    }
    return (int)s;
}

ssize_t zf_net_sendv(int fd, const struct iovec *iov, int n)
{
    WSABUF b[ZF_SYS_IOV_MAX];
    if (n > ZF_SYS_IOV_MAX)
        n = ZF_SYS_IOV_MAX; /* the rest goes in the next call: a partial send */
    for (int i = 0; i < n; i++) {
        b[i].buf = (char *)iov[i].iov_base;
        b[i].len = iov[i].iov_len > ULONG_MAX ? ULONG_MAX : (ULONG)iov[i].iov_len;
    }
    DWORD sent = 0;
    if (WSASend((SOCKET)fd, b, (DWORD)n, &sent, 0, NULL, NULL) != 0)
        return zf_sys_fail();
    return (ssize_t)sent;
}

#else /* POSIX */

#if !defined(__linux__)
static int make_nb_cloexec(int fd)
{
    if (fd < 0)
        return fd;
    zf_sys_set_nonblock(fd);
    zf_sys_set_cloexec(fd);
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return fd;
}
#endif

int zf_net_socket(int family)
{
#ifdef __linux__
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    return make_nb_cloexec(socket(family, SOCK_STREAM, 0));
#endif
}

int zf_net_accept(int listen_fd)
{
#ifdef __linux__
    return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    return make_nb_cloexec(accept(listen_fd, NULL, NULL));
#endif
}

ssize_t zf_net_sendv(int fd, const struct iovec *iov, int n)
{
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = (struct iovec *)iov;
    m.msg_iovlen = n;
    return sendmsg(fd, &m, ZF_SYS_MSG_NOSIGNAL); /* without MSG_NOSIGNAL, SO_NOSIGPIPE is set */
}

#endif
