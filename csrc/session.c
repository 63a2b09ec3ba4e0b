/* session.c: a session's lifetime, its events, heartbeats and the write loop (see session.h).
 * Everything here runs in the I/O thread, between zf_session_tx_enter and zf_session_tx_leave
 * (direct_send.c), which is what lets direct transmit share the outbound state. */
#define ZF_SESSION_INTERNAL
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech.h"
#include "net.h"
#include "sys.h"
#include "zap_client.h"
#include "zmtp.h"

uint64_t zf_session_id(zf_session *s) { return s->id; }

/* ---- lifetime ---------------------------------------------------------------------------- */

static void t_linger_fire(zf_timer *t);
static void t_hb_fire(zf_timer *t);

zf_session *zf_session_alloc(zf_io *io, zf_sock_link *sock, const zf_opts *opts)
{
    zf_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rbuf = malloc(ZF_RBUF_SIZE);
    s->wbuf = malloc(ZF_WBUF_SIZE);
    if (!s->rbuf || !s->wbuf) {
        free(s->rbuf);
        free(s->wbuf);
        free(s);
        return NULL;
    }
    s->id = atomic_fetch_add(&sock->ctx->next_id, 1);
    s->h.fd = -1;
    s->h.on_event = zf_session_on_event;
    s->io = io;
    s->sock = sock;
    zf_sock_link_ref(sock);
    s->opts = *opts;
    s->engine = opts->raw ? &zf_engine_raw : &zf_engine_zmtp;
    s->mech = zf_mech_of(opts->mechanism);
    s->peer_type = -1;
    s->t_conn.slot = -1;
    s->t_conn.fire = zf_connecter_t_conn_fire;
    s->t_linger.slot = -1;
    s->t_linger.fire = t_linger_fire;
    s->t_hb.slot = -1;
    s->t_hb.fire = t_hb_fire;
    s->cur_ivl = opts->reconnect_ivl;
    sock->ctx->ops->session_born(sock->ctx);
    return s;
}

void zf_session_link(zf_session *s)
{
    if (zf_idmap_put(&s->io->session_ids, s->id, s) < 0)
        s->io->session_ids_partial = 1;
    s->next = s->io->sessions;
    if (s->next)
        s->next->prev = s;
    s->prev = NULL;
    s->io->sessions = s;
}

/* The session becomes the owner of end 1 of p, woken through its I/O thread. */
static void own_end(zf_session *s, zf_pipe *p, int direct)
{
    p->end[1].owner = s;
    p->end[1].waker.parked = &p->end[1].own_parked;
    p->end[1].waker.wake = zf_session_pipe_wake;
    p->end[1].waker.arg = s->io;
    p->end[1].waker.direct = direct ? zf_session_direct : NULL;
}

zf_session *zf_session_new_connect(zf_io *io, zf_sock_link *sock, const zf_opts *opts, const zf_addr *addr,
                                   const char *endpoint, zf_pipe *pipe)
{
    zf_session *s = zf_session_alloc(io, sock, opts);
    if (!s)
        return NULL;
    s->connect_side = 1;
    s->addr = *addr;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    s->pipe = pipe;
    if (pipe)
        own_end(s, pipe, 1);
    return s;
}

static void fill_peer_info(zf_session *s, zf_pipe_end *e)
{
    e->peer_type = s->peer_type;
    e->peer_id_len = (uint8_t)s->peer_id_len;
    memcpy(e->peer_id, s->peer_id, (size_t)s->peer_id_len);
    zf_session_peer_address(s, e->peer_addr, sizeof e->peer_addr);
    free(e->peer_props);
    e->peer_props = s->peer_props;
    e->peer_props_len = s->peer_props_len;
    s->peer_props = NULL;
    s->peer_props_len = 0;
}

