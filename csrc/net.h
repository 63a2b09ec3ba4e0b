/* net.h: non-blocking, close-on-exec sockets and SIGPIPE-free sends, the same on Linux (one
 * syscall each), on macOS/BSD (which lack SOCK_NONBLOCK, accept4 and MSG_NOSIGNAL) and on
 * Windows (Winsock, through sys.h); and the options every connection is tuned with. */
#ifndef ZF_NET_H
#define ZF_NET_H

#include "sys.h"

/* A new stream socket of family, or -1 with errno. */
int zf_net_socket(int family);
int zf_net_accept(int listen_fd);
/* Send what iov holds; never raises SIGPIPE. Returns bytes sent or -1 with errno. */
ssize_t zf_net_sendv(int fd, const struct iovec *iov, int n);

/* The socket options a connection gets before it is used: SNDBUF/RCVBUF on any transport;
 * on tcp, TCP_NODELAY and what libzmq sets beyond it (keepalive and its probes, TCP_MAXRT,
 * TOS). Failures are ignored, as libzmq ignores them. */
struct zf_opts;
void zf_net_tune(int fd, const struct zf_opts *o, int tcp);
/* BINDTODEVICE: tcp traffic only through that interface (before bind or connect).
 * 0, or -errno (-ENOTSUP where the system has no such option). */
int zf_net_bind_to_device(int fd, const struct zf_opts *o);

#endif
