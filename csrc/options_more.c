/* options_more.c: the options libzmq 4.3 keeps on every socket beyond options.c's table, with
 * libzmq's defaults and its validation. Some steer our tcp transport (TCP_MAXRT, BINDTODEVICE,
 * USE_FD, RECONNECT_STOP), some steer subscriptions (INVERT_MATCHING); the multicast ones belong
 * to transports we do not have, but libzmq stores and returns them on any socket, so code that
 * sets them before choosing an endpoint keeps working. */
#include "options.h"

#include <errno.h>
#include <string.h>


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
        return zf_accept_filter_add_tcp(o, value, len);
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