int zf_session_attach_pipe(zf_session *s, int direct)
{
    uint64_t sndhwm = s->opts.sndhwm > 0 ? (uint64_t)s->opts.sndhwm : 0;
    /* CONFLATE keeps one message whatever the HWM: the ZMTP side does not count (raw ignores it) */
    uint64_t rcvhwm = s->opts.rcvhwm > 0 && (s->opts.raw || !s->opts.conflate) ? (uint64_t)s->opts.rcvhwm : 0;
    zf_pipe *p = zf_pipe_new(sndhwm, rcvhwm);
    if (!p)
        return -1;
    own_end(s, p, direct);
    fill_peer_info(s, &p->end[0]);
    p->end[0].via_session = 1;
    s->sock->ops->own_end(s->sock, p, 0);
    zf_pipe_ref(p); /* the socket's */
    if (s->sock->ops->post(s->sock, ZF_SCMD_ATTACH, p) < 0) {
        p->end[1].owner = NULL;
        zf_pipe_unref(p);
        zf_pipe_unref(p);
        return -1;
    }
    s->pipe = p;
    return 0;
}

void zf_session_drop_pipe(zf_session *s)
{
    zf_pipe *p = s->pipe;
    if (!p)
        return;
    s->pipe = NULL;
    if (s->rx_mid || zf_queue_dirty(&p->q[1]))
        zf_queue_rollback(&p->q[1]);
    s->rx_mid = 0;
    zf_pipe_close_end(p, 1);
    p->end[1].owner = NULL;
    if (!atomic_load(&p->end[0].closed)) {
        zf_pipe_ref(p);
        if (s->sock->ops->post(s->sock, ZF_SCMD_TERM, p) < 0)
            zf_pipe_unref(p);
    }
    zf_pipe_unref(p);
}

static void close_fd(zf_session *s)
{
    if (s->h.fd >= 0) {
        zf_io_del(s->io, &s->h);
        zf_sys_close(s->h.fd);
        s->h.fd = -1;
    }
    s->out_armed = 0;
}

void zf_session_destroy(zf_session *s)
{
    if (s->dead)
        return;
    s->dead = 1;
    close_fd(s);
    zf_io_timer_cancel(s->io, &s->t_conn);
    zf_io_timer_cancel(s->io, &s->t_linger);
    zf_io_timer_cancel(s->io, &s->t_hb);
    if (s->rx_big)
        zf_buf_unref(s->rx_big);
    if (s->tx_big)
        zf_buf_unref(s->tx_big);
    s->rx_big = s->tx_big = NULL;
    zf_session_drop_pipe(s);
    zf_zap_cancel(s);
    zf_idmap_take(&s->io->session_ids, s->id);
    if (s->prev)
        s->prev->next = s->next;
    else if (s->io->sessions == s)
        s->io->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    free(s->peer_props);
    s->peer_props = NULL;
    if (s->mech->destroy)
        s->mech->destroy(s);
    zf_opts_forget_secret(&s->opts);
    zf_ctx_link *ctx = s->sock->ctx;
    zf_sock_link_unref(s->sock);
    zf_io_bury(s->io, s->rbuf);
    zf_io_bury(s->io, s->wbuf);
    zf_io_bury(s->io, s);
    zf_io_unload(s->io);
    ctx->ops->session_died(ctx);
}

int zf_session_socket_closed(zf_session *s)
{
    return s->pipe && atomic_load(&s->pipe->end[0].closed);
}

static void t_linger_fire(zf_timer *t)
{
    zf_session *s = zf_container_of(t, zf_session, t_linger);
    zf_pipe *p = zf_session_tx_enter(s);
    zf_session_destroy(s);
    zf_session_tx_leave(s, p);
}

/* Disconnected, and the socket's delimiter is all that is queued: no reason to linger. */
static int nothing_to_flush(zf_session *s)
{
    if (s->state == S_ACTIVE || !s->pipe)
        return 0;
    zf_rec *r = zf_queue_peek(&s->pipe->q[0]);
    return r && (r->flags & ZF_REC_DELIM) && !s->tx_skip;
}

