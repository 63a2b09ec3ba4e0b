/* connecter.c: the connecting side of a session: resolve, connect (through a SOCKS5 proxy when
 * one is set: socks.c), time out, and reconnect with backoff or jitter until RECONNECT_STOP or
 * the socket lets the endpoint go. I/O thread only. */
#define ZF_SESSION_INTERNAL
#include "session.h"

#include <errno.h>

#include "net.h"
#include "sys.h"

/* RECONNECT_STOP: whether the attempt that just ended gives the endpoint up. Consumes the
 * reason. As libzmq 4.3.5: CONN_REFUSED stops a refused tcp connect; HANDSHAKE_FAILED stops
 * after a connection that never completed its handshake (closed, garbage, timeout);
 * AFTER_DISCONNECT stops a refused ipc connect once the application has disconnected or
 * unbound an endpoint of the socket (libzmq tests it in its ipc connecter only). */
static int reconnect_stopped(zf_session *s)
{
    int why = s->stop_why;
    int stop = s->opts.reconnect_stop;
    s->stop_why = 0;
    if (why == ZF_RECONNECT_STOP_CONN_REFUSED && s->addr.transport != ZF_TCP)
        return (stop & ZF_RECONNECT_STOP_AFTER_DISCONNECT) &&
               atomic_load_explicit(&s->sock->disconnected, memory_order_relaxed);
    return (why & stop) != 0;
}

void zf_connecter_reconnect(zf_session *s)
{
    if (reconnect_stopped(s)) {
        s->state = S_IDLE;
        if (s->pipe && zf_session_socket_closed(s))
            zf_session_destroy(s);
        else
            zf_session_drop_pipe(s); /* as libzmq drops the endpoint: the socket stops queueing for it */
        return;
    }
    int ivl = s->opts.reconnect_ivl;
    if (ivl < 0) {
        s->state = S_IDLE;
        if (s->pipe && zf_session_socket_closed(s))
            zf_session_destroy(s);
        return; /* reconnection disabled: stay idle until the socket lets us go */
    }
    int64_t delay;
    if (s->opts.reconnect_ivl_max > 0) {
        delay = s->cur_ivl;
        int next = s->cur_ivl * 2;
        s->cur_ivl = next > s->opts.reconnect_ivl_max ? s->opts.reconnect_ivl_max : next;
    } else {
        /* jitter spreads out a crowd of peers reconnecting to a restarted server */
        s->io->rng = s->io->rng * 6364136223846793005ULL + 1442695040888963407ULL;
        delay = ivl + (ivl > 0 ? (int64_t)((s->io->rng >> 33) % (uint64_t)ivl) : 0);
    }
    s->state = S_IDLE;
    zf_monitor_event(s->sock, ZF_EVENT_CONNECT_RETRIED, delay, s->endpoint);
    zf_io_timer_set(s->io, &s->t_conn, delay);
}

void zf_connecter_start(zf_session *s)
{
    int socks = zf_socks_proxied(s);
    zf_addr *dst = socks ? &s->proxy : &s->addr; /* the endpoint's host is the proxy's to find */
    if ((socks ? zf_socks_resolve(s) : zf_addr_resolve(&s->addr, 0, s->opts.ipv6)) < 0) {
        zf_connecter_reconnect(s);
        return;
    }
    int fd = zf_net_socket(dst->sa.ss_family);
    if (fd < 0) {
        zf_connecter_reconnect(s);
        return;
    }
    zf_net_tune(fd, &s->opts, s->addr.transport == ZF_TCP);
    if (s->addr.transport == ZF_TCP && zf_net_bind_to_device(fd, &s->opts) < 0) {
        zf_sys_close(fd); /* as libzmq: a device we may not use is retried like any failed connect */
        zf_connecter_reconnect(s);
        return;
    }
    s->h.fd = fd;
    int rc = zf_sys_connect(fd, (struct sockaddr *)&dst->sa, dst->salen);
    if (rc == 0) {
        zf_io_add(s->io, &s->h, ZF_IO_IN);
        if (socks) {
            zf_socks_start(s);
            return;
        }
        zf_monitor_event(s->sock, ZF_EVENT_CONNECTED, fd, s->endpoint);
        s->engine->connected(s);
        return;
    }
    if (errno == EINPROGRESS) {
        s->state = S_CONNECTING;
        zf_monitor_event(s->sock, ZF_EVENT_CONNECT_DELAYED, EINPROGRESS, s->endpoint);
        zf_io_add(s->io, &s->h, ZF_IO_OUT);
        if (s->opts.connect_timeout > 0)
            zf_io_timer_set(s->io, &s->t_conn, s->opts.connect_timeout);
        return;
    }
    if (errno == ECONNREFUSED)
        s->stop_why = ZF_RECONNECT_STOP_CONN_REFUSED;
    zf_monitor_event(s->sock, ZF_EVENT_CLOSED, fd, s->endpoint); /* as libzmq: closed, then retried */
    zf_sys_close(fd);
    s->h.fd = -1;
    zf_connecter_reconnect(s);
}

void zf_connecter_on_connect(zf_session *s, uint32_t ev)
{
    int err = zf_sys_socket_error(s->h.fd); /* an errno value (Winsock's mapped) */
    if (err || (ev & ZF_IO_ERR && !(ev & ZF_IO_OUT))) {
        if (err == ECONNREFUSED)
            s->stop_why = ZF_RECONNECT_STOP_CONN_REFUSED;
        zf_session_lost(s);
        return;
    }
    zf_io_timer_cancel(s->io, &s->t_conn);
    if (zf_socks_proxied(s)) {
        zf_socks_start(s);
        return;
    }
    zf_monitor_event(s->sock, ZF_EVENT_CONNECTED, s->h.fd, s->endpoint);
    s->engine->connected(s);
}

/* t_conn: time to reconnect (idle), or the connect or the handshake took too long. */
void zf_connecter_t_conn_fire(zf_timer *t)
{
    zf_session *s = zf_container_of(t, zf_session, t_conn);
    zf_pipe *p = zf_session_tx_enter(s);
    if (s->state == S_IDLE)
        zf_connecter_start(s);
    else if (s->state != S_ACTIVE)
        zf_session_lost(s); /* connect or handshake timeout */
    zf_session_tx_leave(s, p);
}
