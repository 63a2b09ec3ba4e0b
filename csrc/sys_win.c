/* sys_win.c: the Winsock calls behind sys_win.h that take more than a line. Compiles to nothing
 * elsewhere, so the build can list every engine source on every platform. */
#include "sys.h"

#ifdef _WIN32

#include <limits.h>
#include <mstcpip.h>
#include <stdio.h>
#include <string.h>

int zf_sys_wsa_errno(int wsa)
{
    switch (wsa) {
    case 0: return 0;
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINPROGRESS: return EINPROGRESS;
    case WSAEALREADY: return EALREADY;
    case WSAEINTR: return EINTR;
    case WSAEBADF: return EBADF;
    case WSAEACCES: return EACCES;
    case WSAEFAULT: return EFAULT;
    case WSAEINVAL: return EINVAL;
    case WSAEMFILE: return EMFILE;
    case WSAENOTSOCK: return ENOTSOCK;
    case WSAEDESTADDRREQ: return EDESTADDRREQ;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEPROTOTYPE: return EPROTOTYPE;
    case WSAENOPROTOOPT: return ENOPROTOOPT;
    case WSAEPROTONOSUPPORT: return EPROTONOSUPPORT;
    case WSAESOCKTNOSUPPORT: return EPROTONOSUPPORT;
    case WSAEOPNOTSUPP: return EOPNOTSUPP;
    case WSAEPFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAENETDOWN: return ENETDOWN;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAENETRESET: return ENETRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEISCONN: return EISCONN;
    case WSAENOTCONN: return ENOTCONN;
    case WSAESHUTDOWN: return EPIPE; /* a send after shutdown: what POSIX reports */
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAELOOP: return ELOOP;
    case WSAENAMETOOLONG: return ENAMETOOLONG;
    case WSAEHOSTDOWN: return EHOSTUNREACH;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAENOTEMPTY: return ENOTEMPTY;
    case WSAEPROCLIM: return EMFILE;
    case WSANOTINITIALISED: return ENOTSOCK; /* no socket can exist before WSAStartup */
    case WSA_NOT_ENOUGH_MEMORY: return ENOMEM;
    case WSAHOST_NOT_FOUND: return EHOSTUNREACH;
    default: return EIO;
    }
}

int zf_sys_init(void)
{
    /* WSAStartup counts its callers, so a race between two first calls only costs a second
     * count; the result is kept for the process's life (WSACleanup is never needed: the
     * process's exit releases Winsock). */
    static _Atomic int state; /* 0 not yet, 1 ready, -errno failed */
    int st = atomic_load_explicit(&state, memory_order_acquire);
    if (zf_likely(st == 1))
        return 0;
    if (st < 0)
        return st;
    WSADATA d;
    int rc = WSAStartup(MAKEWORD(2, 2), &d);
    st = rc == 0 ? 1 : -zf_sys_wsa_errno(rc);
    atomic_store_explicit(&state, st, memory_order_release);
    return st == 1 ? 0 : st;
}

ssize_t zf_sys_recvv(int fd, const struct iovec *iov, int n)
{
    WSABUF b[ZF_SYS_IOV_MAX];
    if (n > ZF_SYS_IOV_MAX)
        n = ZF_SYS_IOV_MAX;
    for (int i = 0; i < n; i++) {
        b[i].buf = (char *)iov[i].iov_base;
        b[i].len = iov[i].iov_len > ULONG_MAX ? ULONG_MAX : (ULONG)iov[i].iov_len;
    }
    DWORD got = 0, flags = 0;
    if (WSARecv((SOCKET)fd, b, (DWORD)n, &got, &flags, NULL, NULL) != 0)
        return zf_sys_fail();
    return (ssize_t)got;
}

void zf_sys_keepalive(int fd, int on, int cnt, int idle, int intvl)
{
    if (on >= 0)
        zf_sys_setsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, on);
    if (on != 1)
        return;
    /* Windows 10 1709+ has the per-option TCP_KEEPIDLE/INTVL/CNT (seconds), as Linux does;
     * older systems take idle and interval together through SIO_KEEPALIVE_VALS (ms) and have a
     * fixed probe count (10). */
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    int ok = 1;
    if (idle >= 0)
        ok &= zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle) == 0;
    if (intvl >= 0)
        ok &= zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl) == 0;
    if (cnt >= 0)
        zf_sys_setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt);
    if (ok)
        return;
#else
    (void)cnt;
#endif
    if (idle < 0 && intvl < 0)
        return;
    struct tcp_keepalive ka;
    ka.onoff = 1;
    ka.keepalivetime = (ULONG)(idle >= 0 ? idle : 7200) * 1000;  /* Windows' defaults: 2 h, */
    ka.keepaliveinterval = (ULONG)(intvl >= 0 ? intvl : 1) * 1000; /* 1 s */
    DWORD out = 0;
    WSAIoctl((SOCKET)fd, SIO_KEEPALIVE_VALS, &ka, sizeof ka, NULL, 0, &out, NULL, NULL);
}