/* The socket closed its end: flush within the linger period, or go now. */
static void on_socket_closed(zf_session *s)
{
    if (s->closing_seen)
        return;
    s->closing_seen = 1;
    int linger = s->pipe ? s->pipe->end[0].linger : 0;
    if (linger == 0 || (s->state != S_ACTIVE && !s->connect_side) || nothing_to_flush(s)) {
        zf_session_destroy(s);
        return;
    }
    if (linger > 0)
        zf_io_timer_set(s->io, &s->t_linger, linger);
}

void zf_session_lost(zf_session *s)
{
    s->socks_step = 0; /* a SOCKS exchange cut short starts over with the next connection */
    if (s->h.fd >= 0 && s->state != S_CONNECTING && s->state != S_ACTIVE)
        s->stop_why = ZF_RECONNECT_STOP_HANDSHAKE_FAILED;
    s->engine->lost(s);
    if (s->h.fd >= 0 && s->state != S_CONNECTING) {
        if (s->state != S_ACTIVE) { /* the handshake did not complete */
            if (s->fail_event)
                zf_monitor_event(s->sock, s->fail_event, s->fail_value, s->endpoint);
            else
                zf_monitor_event(s->sock, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                                 ZF_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, s->endpoint);
        }
        zf_monitor_event(s->sock, ZF_EVENT_DISCONNECTED, s->h.fd, s->endpoint);
    } else if (s->h.fd >= 0) {
        zf_monitor_event(s->sock, ZF_EVENT_CLOSED, s->h.fd, s->endpoint); /* a failed connect */
    }
    close_fd(s);
    zf_zap_cancel(s);
    if (s->mech->lost)
        s->mech->lost(s);
    s->fail_event = 0;
    zf_io_timer_cancel(s->io, &s->t_conn);
    zf_io_timer_cancel(s->io, &s->t_hb);
    s->hb_next_ping = s->hb_deadline = s->ttl_deadline = 0;
    if (s->rx_big) {
        zf_buf_unref(s->rx_big);
        s->rx_big = NULL;
    }
    if (s->pipe && (s->rx_mid || zf_queue_dirty(&s->pipe->q[1])))
        zf_queue_rollback(&s->pipe->q[1]); /* never deliver part of a message */
    s->rx_mid = 0;
    s->rx_paused = 0;
    s->rlen = s->rpos = 0;
    s->wlen = s->wpos = 0;
    s->ctl_len = 0;
    if (s->tx_big) {
        zf_buf_unref(s->tx_big);
        s->tx_big = NULL;
    }
    if (s->tx_mid)
        s->tx_skip = 1;
    s->tx_mid = 0;
    int was_active = s->state == S_ACTIVE;
    s->state = S_IDLE;
    if (!s->connect_side) {
        zf_session_destroy(s);
        return;
    }
    if (s->opts.immediate && s->pipe && was_active)
        zf_session_drop_pipe(s);
    if (s->pipe && zf_session_socket_closed(s) && (s->pipe->end[0].linger == 0 || nothing_to_flush(s))) {
        zf_session_destroy(s);
        return;
    }
    zf_connecter_reconnect(s);
}

/* Asked twice per connection (the metadata frame, the pipe's peer info) and by ZAP: the
 * system is asked once per connection (the engines' connected clears peer_addr_known). */
void zf_session_peer_address(zf_session *s, char *buf, size_t cap)
{
    if (!s->peer_addr_known) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        s->peer_addr[0] = 0;
        if (getpeername(s->h.fd, (struct sockaddr *)&ss, &len) == 0) {
            if (ss.ss_family == AF_INET)
                inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, s->peer_addr, sizeof s->peer_addr);
            else if (ss.ss_family == AF_INET6)
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, s->peer_addr, sizeof s->peer_addr);
            s->peer_addr_known = 1; /* a failure is asked again */
        }
    }
    snprintf(buf, cap, "%s", s->peer_addr);
}

/* ---- inbound, shared by the engines ------------------------------------------------------- */

