/* options_more.c: the options libzmq 4.3 keeps on every socket beyond options.c's table, with
 * libzmq's defaults and its validation. Some steer our tcp transport (TCP_MAXRT, BINDTODEVICE,
 * USE_FD, RECONNECT_STOP), some steer subscriptions (INVERT_MATCHING); the multicast ones belong
 * to transports we do not have, but libzmq stores and returns them on any socket, so code that
 * sets them before choosing an endpoint keeps working. */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"
#ifndef _WIN32
#include <grp.h>
#include <pwd.h>
#endif

enum { TYPE_SUB = 2, TYPE_XSUB = 10 };

void zf_opts_more_defaults(zf_opts *o)
{
    o->rate = 100;
    o->recovery_ivl = 10000;
    o->multicast_hops = 1;
    o->multicast_maxtpdu = 1500;
    o->multicast_loop = 1;
    o->use_fd = -1;
    /* libzmq's (X)SUB does not wait for its pending subscriptions when it closes */
    if (o->type == TYPE_SUB || o->type == TYPE_XSUB)
        o->linger = 0;
}

static int in_int(int64_t v) { return v >= -0x7fffffffLL - 1 && v <= 0x7fffffff; }

int zf_opts_more_set_int(zf_opts *o, int option, int64_t value)
{
    int64_t cur;
    if (!in_int(value)) /* too big for any int option; not ours if we do not know it */
        return zf_opts_more_get_int(o, option, &cur) == 0 ? -EINVAL : -ENOTSUP;
    int v = (int)value;
    switch (option) {
    /* libzmq's ranges: strictly positive, or at least 0 / -1 */
    case ZF_OPT_RATE: if (v <= 0) return -EINVAL; o->rate = v; return 0;
    case ZF_OPT_RECOVERY_IVL: if (v < 0) return -EINVAL; o->recovery_ivl = v; return 0;
    case ZF_OPT_MULTICAST_HOPS: if (v <= 0) return -EINVAL; o->multicast_hops = v; return 0;
    case ZF_OPT_MULTICAST_MAXTPDU: if (v <= 0) return -EINVAL; o->multicast_maxtpdu = v; return 0;
    case ZF_OPT_TCP_MAXRT: if (v < 0) return -EINVAL; o->tcp_maxrt = v; return 0;
    case ZF_OPT_USE_FD: if (v < -1) return -EINVAL; o->use_fd = v; return 0;
    /* flags libzmq takes as "any int, nonzero is on" */
    case ZF_OPT_MULTICAST_LOOP: o->multicast_loop = v != 0; return 0;
    case ZF_OPT_LOOPBACK_FASTPATH: o->loopback_fastpath = v != 0; return 0;
    case ZF_OPT_ZAP_ENFORCE_DOMAIN: o->zap_enforce_domain = v != 0; return 0;
    case ZF_OPT_INVERT_MATCHING: o->invert_matching = v != 0; return 0;
    /* libzmq keeps whatever bits it is given and tests the ones it knows */
    case ZF_OPT_RECONNECT_STOP: o->reconnect_stop = v; return 0;
    case ZF_OPT_IPV4ONLY:
        if (v != 0 && v != 1)
            return -EINVAL;
        o->ipv6 = !v;
        return 0;
    case ZF_OPT_THREAD_SAFE: return -EINVAL; /* read-only */
    /* each value adds to the set a peer's pid, uid or gid must be in (any one of them) */
    case ZF_OPT_IPC_FILTER_PID:
    case ZF_OPT_IPC_FILTER_UID:
    case ZF_OPT_IPC_FILTER_GID: {
        int32_t *set = option == ZF_OPT_IPC_FILTER_PID ? o->ipc_pids
                     : option == ZF_OPT_IPC_FILTER_UID ? o->ipc_uids : o->ipc_gids;
        uint8_t *n = option == ZF_OPT_IPC_FILTER_PID ? &o->nipc_pids
                   : option == ZF_OPT_IPC_FILTER_UID ? &o->nipc_uids : &o->nipc_gids;
        if (*n == ZF_MAX_FILTERS)
            return -ENOMEM;
        set[(*n)++] = v;
        return 0;
    }
    default: return -ENOTSUP;
    }
}

/* METADATA: "X-name:value", kept in wire form. As libzmq: the name starts with "X-", the
 * value is not empty, a name already given keeps its first value, and a value exactly four
 * bytes long is refused (libzmq takes four bytes for an int there). */