int zf_sys_poll(struct pollfd *fds, unsigned n, int timeout_ms)
{
    if (n == 0) {
        /* WSAPoll refuses an empty set; POSIX poll sleeps */
        if (timeout_ms < 0)
            timeout_ms = INT_MAX;
        Sleep((DWORD)timeout_ms);
        return 0;
    }
    int rc = WSAPoll(fds, (ULONG)n, timeout_ms);
    return rc == SOCKET_ERROR ? zf_sys_fail() : rc;
}

/* Loopback TCP in place of socketpair(). The listener is bound to 127.0.0.1 on a port of the
 * system's choosing with SO_EXCLUSIVEADDRUSE, and the accepted connection is checked to be
 * ours (its peer address is our connector's local address): another local process racing to
 * connect to that port is refused rather than given one end of the pair. Both ends are
 * non-blocking, non-inheritable, with Nagle off (the signaler sends single bytes). Costs a few
 * hundred microseconds, once per context and per socket. */
int zf_sys_socketpair(int sv[2])
{
    if (zf_sys_init() < 0)
        return -1;
    SOCKET l = INVALID_SOCKET, c = INVALID_SOCKET, a = INVALID_SOCKET;
    int err = 0;
    struct sockaddr_in addr, mine, peer;
    int alen = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (l == INVALID_SOCKET)
        goto fail;
    zf_sys_set_reuseaddr((int)l);
    if (bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || getsockname(l, (struct sockaddr *)&addr, &alen) != 0 ||
        listen(l, 1) != 0)
        goto fail;
    c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
        goto fail;
    int mlen = sizeof mine;
    if (getsockname(c, (struct sockaddr *)&mine, &mlen) != 0)
        goto fail;
    for (int tries = 0; tries < 8; tries++) {
        int plen = sizeof peer;
        a = accept(l, (struct sockaddr *)&peer, &plen);
        if (a == INVALID_SOCKET)
            goto fail;
        if (peer.sin_port == mine.sin_port && peer.sin_addr.s_addr == mine.sin_addr.s_addr)
            break;
        closesocket(a); /* someone else's connection */
        a = INVALID_SOCKET;
    }
    if (a == INVALID_SOCKET) {
        err = ECONNREFUSED;
        goto out;
    }
    closesocket(l);
    l = INVALID_SOCKET;
    zf_sys_set_cloexec((int)a);
    if (zf_sys_set_nonblock((int)a) < 0 || zf_sys_set_nonblock((int)c) < 0)
        goto fail;
    zf_sys_setsockopt_int((int)a, IPPROTO_TCP, TCP_NODELAY, 1);
    zf_sys_setsockopt_int((int)c, IPPROTO_TCP, TCP_NODELAY, 1);
    sv[0] = (int)a;
    sv[1] = (int)c;
    return 0;
fail:
    err = zf_sys_wsa_errno(WSAGetLastError());
    if (!err)
        err = EIO;
out:
    if (l != INVALID_SOCKET)
        closesocket(l);
    if (c != INVALID_SOCKET)
        closesocket(c);
    if (a != INVALID_SOCKET)
        closesocket(a);
    errno = err;
    return -1;
}

int zf_sys_ipc_wildcard(char *path, size_t cap)
{
    char dir[MAX_PATH + 1];
    DWORD n = GetTempPathA(sizeof dir, dir); /* ends with a backslash */
    if (n == 0 || n > MAX_PATH)
        return -ENAMETOOLONG;
    static _Atomic unsigned counter;
    for (int tries = 0; tries < 16; tries++) {
        unsigned tag = (unsigned)GetCurrentProcessId() * 2654435761u ^ (unsigned)GetTickCount64() ^
                       (atomic_fetch_add(&counter, 1) << 20);
        char made[MAX_PATH + 32];
        snprintf(made, sizeof made, "%szmqfast-%08x", dir, tag);
        if (CreateDirectoryA(made, NULL)) {
            if ((size_t)snprintf(path, cap, "%s\\socket", made) >= cap) {
                RemoveDirectoryA(made);
                return -ENAMETOOLONG;
            }
            return 0;
        }
        if (GetLastError() != ERROR_ALREADY_EXISTS)
            return -EACCES;
    }
    return -EEXIST;
}

int zf_sys_unlink(const char *path)
{
    /* an AF_UNIX socket file is a reparse point that DeleteFile removes like a file */
    if (DeleteFileA(path))
        return 0;
    DWORD e = GetLastError();
    errno = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? ENOENT
            : e == ERROR_ACCESS_DENIED                             ? EACCES
                                                                   : EIO;
    return -1;
}

#endif /* _WIN32 */
