/* net.c: see net.h. */
#include "net.h"

#include <errno.h>
#include <string.h>

#include "options.h"

#if defined(_WIN32)
/* A new or accepted socket made non-blocking, as an fd; closed (errno kept) if that fails. */
static int nonblocking(SOCKET s)
{
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

int zf_net_socket(int family)
{
    if (zf_sys_init() < 0)
        return -1;
    /* WSA_FLAG_NO_HANDLE_INHERIT: close-on-exec from birth, as SOCK_CLOEXEC */
    return nonblocking(WSASocketW(family, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT));
}

int zf_net_accept(int listen_fd)
{
    SOCKET s = accept((SOCKET)listen_fd, NULL, NULL);
    /* an accepted socket takes the listener's non-blocking mode but not its inheritance flag
     * in every Windows version: set both */
    if (s != INVALID_SOCKET)
        zf_sys_set_cloexec((int)s);
    return nonblocking(s);
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

/* What libzmq sets on each tcp connection beyond TCP_NODELAY and keepalive:
 *  TCP_MAXRT: how long sent data may go unacknowledged before the kernel gives up on the
 *    connection; on Linux that is TCP_USER_TIMEOUT, in milliseconds;
 *  TOS: the IP type of service (the traffic class for IPv6). */
static void tune_tcp_more(const zf_opts *o, int fd)
{
#ifdef TCP_USER_TIMEOUT
    if (o->tcp_maxrt > 0)
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, o->tcp_maxrt); /* an unsigned int's bytes */
#endif
    if (o->tos) {
        /* one of the two applies, by the socket's family; the other fails harmlessly */
        zf_sys_setsockopt_int(fd, IPPROTO_IP, IP_TOS, o->tos);
#ifdef IPV6_TCLASS
        zf_sys_setsockopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS, o->tos);
#endif
    }
}

void zf_net_tune(int fd, const zf_opts *o, int tcp)
{
    if (tcp) {
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        /* SO_KEEPALIVE, then the probes' count and timing (TCP_KEEPALIVE_CNT/IDLE/INTVL; -1 is
         * the system's default and is not set) */
        if (o->tcp_keepalive == 1)
            zf_sys_keepalive(fd, 1, o->tcp_keepalive_cnt, o->tcp_keepalive_idle, o->tcp_keepalive_intvl);
        tune_tcp_more(o, fd);
    }
    if (o->sndbuf > 0)
        zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, o->sndbuf);
    if (o->rcvbuf > 0)
        zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf);
}

int zf_net_bind_to_device(int fd, const zf_opts *o)
{
    if (!o->bindtodevice_len)
        return 0;
#ifdef SO_BINDTODEVICE
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->bindtodevice, o->bindtodevice_len) < 0)
        return -errno;
    return 0;
#else
    (void)fd;
    return -ENOTSUP;
#endif
}
