/* sys_posix.h: the POSIX side of sys.h (Linux, macOS, the BSDs). Each function is the system
 * call it is named after; see sys.h for the conventions. */
#ifndef ZF_SYS_POSIX_H
#define ZF_SYS_POSIX_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Process-wide set-up (Winsock's WSAStartup on Windows). Idempotent; 0 or -errno. */
static inline int zf_sys_init(void) { return 0; }

static inline int zf_sys_close(int fd) { return close(fd); }

static inline int zf_sys_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static inline int zf_sys_set_cloexec(int fd) { return fcntl(fd, F_SETFD, FD_CLOEXEC); }

#ifdef MSG_NOSIGNAL
#define ZF_SYS_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define ZF_SYS_MSG_NOSIGNAL 0 /* macOS/BSD: SO_NOSIGPIPE is set on the socket (net.c) */
#endif

static inline ssize_t zf_sys_send(int fd, const void *buf, size_t n)
{
    return send(fd, buf, n, ZF_SYS_MSG_NOSIGNAL);
}

/* read(2) rather than recv(2): the engine has always used it on stream sockets, and on Linux it
 * is the shorter path through the kernel. */
static inline ssize_t zf_sys_recv(int fd, void *buf, size_t n) { return read(fd, buf, n); }

static inline ssize_t zf_sys_recvv(int fd, const struct iovec *iov, int n) { return readv(fd, iov, n); }

static inline int zf_sys_bind(int fd, const struct sockaddr *sa, socklen_t len) { return bind(fd, sa, len); }

static inline int zf_sys_listen(int fd, int backlog) { return listen(fd, backlog); }

static inline int zf_sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len) { return getsockname(fd, sa, len); }

/* Start a non-blocking connect: 0 connected, -1 with errno (EINPROGRESS: wait for writable). */
static inline int zf_sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    return connect(fd, sa, len);
}

/* The pending error of a socket (SO_ERROR) as an errno value; 0 when none. */
static inline int zf_sys_socket_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return errno;
    return err;
}

/* setsockopt of an int option (Windows wants a char pointer, POSIX a void one). */
static inline int zf_sys_setsockopt_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof value);
}

/* A listener's address reuse: on POSIX SO_REUSEADDR only lets a new listener take a port whose
 * old connections linger in TIME_WAIT. (Windows' SO_REUSEADDR would let two live listeners share
 * a port, so there the same intent is SO_EXCLUSIVEADDRUSE: see sys_win.h.) */
static inline int zf_sys_set_reuseaddr(int fd) { return zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1); }

/* TCP keepalive: on (1), off (0) or the system default (-1); cnt, idle and intvl (seconds) are
 * applied when >= 0 and the system has the option. Best effort, as in libzmq. */
static inline void zf_sys_keepalive(int fd, int on, int cnt, int idle, int intvl)
{
    if (on >= 0)
        zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, on);
    if (on != 1)
        return;
#ifdef TCP_KEEPCNT
    if (cnt >= 0)
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt);
#endif
#if defined(TCP_KEEPIDLE)
    if (idle >= 0)
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle);
#elif defined(TCP_KEEPALIVE) /* macOS spells it so */
    if (idle >= 0)
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPALIVE, idle);
#endif
#ifdef TCP_KEEPINTVL
    if (intvl >= 0)
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl);
#endif
    (void)cnt;
    (void)idle;
    (void)intvl;
}

/* poll(2) over sockets; -1 with errno on failure. */
static inline int zf_sys_poll(struct pollfd *fds, unsigned n, int timeout_ms)
{
    return poll(fds, (nfds_t)n, timeout_ms);
}

/* A connected pair of non-blocking, close-on-exec stream sockets. */
static inline int zf_sys_socketpair(int sv[2])
{
#ifdef SOCK_NONBLOCK
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
#else
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        zf_sys_set_nonblock(sv[i]);
        zf_sys_set_cloexec(sv[i]);
    }
    return 0;
#endif
}

/* The ipc wildcard (an ipc endpoint whose path is a star): a new private directory for the
 * socket file; path gets "<dir>/socket". 0 or -errno. */
static inline int zf_sys_ipc_wildcard(char *path, size_t cap)
{
    char tmpl[] = "/tmp/tmpXXXXXX";
    if (!mkdtemp(tmpl))
        return -errno;
    snprintf(path, cap, "%s/socket", tmpl);
    return 0;
}

/* Remove an ipc socket file. */
static inline int zf_sys_unlink(const char *path) { return unlink(path); }

/* For the I/O thread: signals belong to application threads (Python handles them there). */
static inline void zf_sys_block_signals(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static inline void zf_sys_sleep_us(int us)
{
    struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

#endif
