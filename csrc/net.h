/* net.h: non-blocking, close-on-exec sockets and SIGPIPE-free sends, the same on Linux (one
 * syscall each), on macOS/BSD (which lack SOCK_NONBLOCK, accept4 and MSG_NOSIGNAL) and on
 * Windows (Winsock, through sys.h). */
#ifndef ZF_NET_H
#define ZF_NET_H

#include "sys.h"

/* A new stream socket of family, or -1 with errno. */
int zf_net_socket(int family);
int zf_net_accept(int listen_fd);
/* Send what iov holds; never raises SIGPIPE. Returns bytes sent or -1 with errno. */
ssize_t zf_net_sendv(int fd, const struct iovec *iov, int n);

#endif