int zf_session_push_frame(zf_session *s, const uint8_t *data, uint64_t size, zf_buf *big, int more)
{
    zf_queue *q = &s->pipe->q[1];
    int rc = big ? zf_queue_put_ext(q, big, (uint8_t *)data, size, more ? ZF_REC_MORE : 0)
                 : zf_queue_put(q, data, size, more ? ZF_REC_MORE : 0);
    if (rc < 0) {
        if (big)
            zf_buf_unref(big);
        return -1;
    }
    if (more) {
        s->rx_mid = 1;
    } else {
        s->rx_mid = 0;
        zf_pipe_commit(s->pipe, 1);
        s->rx_dirty = 1;
    }
    return 0;
}

void zf_session_pause_rx(zf_session *s)
{
    s->rx_paused = 1;
    zf_io_set(s->io, &s->h, s->out_armed ? ZF_IO_OUT : 0);
}

/* ---- heartbeats ------------------------------------------------------------------------- */

void zf_session_arm_hb(zf_session *s)
{
    int64_t when = 0;
    int64_t c[3] = {s->hb_next_ping, s->hb_deadline, s->ttl_deadline};
    for (int i = 0; i < 3; i++)
        if (c[i] && (!when || c[i] < when))
            when = c[i];
    if (!when) {
        zf_io_timer_cancel(s->io, &s->t_hb);
        return;
    }
    int64_t d = when - zf_now_ms();
    zf_io_timer_set(s->io, &s->t_hb, d > 0 ? d : 0);
}

static void hb_fire(zf_session *s)
{
    if (s->state != S_ACTIVE)
        return;
    int64_t now = zf_now_ms();
    if ((s->hb_deadline && now >= s->hb_deadline) || (s->ttl_deadline && now >= s->ttl_deadline)) {
        zf_session_lost(s); /* silence past the limit: the peer (or the path to it) is gone */
        return;
    }
    if (s->hb_next_ping && now >= s->hb_next_ping) {
        int ttl = s->opts.heartbeat_ttl / 100;
        uint8_t ping[9] = {ZF_F_COMMAND, 7, 4, 'P', 'I', 'N', 'G', (uint8_t)(ttl >> 8), (uint8_t)ttl};
        zf_zmtp_queue_ctl(s, ping, sizeof ping);
        s->hb_next_ping = now + s->opts.heartbeat_ivl;
        if (!s->hb_deadline) {
            int timeout = s->opts.heartbeat_timeout >= 0 ? s->opts.heartbeat_timeout : s->opts.heartbeat_ivl;
            s->hb_deadline = now + timeout;
        }
        zf_session_flush(s);
        if (s->h.fd < 0 || s->dead)
            return;
    }
    zf_session_arm_hb(s);
}

static void t_hb_fire(zf_timer *t)
{
    zf_session *s = zf_container_of(t, zf_session, t_hb);
    zf_pipe *p = zf_session_tx_enter(s);
    hb_fire(s);
    zf_session_tx_leave(s, p);
}

/* ---- outbound: the I/O thread's write loop ------------------------------------------------ */

void zf_session_flush(zf_session *s)
{
    for (;;) {
        if (s->h.fd < 0)
            return;
        if (s->state == S_ACTIVE && s->pipe && !s->tx_done)
            s->engine->fill(s);
        size_t pending = s->wlen - s->wpos;
        if (!pending && !s->tx_big) {
            if (s->tx_done) {
                zf_session_destroy(s); /* everything the socket sent before closing is out */
                return;
            }
            if (s->out_armed) {
                s->out_armed = 0;
                zf_io_set(s->io, &s->h, s->rx_paused ? 0 : ZF_IO_IN);
            }
            if (s->state != S_ACTIVE || !s->pipe || s->tx_failed)
                return; /* tx_failed: the shut-down fd ends the connection from the read side */
            /* Park, then look once more: a commit racing with us either sees the flag or is
             * seen by this second look. */
            atomic_store_explicit(&s->pipe->end[1].own_parked, 1, memory_order_relaxed);
            zf_fence();
            if (!zf_queue_peek(&s->pipe->q[0]))
                return;
            atomic_store_explicit(&s->pipe->end[1].own_parked, 0, memory_order_relaxed);
            continue;
        }
        ssize_t n = zf_session_write_out(s, pending);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!s->out_armed) {
                    s->out_armed = 1;
                    zf_io_set(s->io, &s->h, (s->rx_paused ? 0 : ZF_IO_IN) | ZF_IO_OUT);
                }
                return;
            }
            zf_session_lost(s);
            return;
        }
        zf_session_wrote(s, pending, (size_t)n);
    }
}