static int add_metadata(zf_opts *o, const uint8_t *v, size_t len)
{
    const uint8_t *colon = len ? memchr(v, ':', len) : NULL;
    if (len == sizeof(int) || !colon || colon == v || colon == v + len - 1)
        return -EINVAL;
    size_t nl = (size_t)(colon - v), vl = len - nl - 1;
    if (nl < 2 || v[0] != 'X' || v[1] != '-' || nl > 255)
        return -EINVAL;
    for (size_t i = 0; i < o->app_meta_len;) { /* a known name: first one wins */
        size_t n = o->app_meta[i];
        const uint8_t *q = o->app_meta + i + 1 + n;
        size_t l = ((size_t)q[0] << 24) | ((size_t)q[1] << 16) | ((size_t)q[2] << 8) | q[3];
        if (n == nl && memcmp(o->app_meta + i + 1, v, nl) == 0)
            return 0;
        i += 1 + n + 4 + l;
    }
    if (o->app_meta_len + 1 + nl + 4 + vl > ZF_APP_META_MAX)
        return -ENOMEM;
    uint8_t *p = o->app_meta + o->app_meta_len;
    p[0] = (uint8_t)nl;
    memcpy(p + 1, v, nl);
    p += 1 + nl;
    p[0] = (uint8_t)(vl >> 24);
    p[1] = (uint8_t)(vl >> 16);
    p[2] = (uint8_t)(vl >> 8);
    p[3] = (uint8_t)vl;
    memcpy(p + 4, colon + 1, vl);
    o->app_meta_len = (uint16_t)(o->app_meta_len + 1 + nl + 4 + vl);
    return 0;
}

/* TCP_ACCEPT_FILTER: "address" or "address/prefix-bits", IPv6 only on an IPV6 socket. */
static int add_tcp_filter(zf_opts *o, const char *text, size_t len)
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

int zf_opts_more_get_int(const zf_opts *o, int option, int64_t *value)
{
    switch (option) {
    case ZF_OPT_RATE: *value = o->rate; return 0;
    case ZF_OPT_RECOVERY_IVL: *value = o->recovery_ivl; return 0;
    case ZF_OPT_MULTICAST_HOPS: *value = o->multicast_hops; return 0;
    case ZF_OPT_MULTICAST_MAXTPDU: *value = o->multicast_maxtpdu; return 0;
    case ZF_OPT_MULTICAST_LOOP: *value = o->multicast_loop; return 0;
    case ZF_OPT_LOOPBACK_FASTPATH: *value = o->loopback_fastpath; return 0;
    case ZF_OPT_ZAP_ENFORCE_DOMAIN: *value = o->zap_enforce_domain; return 0;
    case ZF_OPT_INVERT_MATCHING: *value = o->invert_matching; return 0;
    case ZF_OPT_RECONNECT_STOP: *value = o->reconnect_stop; return 0;
    case ZF_OPT_TCP_MAXRT: *value = o->tcp_maxrt; return 0;
    case ZF_OPT_USE_FD: *value = o->use_fd; return 0;
    case ZF_OPT_IPV4ONLY: *value = !o->ipv6; return 0;
    case ZF_OPT_THREAD_SAFE: *value = 0; return 0; /* no socket type here is thread-safe */
    default: return -ENOTSUP;
    }
}

int zf_opts_more_set_bytes(zf_opts *o, int option, const void *value, size_t len)
{
    switch (option) {
    case ZF_OPT_BINDTODEVICE:
        /* an interface name: what SO_BINDTODEVICE takes (IFNAMSIZ - 1, or 16 as libzmq allows) */
        if (len < 1 || len > 16)
            return -EINVAL;
        memcpy(o->bindtodevice, value, len);
        o->bindtodevice[len] = 0;
        o->bindtodevice_len = (uint8_t)len;
        return 0;
    case ZF_OPT_SOCKS_PROXY:
        /* host:port; libzmq has no upper bound, we keep what a DNS name and a port can take */
        if (len < 1 || len > sizeof o->socks_proxy - 1)
            return -EINVAL;
        memcpy(o->socks_proxy, value, len);
        o->socks_proxy[len] = 0;
        o->socks_proxy_len = (uint8_t)len;
        return 0;
    case ZF_OPT_TCP_ACCEPT_FILTER:
        return add_tcp_filter(o, value, len);
    case ZF_OPT_METADATA:
        return add_metadata(o, value, len);
    case ZF_OPT_SOCKS_USERNAME:
    case ZF_OPT_SOCKS_PASSWORD:
        /* RFC 1929 carries each in a one-byte length; empty is allowed (no authentication) */
        if (len > 255)
            return -EINVAL;
        if (option == ZF_OPT_SOCKS_USERNAME) {
            memcpy(o->socks_user, value, len);
            o->socks_user_len = (uint8_t)len;
        } else {
            memcpy(o->socks_pass, value, len);
            o->socks_pass_len = (uint8_t)len;
        }
        return 0;
    default:
        return -ENOTSUP;
    }
}

int zf_opts_more_get_bytes(const zf_opts *o, int option, const void **value, size_t *len)
{
    switch (option) {
    case ZF_OPT_BINDTODEVICE: *value = o->bindtodevice; *len = o->bindtodevice_len; return 0;
    case ZF_OPT_SOCKS_PROXY: *value = o->socks_proxy; *len = o->socks_proxy_len; return 0;
    case ZF_OPT_SOCKS_USERNAME: *value = o->socks_user; *len = o->socks_user_len; return 0;
    case ZF_OPT_SOCKS_PASSWORD: *value = o->socks_pass; *len = o->socks_pass_len; return 0;
    default: return -ENOTSUP;
    }
}
