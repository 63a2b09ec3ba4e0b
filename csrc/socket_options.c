/* socket_options.c: a socket's options as the binding reads and writes them: the common table
 * (options.c, options_more.c), what the socket itself answers (TYPE, RCVMORE, EVENTS, ROUTING_ID,
 * LAST_ENDPOINT, ...) and what its pattern keeps (zf_sock_ops.setopt/getopt); and the metadata of
 * the last frame received. Application thread (the socket's owner). */
#include "socket.h"

#include <errno.h>
#include <string.h>


int zf_sock_type(zf_sock *s) { return s->opts.type; }

zf_buf *zf_sock_meta(zf_sock *s)
{
    zf_pipe *p = s->last_pipe;
    if (!p)
        return NULL;
    zf_buf *m = p->end[zf_sock_end(s, p)].meta;
    if (m)
        zf_buf_ref(m);
    return m;
}
int zf_sock_fd(zf_sock *s) { return s->sig.rfd; }
int zf_sock_rcvmore(zf_sock *s) { return s->rx_more; }
int zf_sock_closed(zf_sock *s) { return s->closed; }

int zf_sock_setopt_int(zf_sock *s, int option, int64_t value)
{
    if (s->closed)
        return -ENOTSOCK;
    if (option == ZF_OPT_AFFINITY) {
        /* which I/O threads later binds and connects may use (zf_ctx_choose_io), a listener's
         * accepted connections included; what exists already stays where it is, as in libzmq */
        s->opts.affinity = value;
        return 0;
    }
    int rc = zf_opts_set_int(&s->opts, option, value);
    if (rc == -ENOTSUP && s->ops->setopt)
        rc = s->ops->setopt(s, option, &value, sizeof value);
    return rc;
}

int zf_sock_getopt_int(zf_sock *s, int option, int64_t *value)
{
    if (s->closed)
        return -ENOTSOCK;
    switch (option) {
    case ZF_OPT_RCVMORE:
        *value = s->rx_more;
        return 0;
    case ZF_OPT_FD:
        *value = s->sig.rfd;
        return 0;
    case ZF_OPT_EVENTS:
        /* as libzmq: once the context is terminating, EVENTS says so (an event loop waiting on
         * the FD must learn it, or it waits until the socket is closed) */
        if (atomic_load_explicit(&s->link.ctx->terminating, memory_order_relaxed))
            return -ZF_ETERM;
        *value = zf_sock_events(s);
        return 0;
    case ZF_OPT_AFFINITY:
        *value = s->opts.affinity;
        return 0;
    default: {
        int rc = zf_opts_get_int(&s->opts, option, value);
        if (rc == -ENOTSUP && s->ops->getopt) {
            size_t len = sizeof *value;
            rc = s->ops->getopt(s, option, value, &len);
        }
        return rc;
    }
    }
}

int zf_sock_setopt_bytes(zf_sock *s, int option, const void *value, size_t len)
{
    if (s->closed)
        return -ENOTSOCK;
    if (option == ZF_OPT_ROUTING_ID) {
        if (len < 1 || len > 255)
            return -EINVAL;
        if (((const uint8_t *)value)[0] == 0)
            return -EINVAL; /* ids starting with 0 are reserved for generated ones */
        memcpy(s->opts.identity, value, len);
        s->opts.identity_len = (uint8_t)len;
        return 0;
    }
    int rc = zf_opts_set_bytes(&s->opts, option, value, len);
    if (rc != -ENOTSUP)
        return rc;
    if (s->ops->setopt)
        return s->ops->setopt(s, option, value, len);
    return -ENOTSUP;
}

int zf_sock_getopt_bytes(zf_sock *s, int option, void *value, size_t *len)
{
    if (s->closed)
        return -ENOTSOCK;
    const void *src;
    size_t n;
    if (option == ZF_OPT_ROUTING_ID) {
        src = s->opts.identity;
        n = s->opts.identity_len;
    } else if (option == ZF_OPT_LAST_ENDPOINT) {
        src = s->last_endpoint;
        n = strlen(s->last_endpoint);
    } else if (option == ZF_OPT_CONNECT_ROUTING_ID) {
        return -EINVAL; /* CONNECT_ROUTING_ID is write-only in libzmq */
    } else {
        int rc = zf_opts_get_bytes(&s->opts, option, &src, &n);
        if (rc < 0)
            return rc;
    }
    if (n > *len)
        return -EINVAL;
    memcpy(value, src, n);
    *len = n;
    return 0;
}
