/* accept_filter.c: who may connect to a bound socket, decided on each accepted connection as
 * libzmq decides it: TCP_ACCEPT_FILTER (address prefixes; none set admits every peer) and
 * IPC_FILTER_PID/UID/GID (the peer's credentials from SO_PEERCRED, or its user's membership in a
 * listed group). The filters are stored in the socket's options (options.h). */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"
#ifndef _WIN32
#include <grp.h>
#include <pwd.h>
#endif

/* TCP_ACCEPT_FILTER: "address" or "address/prefix-bits", IPv6 only on an IPV6 socket. */
int zf_accept_filter_add_tcp(zf_opts *o, const char *text, size_t len)
{
    char buf[64];
    if (len < 1 || len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, text, len);
    buf[len] = 0;
    if (memchr(buf, 0, len))
        return -EINVAL;
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    struct zf_tcp_filter f = {0};
    int max;
    if (inet_pton(AF_INET, buf, f.addr) == 1) {
        f.family = AF_INET;
        max = 32;
    } else if (o->ipv6 && inet_pton(AF_INET6, buf, f.addr) == 1) {
        f.family = AF_INET6;
        max = 128;
    } else {
        return -EINVAL;
    }
    long bits = max;
    if (slash) {
        char *end;
        if (!slash[1])
            return -EINVAL;
        bits = strtol(slash + 1, &end, 10);
        if (*end || bits < 0 || bits > max)
            return -EINVAL;
    }
    f.bits = (uint8_t)bits;
    if (o->ntcp_filters == ZF_MAX_FILTERS)
        return -ENOMEM;
    o->tcp_filters[o->ntcp_filters++] = f;
    return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int tcp_peer_allowed(const zf_opts *o, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    const uint8_t *addr = ss.ss_family == AF_INET ? (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr
                                                   : (const uint8_t *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    for (int i = 0; i < o->ntcp_filters; i++)
        if (o->tcp_filters[i].family == ss.ss_family && prefix_match(o->tcp_filters[i].addr, addr, o->tcp_filters[i].bits))
            return 1;
    return 0;
}

static int in_set(const int32_t *set, int n, int32_t v)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return 1;
    return 0;
}

/* As libzmq: the peer's pid, uid or gid is listed, or its user is a member of a listed group. */
static int ipc_peer_allowed(const zf_opts *o, int fd)
{
#ifdef SO_PEERCRED
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return 0;
    if (in_set(o->ipc_pids, o->nipc_pids, (int32_t)cred.pid) || in_set(o->ipc_uids, o->nipc_uids, (int32_t)cred.uid) ||
        in_set(o->ipc_gids, o->nipc_gids, (int32_t)cred.gid))
        return 1;
    if (!o->nipc_gids)
        return 0;
    char pbuf[1024], gbuf[8192];
    struct passwd pw, *pwp = NULL;
    if (getpwuid_r(cred.uid, &pw, pbuf, sizeof pbuf, &pwp) != 0 || !pwp)
        return 0;
    for (int i = 0; i < o->nipc_gids; i++) {
        struct group gr, *grp = NULL;
        if (getgrgid_r((gid_t)o->ipc_gids[i], &gr, gbuf, sizeof gbuf, &grp) != 0 || !grp)
            continue;
        for (char **m = grp->gr_mem; *m; m++)
            if (strcmp(*m, pwp->pw_name) == 0)
                return 1;
    }
    return 0;
#else
    (void)o;
    (void)fd;
    (void)in_set; /* used only with SO_PEERCRED (not on Windows, where libzmq has no IPC filters either) */
    return 0; /* no way to learn the peer's credentials here: a filter admits nobody */
#endif
}

int zf_opts_accepts(const zf_opts *o, int fd, int is_tcp)
{
    if (is_tcp)
        return !o->ntcp_filters || tcp_peer_allowed(o, fd);
    if (!o->nipc_pids && !o->nipc_uids && !o->nipc_gids)
        return 1;
    return ipc_peer_allowed(o, fd);
}
