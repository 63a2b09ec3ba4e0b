/* net.c: see net.h. */
#include "net.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#if !defined(__linux__)
static int make_nb_cloexec(int fd)
{
    if (fd < 0)
        return fd;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
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
#ifdef MSG_NOSIGNAL
    return sendmsg(fd, &m, MSG_NOSIGNAL);
#else
    return sendmsg(fd, &m, 0); /* SO_NOSIGPIPE was set on the socket */
#endif
}
