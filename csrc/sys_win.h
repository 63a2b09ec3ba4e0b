/* sys_win.h: the Windows side of sys.h (Winsock 2, Windows 10 1803+ for AF_UNIX). The calls
 * with more than a line of work live in sys_win.c; see sys.h for the conventions. */
#ifndef ZF_SYS_WIN_H
#define ZF_SYS_WIN_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#include <windows.h>

/* POSIX names the engine uses that Winsock spells differently or lacks. */
#ifndef SHUT_RDWR
#define SHUT_RDWR SD_BOTH
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* Windows has no SIGPIPE */
#endif
typedef unsigned long nfds_t;
/* The scatter/gather element of readv/sendmsg, laid out as POSIX has it; sys_win.c turns an
 * array of them into WSABUFs (whose fields come in the other order). */
struct iovec {
    void *iov_base;
    size_t iov_len;
};
/* The most iovec elements one zf_sys_recvv / zf_net_sendv passes on (copied to WSABUFs on the
 * stack); more are allowed and simply not sent or filled in that call, as a partial transfer. */
#define ZF_SYS_IOV_MAX 64

/* WSAE* to the C runtime's errno values (see sys.h); unknown codes become EIO. */
int zf_sys_wsa_errno(int wsa);
/* Record the last Winsock error in errno and return -1: the tail of every failing call. */
static inline int zf_sys_fail(void)
{
    errno = zf_sys_wsa_errno(WSAGetLastError());
    return -1;
}

int zf_sys_init(void);

static inline int zf_sys_close(int fd) { return closesocket((SOCKET)fd) == 0 ? 0 : zf_sys_fail(); }

static inline int zf_sys_set_nonblock(int fd)
{
    u_long one = 1;
    return ioctlsocket((SOCKET)fd, FIONBIO, &one) == 0 ? 0 : zf_sys_fail();
}

/* Not inherited by child processes: the equivalent of FD_CLOEXEC. */
static inline int zf_sys_set_cloexec(int fd)
{
    if (!SetHandleInformation((HANDLE)(uintptr_t)(SOCKET)fd, HANDLE_FLAG_INHERIT, 0)) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

static inline ssize_t zf_sys_send(int fd, const void *buf, size_t n)
{
    /* Winsock counts in int: a larger request is a partial send, which callers handle */
    int len = n > (size_t)INT_MAX ? INT_MAX : (int)n;
    int r = send((SOCKET)fd, (const char *)buf, len, 0);
    return r == SOCKET_ERROR ? zf_sys_fail() : r;
}

static inline ssize_t zf_sys_recv(int fd, void *buf, size_t n)
{
    int len = n > (size_t)INT_MAX ? INT_MAX : (int)n;
    int r = recv((SOCKET)fd, (char *)buf, len, 0);
    return r == SOCKET_ERROR ? zf_sys_fail() : r;
}

ssize_t zf_sys_recvv(int fd, const struct iovec *iov, int n);

static inline int zf_sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    return bind((SOCKET)fd, sa, len) == 0 ? 0 : zf_sys_fail();
}

static inline int zf_sys_listen(int fd, int backlog) { return listen((SOCKET)fd, backlog) == 0 ? 0 : zf_sys_fail(); }

static inline int zf_sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
    return getsockname((SOCKET)fd, sa, len) == 0 ? 0 : zf_sys_fail();
}

/* Winsock reports a non-blocking connect under way as WSAEWOULDBLOCK; callers test EINPROGRESS,
 * as on POSIX. */
static inline int zf_sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (connect((SOCKET)fd, sa, len) == 0)
        return 0;
    int wsa = WSAGetLastError();
    errno = wsa == WSAEWOULDBLOCK ? EINPROGRESS : zf_sys_wsa_errno(wsa);
    return -1;
}

static inline int zf_sys_socket_error(int fd)
{
    int err = 0;
    int len = sizeof err;
    if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
        return zf_sys_wsa_errno(WSAGetLastError());
    return err ? zf_sys_wsa_errno(err) : 0;
}

static inline int zf_sys_setsockopt_int(int fd, int level, int name, int value)
{
    return setsockopt((SOCKET)fd, level, name, (const char *)&value, sizeof value) == 0 ? 0 : zf_sys_fail();
}

/* Windows' SO_REUSEADDR lets a second live listener steal the port (the POSIX meaning is the
 * default there already: a port in TIME_WAIT can be bound again). SO_EXCLUSIVEADDRUSE gives the
 * POSIX behaviour: a bind over a live listener fails with EADDRINUSE. */
static inline int zf_sys_set_reuseaddr(int fd) { return zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1); }

void zf_sys_keepalive(int fd, int on, int cnt, int idle, int intvl);

/* WSAPoll, with POSIX's answer for an empty set (sleep for the timeout) where WSAPoll fails. */
int zf_sys_poll(struct pollfd *fds, unsigned n, int timeout_ms);

/* No socketpair() on Windows: a loopback TCP connection stands in (see sys_win.c). */
int zf_sys_socketpair(int sv[2]);

/* The ipc wildcard (an ipc endpoint whose path is a star): a new directory under the user's
 * temporary directory; path gets "<dir>\\socket". 0 or -errno. */
int zf_sys_ipc_wildcard(char *path, size_t cap);

int zf_sys_unlink(const char *path);

static inline void zf_sys_block_signals(void) {} /* no POSIX signals reach a Windows thread */

static inline void zf_sys_sleep_us(int us) { Sleep((DWORD)((us + 999) / 1000)); }

#endif
