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
    default: return -ENOTSUP;
    }
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