/* ---- events ------------------------------------------------------------------------------ */

static void session_event(zf_session *s, uint32_t ev)
{
    if (s->socks_step) {
        zf_socks_read(s);
        return;
    }
    if (s->state == S_CONNECTING) {
        zf_connecter_on_connect(s, ev);
        return;
    }
    if (ev & (ZF_IO_IN | ZF_IO_ERR))
        s->engine->read_in(s);
    if (s->dead || s->h.fd < 0)
        return;
    if (ev & ZF_IO_OUT)
        zf_session_flush(s);
}

void zf_session_on_event(zf_handler *h, uint32_t ev)
{
    zf_session *s = zf_container_of(h, zf_session, h);
    zf_pipe *p = zf_session_tx_enter(s);
    session_event(s, ev);
    zf_session_tx_leave(s, p);
}

/* The socket committed data, returned credit, or closed its end; or the ZAP handler answered. */
static void session_kick(zf_session *s)
{
    if (s->zap && s->h.fd >= 0) {
        zf_zap_answered(s);
        if (s->dead)
            return;
    }
    if (zf_session_socket_closed(s))
        on_socket_closed(s);
    if (s->dead)
        return;
    if (s->h.fd >= 0 && s->state == S_ACTIVE) {
        if (s->rx_paused && s->pipe && zf_pipe_check_write(s->pipe, 1)) {
            s->rx_paused = 0;
            zf_io_set(s->io, &s->h, ZF_IO_IN | (s->out_armed ? ZF_IO_OUT : 0));
            if (s->rx_big)
                s->engine->read_in(s);
            else
                s->engine->decode(s);
            if (s->dead || s->h.fd < 0)
                return;
            if (!s->rx_paused)
                s->engine->read_in(s);
        }
        if (s->dead || s->h.fd < 0)
            return;
        zf_session_flush(s);
    }
}

void zf_session_kick(zf_session *s)
{
    if (s->dead)
        return;
    zf_pipe *p = zf_session_tx_enter(s);
    session_kick(s);
    zf_session_tx_leave(s, p);
}

/* ---- the I/O thread's commands about sessions ---------------------------------------------- */

static void cmd_kick(zf_io *io, zf_io_cmd *c)
{
    (void)io;
    /* Read the record before reopening it: once queued is 0, an application thread may
     * rewrite it (zf_session_pipe_wake) for the next kick. */
    zf_pipe *p = c->a;
    int end = (int)c->id;
    atomic_store_explicit(&c->queued, 0, memory_order_release);
    zf_session *s = p->end[end].owner;
    if (s)
        zf_session_kick(s);
    zf_pipe_unref(p);
}

void zf_session_pipe_wake(void *arg, zf_pipe *p, int end)
{
    zf_io *io = arg;
    zf_io_cmd *c = &p->kick_cmd;
    if (atomic_exchange(&c->queued, 1))
        return; /* already on its way */
    zf_pipe_ref(p);
    c->run = cmd_kick;
    c->embedded = 1; /* in the pipe: not freed */
    c->a = p;
    c->id = (uint64_t)end; /* sessions own end 1 of their pipe, end 0 of a ZAP request's */
    c->sync = NULL;
    zf_io_post(io, c);
}

/* At the I/O thread's stop: whatever is left (term already waited for the sessions it cares
 * about), and the listeners. */
static void close_all(zf_io *io)
{
    while (io->sessions) {
        zf_session *s = io->sessions;
        zf_pipe *p = zf_session_tx_enter(s);
        zf_session_destroy(s);
        zf_session_tx_leave(s, p);
    }
    while (io->listeners)
        zf_listener_close(io->listeners, 1);
}

static void cmd_start(zf_io *io, zf_io_cmd *c)
{
    zf_session *s = c->a;
    io->on_stop = close_all;
    zf_session_link(s);
    zf_pipe *p = zf_session_tx_enter(s);
    zf_connecter_start(s);
    zf_session_tx_leave(s, p);
}

int zf_session_post_start(zf_session *s)
{
    return zf_io_post_new(s->io, cmd_start, s, 0);
}

static void cmd_sock_closed(zf_io *io, zf_io_cmd *c)
{
    zf_session *s = zf_idmap_find(&io->session_ids, c->id);
    if (!s && io->session_ids_partial)
        for (s = io->sessions; s && s->id != c->id; s = s->next) {
        }
    if (!s)
        return;
    if (!s->pipe) {
        zf_session_destroy(s);
        return;
    }
    zf_pipe *p = zf_session_tx_enter(s);
    on_socket_closed(s);
    zf_session_tx_leave(s, p);
}

/* An accepted connection handed over by a listener on another I/O thread: from here on it is
 * this thread's, as if accepted here. */
static void cmd_accepted(zf_io *io, zf_io_cmd *c)
{
    zf_session *s = c->a;
    io->on_stop = close_all;
    zf_session_link(s);
    if (io->stopping) { /* cannot happen while its socket is open: term waits for that */
        zf_session_destroy(s);
        return;
    }
    zf_io_add(io, &s->h, ZF_IO_IN);
    zf_pipe *p = zf_session_tx_enter(s);
    s->engine->connected(s);
    zf_session_tx_leave(s, p);
}

int zf_session_post_accepted(zf_session *s)
{
    return zf_io_post_new(s->io, cmd_accepted, s, 0);
}

void zf_session_post_sock_closed(zf_io *io, uint64_t id)
{
    zf_io_post_new(io, cmd_sock_closed, NULL, id);
}

static void cmd_listen(zf_io *io, zf_io_cmd *c)
{
    io->on_stop = close_all;
    zf_listener_start(c->a);
}

void zf_listener_post_start(zf_listener *l)
{
    zf_io_call(l->io, cmd_listen, l);
}

static void cmd_unbind(zf_io *io, zf_io_cmd *c)
{
    (void)io;
    zf_listener_close(c->a, 1);
}

static void cmd_close_listener(zf_io *io, zf_io_cmd *c)
{
    (void)io;
    zf_listener_close(c->a, 0);
}

static void cmd_stop_listening(zf_io *io, zf_io_cmd *c)
{
    (void)io;
    zf_listener_stop(c->a);
}

static void cmd_release_unbind(zf_io *io, zf_io_cmd *c) { zf_listener_release_sessions(io, c->a, 1); }
static void cmd_release_close(zf_io *io, zf_io_cmd *c) { zf_listener_release_sessions(io, c->a, 0); }

/* With several I/O threads, what the listener accepted may live on any of them: it stops
 * accepting first (so no hand-over is still to come), then each other thread lets go of its
 * sessions of it (a hand-over posted before is ahead in that thread's mailbox), and last the
 * listener's own thread closes it, its own sessions with it, and frees it. With one thread this
 * is the one call it always was. Costs a round trip per thread, at unbind and close only. */
void zf_listener_post_close(zf_listener *l, int with_sessions)
{
    zf_ctx_link *c = l->sock->ctx;
    if (c->ops->io_at(c, 1)) {
        zf_io_call(l->io, cmd_stop_listening, l);
        zf_io *io;
        for (int i = 0; (io = c->ops->io_at(c, i)) != NULL; i++)
            if (io != l->io)
                zf_io_call(io, with_sessions ? cmd_release_unbind : cmd_release_close, l);
    }
    zf_io_call(l->io, with_sessions ? cmd_unbind : cmd_close_listener, l);
}
