/* conn.c: sessions (one peer connection each) and listeners, run by the I/O thread.
 *
 * A session owns its fd and the protocol state: greeting, handshake (NULL, PLAIN or CURVE, asking
 * the ZAP handler where one is needed), then traffic (boxed under CURVE). It is the
 * end 1 of a pipe whose end 0 is the socket. Inbound frames are decoded straight into the pipe's
 * inbound queue and committed per whole message; outbound records are encoded into a write
 * buffer (small frames) or written from their own buffer (large ones).
 *
 * On the connecting side the session outlives its connections: it reconnects, and its pipe (with
 * any queued messages) stays attached to the socket. On the accepting side, and with IMMEDIATE,
 * the pipe exists only while a connection is up. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "ctx.h"
#include "curve.h"
#include "meta.h"
#include "net.h"
#include "socks.h"
#include "mech_plain.h"
#include "monitor.h"
#include "zap.h"
#include "zmtp.h"

#define RBUF_SIZE (64 * 1024)
#define WBUF_SIZE (64 * 1024)
#define CMD_MAX (RBUF_SIZE - 16) /* a command must fit in the read buffer */

enum { S_IDLE, S_CONNECTING, S_GREETING, S_HANDSHAKE, S_ACTIVE };

/* Steps of S_HANDSHAKE: the command we wait for next. */
enum {
    HS_READY,    /* READY (NULL; a PLAIN client after INITIATE) */
    HS_WELCOME,  /* PLAIN client: WELCOME after our HELLO */
    HS_HELLO,    /* PLAIN server: the client's HELLO */
    HS_INITIATE, /* PLAIN server: INITIATE after our WELCOME */
    HS_ZAP,      /* the ZAP handler's answer; what the peer sends meanwhile waits in rbuf */
    HS_CURVE_HELLO,    /* CURVE server: the client's HELLO */
    HS_CURVE_INITIATE, /* CURVE server: INITIATE after our WELCOME */
    HS_CURVE_WELCOME,  /* CURVE client: WELCOME after our HELLO */
    HS_CURVE_READY,    /* CURVE client: READY after our INITIATE */
};

struct zf_session {
    zf_handler h; /* h.fd < 0 when not connected */
    uint64_t id;
    zf_io *io;
    zf_sock *sock; /* referenced */
    zf_opts opts;
    zf_addr addr;
    char endpoint[300];
    zf_listener *listener; /* accepting side: who accepted us (compared, never dereferenced late) */
    int connect_side;
    zf_pipe *pipe; /* our end is 1 */
    int state;
    int peer_minor;
    int hs;               /* handshake step (HS_*) */
    zf_pipe *zap;         /* a ZAP request awaiting its reply (zap.h) */
    uint8_t *zap_props;   /* what the ZAP handler said of the peer (User-Id, metadata), as properties */
    size_t zap_props_len;
    int fail_event;       /* how a failed handshake is reported (0: as a protocol error) */
    int64_t fail_value;
    int stop_why;         /* RECONNECT_STOP: the ZF_RECONNECT_STOP_* case the last attempt ended in */
    int socks_step;       /* SOCKS_PROXY: the SOCKS5 reply awaited (SOCKS_*), 0 when not in SOCKS */
    zf_addr proxy;        /* SOCKS_PROXY: where the tcp connection really goes */
    int peer_type;
    uint8_t peer_id[256];
    int peer_id_len;
    uint8_t *peer_props;
    size_t peer_props_len;
    /* inbound */
    uint8_t *rbuf;
    size_t rlen, rpos;
    zf_buf *rx_big; /* a large frame being read straight into its own buffer */
    uint64_t rx_size, rx_got;
    int rx_flags;
    int rx_mid;    /* inside a multipart message */
    int rx_paused; /* inbound pipe at HWM: not reading */
    int rx_dirty;  /* messages committed since the socket was last woken */
    int rx_bigs;   /* large frames are arriving: read little ahead, so bodies land in place */
    /* outbound */
    uint8_t *wbuf;
    size_t wlen, wpos;
    zf_buf *tx_big;
    const uint8_t *tx_big_ptr;
    size_t tx_big_left;
    int tx_mid;  /* the last record taken had MORE */
    int tx_skip; /* after a lost connection: drop records to the next message boundary */
    int tx_done; /* the socket's delimiter was reached */
    uint8_t ctl[64]; /* control frames (PONG) waiting for a message boundary */
    size_t ctl_len;
    int out_armed;
    /* timers */
    zf_timer t_conn;   /* reconnect or handshake timeout */
    zf_timer t_linger;
    zf_timer t_hb;          /* heartbeats: next PING, and the deadlines below */
    int64_t hb_next_ping;   /* 0: not sending PINGs */
    int64_t hb_deadline;    /* a PING went unanswered by any traffic until then: give up */
    int64_t ttl_deadline;   /* the peer's PING said: drop me if silent until then */
    int cur_ivl;
    int closing_seen;
    int dead;
    /* CURVE only (NULL otherwise): the codec's state, made fresh for every connection, and
     * where frames too large for wbuf are boxed (kept, grown only for a larger frame) */
    zf_curve *curve;
    zf_buf *cv_scratch;
    zf_session *next, *prev;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static void on_event(zf_handler *h, uint32_t ev);
static void conn_lost(zf_session *s);
static void flush_out(zf_session *s);
static void read_in(zf_session *s);
static void decode(zf_session *s);
static int session_direct(zf_pipe *p, int end);
static zf_pipe *tx_enter(zf_session *s);
static void tx_leave(zf_session *s, zf_pipe *p);
/* Raw connections (STREAM, ROUTER_RAW): see the end of this file. */
static void raw_connected(zf_session *s);
static void raw_decode(zf_session *s);
static void raw_read_in(zf_session *s);
static void raw_fill(zf_session *s);
static void raw_lost(zf_session *s);
static const char *mech_name(int mechanism);
static int curve_begin(zf_session *s);
static int curve_start(zf_session *s);
static int curve_command(zf_session *s, uint8_t *cmd, size_t len, const uint8_t *name, size_t nl);
static int curve_send_ready(zf_session *s);
static void fill_boxed(zf_session *s);
static int unbox_big(zf_session *s, zf_buf *b, uint64_t size);

const char *zf_session_endpoint(zf_session *s) { return s->endpoint; }
zf_listener *zf_session_listener(zf_session *s) { return s->listener; }
zf_session *zf_session_next(zf_session *s) { return s->next; }
uint64_t zf_session_id(zf_session *s) { return s->id; }

/* ---- lifetime ---------------------------------------------------------------------------- */

static void t_conn_fire(zf_timer *t);
static void t_linger_fire(zf_timer *t);
static void t_hb_fire(zf_timer *t);

static zf_session *session_alloc(zf_io *io, zf_sock *sock, const zf_opts *opts)
{
    zf_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rbuf = malloc(RBUF_SIZE);
    s->wbuf = malloc(WBUF_SIZE);
    if (!s->rbuf || !s->wbuf) {
        free(s->rbuf);
        free(s->wbuf);
        free(s);
        return NULL;
    }
    s->id = atomic_fetch_add(&sock->ctx->next_id, 1);
    s->h.fd = -1;
    s->h.on_event = on_event;
    s->io = io;
    s->sock = sock;
    zf_sock_ref(sock);
    s->opts = *opts;
    s->peer_type = -1;
    s->t_conn.slot = -1;
    s->t_conn.fire = t_conn_fire;
    s->t_linger.slot = -1;
    s->t_hb.slot = -1;
    s->t_hb.fire = t_hb_fire;
    s->t_linger.fire = t_linger_fire;
    s->cur_ivl = opts->reconnect_ivl;
    zf_ctx_session_born(sock->ctx);
    return s;
}

static void link_session(zf_session *s)
{
    s->next = s->io->sessions;
    if (s->next)
        s->next->prev = s;
    s->prev = NULL;
    s->io->sessions = s;
}

zf_session *zf_session_new_connect(zf_io *io, zf_sock *sock, const zf_opts *opts, const zf_addr *addr,
                                   const char *endpoint, zf_pipe *pipe)
{
    zf_session *s = session_alloc(io, sock, opts);
    if (!s)
        return NULL;
    s->connect_side = 1;
    s->addr = *addr;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    s->pipe = pipe;
    if (pipe) {
        pipe->end[1].owner = s;
        pipe->end[1].waker.parked = &pipe->end[1].own_parked;
        pipe->end[1].waker.wake = zf_io_pipe_wake;
        pipe->end[1].waker.arg = io;
        pipe->end[1].waker.direct = session_direct;
    }
    return s;
}

static void zap_cancel(zf_session *s)
{
    if (s->zap) {
        zf_zap_close(s->zap);
        s->zap = NULL;
    }
    free(s->zap_props);
    s->zap_props = NULL;
    s->zap_props_len = 0;
}

/* Detach from the pipe: write our delimiter and tell the socket. */
static void drop_pipe(zf_session *s)
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
        if (zf_sock_post(s->sock, ZF_SCMD_TERM, p) < 0)
            zf_pipe_unref(p);
    }
    zf_pipe_unref(p);
}

static void close_fd(zf_session *s)
{
    if (s->h.fd >= 0) {
        zf_io_del(s->io, &s->h);
        close(s->h.fd);
        s->h.fd = -1;
    }
    s->out_armed = 0;
}

static void session_destroy(zf_session *s)
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
    drop_pipe(s);
    zap_cancel(s);
    if (s->prev)
        s->prev->next = s->next;
    else if (s->io->sessions == s)
        s->io->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    free(s->peer_props);
    s->peer_props = NULL;
    if (s->curve) {
        zf_curve_wipe(s->curve);
        free(s->curve);
        s->curve = NULL;
    }
    zf_opts_forget_secret(&s->opts);
    if (s->cv_scratch)
        zf_buf_unref(s->cv_scratch);
    s->cv_scratch = NULL;
    zf_ctx *ctx = s->sock->ctx;
    zf_sock_unref(s->sock);
    zf_io_bury(s->io, s->rbuf);
    zf_io_bury(s->io, s->wbuf);
    zf_io_bury(s->io, s);
    zf_ctx_session_died(ctx);
}

void zf_session_terminate(zf_session *s)
{
    zf_pipe *p = tx_enter(s);
    session_destroy(s);
    tx_leave(s, p);
}

static int socket_closed(zf_session *s)
{
    return s->pipe && atomic_load(&s->pipe->end[0].closed);
}

/* ---- TCP_MAXRT, BINDTODEVICE, RECONNECT_STOP ------------------------------------------------ */

/* What libzmq sets on each tcp connection beyond TCP_NODELAY and SO_KEEPALIVE:
 *  TCP_MAXRT: how long sent data may go unacknowledged before the kernel gives up on the
 *    connection; on Linux that is TCP_USER_TIMEOUT, in milliseconds;
 *  TCP_KEEPALIVE_CNT/IDLE/INTVL: the probes' count and timing, when keepalives are on;
 *  TOS: the IP type of service (the traffic class for IPv6). */
static void tune_tcp_more(const zf_opts *o, int fd)
{
#ifdef TCP_USER_TIMEOUT
    if (o->tcp_maxrt > 0) {
        unsigned int ms = (unsigned int)o->tcp_maxrt;
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
    }
#endif
    if (o->tcp_keepalive == 1) {
#ifdef TCP_KEEPCNT
        if (o->tcp_keepalive_cnt != -1)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &o->tcp_keepalive_cnt, sizeof(int));
#endif
#ifdef TCP_KEEPIDLE
        if (o->tcp_keepalive_idle != -1)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o->tcp_keepalive_idle, sizeof(int));
#endif
#ifdef TCP_KEEPINTVL
        if (o->tcp_keepalive_intvl != -1)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &o->tcp_keepalive_intvl, sizeof(int));
#endif
    }
    if (o->tos) {
        /* one of the two applies, by the socket's family; the other fails harmlessly */
        setsockopt(fd, IPPROTO_IP, IP_TOS, &o->tos, sizeof(int));
#ifdef IPV6_TCLASS
        setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &o->tos, sizeof(int));
#endif
    }
}

/* BINDTODEVICE: tcp traffic only through that interface (before bind or connect). */
static int bind_to_device(const zf_opts *o, int fd)
{
    if (!o->bindtodevice_len)
        return 0;
#ifdef SO_BINDTODEVICE
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->bindtodevice, o->bindtodevice_len) < 0)
        return -errno;
    return 0;
#else
    (void)fd;
    return -ENOTSUP;
#endif
}

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

/* ---- connecting -------------------------------------------------------------------------- */

static void schedule_reconnect(zf_session *s)
{
    if (reconnect_stopped(s)) {
        s->state = S_IDLE;
        if (s->pipe && socket_closed(s))
            session_destroy(s);
        else
            drop_pipe(s); /* as libzmq drops the endpoint: the socket stops queueing for it */
        return;
    }
    int ivl = s->opts.reconnect_ivl;
    if (ivl < 0) {
        s->state = S_IDLE;
        if (s->pipe && socket_closed(s))
            session_destroy(s);
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

static void set_sockopts(zf_session *s, int fd)
{
    if (s->addr.transport == ZF_TCP) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s->opts.tcp_keepalive == 1)
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        tune_tcp_more(&s->opts, fd);
    }
    if (s->opts.sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->opts.sndbuf, sizeof s->opts.sndbuf);
    if (s->opts.rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s->opts.rcvbuf, sizeof s->opts.rcvbuf);
}

static void connected(zf_session *s)
{
    if (s->opts.raw) {
        raw_connected(s);
        return;
    }
    s->state = S_GREETING;
    s->rlen = s->rpos = 0;
    s->wlen = s->wpos = 0;
    s->ctl_len = 0;
    s->fail_event = 0;
    if (s->opts.mechanism == ZF_MECH_CURVE && curve_begin(s) < 0) {
        conn_lost(s);
        return;
    }
    /* libzmq's CURVE greeting says as-server 0 on both sides: the roles are configured */
    zf_zmtp_greeting(s->wbuf, mech_name(s->opts.mechanism),
                     s->opts.mechanism == ZF_MECH_CURVE ? 0 : s->opts.as_server);
    s->wlen = ZF_GREETING_SIZE;
    if (s->opts.handshake_ivl > 0)
        zf_io_timer_set(s->io, &s->t_conn, s->opts.handshake_ivl);
    zf_io_set(s->io, &s->h, ZF_IO_IN);
    flush_out(s);
}

/* ---- SOCKS5 (RFC 1928, 1929): SOCKS_PROXY, SOCKS_USERNAME, SOCKS_PASSWORD -------------------
 * As libzmq: tcp connections go to the proxy, which is asked to CONNECT to the endpoint's host
 * (a name is resolved by the proxy); one authentication method is offered, user/password when
 * a user name is set. The ZMTP greeting starts once the proxy has connected us; any failure is
 * a failed connect, retried. */
enum { SOCKS_METHOD = ZF_SOCKS_METHOD, SOCKS_AUTH = ZF_SOCKS_AUTH, SOCKS_CONNECT = ZF_SOCKS_CONNECT };

static int socks_proxied(const zf_session *s)
{
    return s->addr.transport == ZF_TCP && s->opts.socks_proxy_len;
}

static int socks_resolve(zf_session *s)
{
    char ep[300];
    snprintf(ep, sizeof ep, "tcp://%s", s->opts.socks_proxy);
    int rc = zf_addr_parse(ep, 0, &s->proxy);
    return rc < 0 ? rc : zf_addr_resolve(&s->proxy, 0, s->opts.ipv6);
}

static int socks_send(zf_session *s, const uint8_t *b, size_t n)
{
    /* a few hundred bytes on a fresh connection: the kernel takes them whole */
    return send(s->h.fd, b, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int socks_request(zf_session *s)
{
    uint8_t b[4 + 1 + 255 + 2];
    const char *host = s->addr.name;
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') { /* "[::1]" */
        host++;
        hl -= 2;
    }
    char h[256];
    memcpy(h, host, hl);
    h[hl] = 0;
    size_t n = 4;
    b[0] = 5, b[1] = 1 /* CONNECT */, b[2] = 0;
    if (inet_pton(AF_INET, h, b + 4) == 1) {
        b[3] = 1;
        n += 4;
    } else if (inet_pton(AF_INET6, h, b + 4) == 1) {
        b[3] = 4;
        n += 16;
    } else {
        if (hl == 0 || hl > 255)
            return -1;
        b[3] = 3;
        b[4] = (uint8_t)hl;
        memcpy(b + 5, h, hl);
        n += 1 + hl;
    }
    b[n++] = (uint8_t)(s->addr.port >> 8);
    b[n++] = (uint8_t)s->addr.port;
    s->socks_step = SOCKS_CONNECT;
    return socks_send(s, b, n);
}

static void socks_fail(zf_session *s)
{
    s->socks_step = 0;
    s->state = S_CONNECTING; /* reported and retried as a connect that failed */
    conn_lost(s);
}

static void socks_start(zf_session *s)
{
    s->state = S_CONNECTING;
    s->rlen = s->rpos = 0;
    zf_io_set(s->io, &s->h, ZF_IO_IN);
    if (s->opts.handshake_ivl > 0)
        zf_io_timer_set(s->io, &s->t_conn, s->opts.handshake_ivl);
    uint8_t greet[3] = {5, 1, s->opts.socks_user_len ? 2 : 0};
    s->socks_step = SOCKS_METHOD;
    if (socks_send(s, greet, sizeof greet) < 0)
        socks_fail(s);
}

/* The proxy said something: take the next step once its whole reply is in. */
static void socks_read(zf_session *s)
{
    ssize_t r = recv(s->h.fd, s->rbuf + s->rlen, RBUF_SIZE - s->rlen, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        socks_fail(s);
        return;
    }
    if (r > 0)
        s->rlen += (size_t)r;
    const uint8_t *b = s->rbuf;
    for (;;) {
        int want = s->opts.socks_user_len ? 2 : 0;
        long total = zf_socks_reply(s->socks_step, want, b, s->rlen); /* socks.c: pure, fuzzed */
        if (total == 0)
            return;
        if (total < 0) {
            socks_fail(s);
            return;
        }
        if (s->socks_step == SOCKS_METHOD) {
            memmove(s->rbuf, b + 2, s->rlen - 2);
            s->rlen -= 2;
            if (want == 2) {
                uint8_t a[3 + 255 + 255];
                size_t n = 0;
                a[n++] = 1;
                a[n++] = s->opts.socks_user_len;
                memcpy(a + n, s->opts.socks_user, s->opts.socks_user_len);
                n += s->opts.socks_user_len;
                a[n++] = s->opts.socks_pass_len;
                memcpy(a + n, s->opts.socks_pass, s->opts.socks_pass_len);
                n += s->opts.socks_pass_len;
                s->socks_step = SOCKS_AUTH;
                if (socks_send(s, a, n) < 0) {
                    socks_fail(s);
                    return;
                }
            } else if (socks_request(s) < 0) {
                socks_fail(s);
                return;
            }
            continue;
        }
        if (s->socks_step == SOCKS_AUTH) {
            memmove(s->rbuf, b + 2, s->rlen - 2);
            s->rlen -= 2;
            if (socks_request(s) < 0) {
                socks_fail(s);
                return;
            }
            continue;
        }
        /* CONNECT's reply, whole */
        if (s->rlen > (size_t)total) { /* the peer cannot speak before our greeting: a broken proxy */
            socks_fail(s);
            return;
        }
        s->socks_step = 0;
        s->rlen = 0;
        zf_io_timer_cancel(s->io, &s->t_conn);
        zf_monitor_event(s->sock, ZF_EVENT_CONNECTED, s->h.fd, s->endpoint);
        connected(s);
        return;
    }
}

static void start_connect(zf_session *s)
{
    int socks = socks_proxied(s);
    zf_addr *dst = socks ? &s->proxy : &s->addr; /* the endpoint's host is the proxy's to find */
    if ((socks ? socks_resolve(s) : zf_addr_resolve(&s->addr, 0, s->opts.ipv6)) < 0) {
        schedule_reconnect(s);
        return;
    }
    int fd = zf_net_socket(dst->sa.ss_family);
    if (fd < 0) {
        schedule_reconnect(s);
        return;
    }
    set_sockopts(s, fd);
    if (s->addr.transport == ZF_TCP && bind_to_device(&s->opts, fd) < 0) {
        close(fd); /* as libzmq: a device we may not use is retried like any failed connect */
        schedule_reconnect(s);
        return;
    }
    s->h.fd = fd;
    int rc = connect(fd, (struct sockaddr *)&dst->sa, dst->salen);
    if (rc == 0) {
        zf_io_add(s->io, &s->h, ZF_IO_IN);
        if (socks) {
            socks_start(s);
            return;
        }
        zf_monitor_event(s->sock, ZF_EVENT_CONNECTED, fd, s->endpoint);
        connected(s);
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
    close(fd);
    s->h.fd = -1;
    schedule_reconnect(s);
}

void zf_session_start(zf_session *s)
{
    link_session(s);
    zf_pipe *p = tx_enter(s);
    start_connect(s);
    tx_leave(s, p);
}

static void t_conn_fire(zf_timer *t)
{
    zf_session *s = container_of(t, zf_session, t_conn);
    zf_pipe *p = tx_enter(s);
    if (s->state == S_IDLE)
        start_connect(s);
    else if (s->state != S_ACTIVE)
        conn_lost(s); /* connect or handshake timeout */
    tx_leave(s, p);
}

static void t_linger_fire(zf_timer *t)
{
    zf_session *s = container_of(t, zf_session, t_linger);
    zf_pipe *p = tx_enter(s);
    session_destroy(s);
    tx_leave(s, p);
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
        session_destroy(s);
        return;
    }
    if (linger > 0)
        zf_io_timer_set(s->io, &s->t_linger, linger);
}

/* The socket closed, or disconnected this endpoint: its pipe end (if any) is closed already. */
void zf_session_sock_closed(zf_session *s)
{
    if (!s->pipe) {
        session_destroy(s);
        return;
    }
    zf_pipe *p = tx_enter(s);
    on_socket_closed(s);
    tx_leave(s, p);
}

/* A connection ended (EOF, error, protocol violation, timeout). */
static void conn_lost(zf_session *s)
{
    s->socks_step = 0; /* a SOCKS exchange cut short starts over with the next connection */
    if (s->h.fd >= 0 && s->state != S_CONNECTING && s->state != S_ACTIVE)
        s->stop_why = ZF_RECONNECT_STOP_HANDSHAKE_FAILED;
    if (s->opts.raw)
        raw_lost(s);
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
    zap_cancel(s);
    if (s->curve)
        zf_curve_wipe(s->curve);
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
        session_destroy(s);
        return;
    }
    if (s->opts.immediate && s->pipe && was_active)
        drop_pipe(s);
    if (s->pipe && socket_closed(s) && (s->pipe->end[0].linger == 0 || nothing_to_flush(s))) {
        session_destroy(s);
        return;
    }
    schedule_reconnect(s);
}

/* ---- handshake --------------------------------------------------------------------------- */

struct ready_info {
    int type;
    const uint8_t *id;
    size_t idlen;
};

static int ready_prop(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    struct ready_info *ri = arg;
    if (nl == 11 && strncasecmp((const char *)name, "Socket-Type", 11) == 0)
        ri->type = zf_zmtp_type_from_name(val, vl);
    else if (nl == 8 && strncasecmp((const char *)name, "Identity", 8) == 0) {
        ri->id = val;
        ri->idlen = vl;
    }
    return 0;
}

static void peer_address(zf_session *s, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    buf[0] = 0;
    if (getpeername(s->h.fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)cap);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)cap);
}

static void fill_peer_info(zf_session *s, zf_pipe_end *e)
{
    e->peer_type = s->peer_type;
    e->peer_id_len = (uint8_t)s->peer_id_len;
    memcpy(e->peer_id, s->peer_id, (size_t)s->peer_id_len);
    peer_address(s, e->peer_addr, sizeof e->peer_addr);
    free(e->peer_props);
    e->peer_props = s->peer_props;
    e->peer_props_len = s->peer_props_len;
    s->peer_props = NULL;
    s->peer_props_len = 0;
}

/* READY exchanged: the connection carries traffic from now on. */
static int handshake_done(zf_session *s)
{
    zf_io_timer_cancel(s->io, &s->t_conn);
    if (!s->connect_side) /* an accepted connection never handshakes again: the key can go */
        zf_opts_forget_secret(&s->opts);
    if (s->zap_props) { /* what ZAP said of the peer joins what the peer said of itself */
        uint8_t *all = malloc(s->peer_props_len + s->zap_props_len);
        if (all) {
            if (s->peer_props_len)
                memcpy(all, s->peer_props, s->peer_props_len);
            memcpy(all + s->peer_props_len, s->zap_props, s->zap_props_len);
            free(s->peer_props);
            s->peer_props = all;
            s->peer_props_len += s->zap_props_len;
        }
        free(s->zap_props);
        s->zap_props = NULL;
        s->zap_props_len = 0;
    }
    char addr[64];
    peer_address(s, addr, sizeof addr);
    zf_buf *meta = zf_meta_new(addr, s->peer_props, s->peer_props_len);
    s->cur_ivl = s->opts.reconnect_ivl;
    if (!s->pipe) {
        uint64_t sndhwm = s->opts.sndhwm > 0 ? (uint64_t)s->opts.sndhwm : 0;
        uint64_t rcvhwm = s->opts.rcvhwm > 0 && !s->opts.conflate ? (uint64_t)s->opts.rcvhwm : 0;
        zf_pipe *p = zf_pipe_new(sndhwm, rcvhwm);
        if (!p) {
            if (meta)
                zf_buf_unref(meta);
            return -1;
        }
        p->end[1].owner = s;
        p->end[1].waker.parked = &p->end[1].own_parked;
        p->end[1].waker.wake = zf_io_pipe_wake;
        p->end[1].waker.arg = s->io;
        p->end[1].waker.direct = session_direct;
        fill_peer_info(s, &p->end[0]);
        p->end[0].via_session = 1;
        zf_sock_own_end(s->sock, p, 0);
        zf_pipe_ref(p); /* the socket's */
        if (zf_sock_post(s->sock, ZF_SCMD_ATTACH, p) < 0) {
            p->end[1].owner = NULL;
            zf_pipe_unref(p);
            zf_pipe_unref(p);
            if (meta)
                zf_buf_unref(meta);
            return -1;
        }
        s->pipe = p;
    }
    if (s->opts.type != ZF_PUSH && s->opts.type != ZF_PUB && meta) {
        /* The socket learns of each connection in-band, ahead of its first message: a ROUTER
         * names the pipe, a SUB replays its subscriptions, received frames carry the metadata.
         * (PUSH and PUB never read, so they are not told.) */
        zf_queue_put_cmd_ext(&s->pipe->q[1], ZF_AUX_PEER, meta);
        zf_pipe_commit(s->pipe, 1);
        s->rx_dirty = 1;
    } else if (meta) {
        zf_buf_unref(meta);
    }
    s->state = S_ACTIVE;
    zf_monitor_event(s->sock, ZF_EVENT_HANDSHAKE_SUCCEEDED, 0, s->endpoint);
    if (s->opts.heartbeat_ivl > 0) {
        s->hb_next_ping = zf_now_ms() + s->opts.heartbeat_ivl;
        zf_io_timer_set(s->io, &s->t_hb, s->opts.heartbeat_ivl);
    }
    return 0;
}

/* ---- inbound ----------------------------------------------------------------------------- */

static void protocol_error(zf_session *s) { conn_lost(s); }

static void queue_ctl(zf_session *s, const uint8_t *frame, size_t len)
{
    if (s->ctl_len + len <= sizeof s->ctl) {
        memcpy(s->ctl + s->ctl_len, frame, len);
        s->ctl_len += len;
    }
}

/* ---- heartbeats ------------------------------------------------------------------------- */

static void arm_hb(zf_session *s)
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

static void hb_fire(zf_session *s);

static void t_hb_fire(zf_timer *t)
{
    zf_session *s = container_of(t, zf_session, t_hb);
    zf_pipe *p = tx_enter(s);
    hb_fire(s);
    tx_leave(s, p);
}

static void hb_fire(zf_session *s)
{
    if (s->state != S_ACTIVE)
        return;
    int64_t now = zf_now_ms();
    if ((s->hb_deadline && now >= s->hb_deadline) || (s->ttl_deadline && now >= s->ttl_deadline)) {
        conn_lost(s); /* silence past the limit: the peer (or the path to it) is gone */
        return;
    }
    if (s->hb_next_ping && now >= s->hb_next_ping) {
        int ttl = s->opts.heartbeat_ttl / 100;
        uint8_t ping[9] = {ZF_F_COMMAND, 7, 4, 'P', 'I', 'N', 'G', (uint8_t)(ttl >> 8), (uint8_t)ttl};
        queue_ctl(s, ping, sizeof ping);
        s->hb_next_ping = now + s->opts.heartbeat_ivl;
        if (!s->hb_deadline) {
            int timeout = s->opts.heartbeat_timeout >= 0 ? s->opts.heartbeat_timeout : s->opts.heartbeat_ivl;
            s->hb_deadline = now + timeout;
        }
        flush_out(s);
        if (s->h.fd < 0 || s->dead)
            return;
    }
    arm_hb(s);
}

static int handle_command(zf_session *s, const uint8_t *body, size_t len)
{
    const uint8_t *name, *data;
    size_t nl, dl;
    if (zf_zmtp_command(body, len, &name, &nl, &data, &dl) < 0)
        return -1;
    if (zf_zmtp_is_command(name, nl, "PING")) {
        if (dl >= 2) {
            int ttl = ((int)data[0] << 8 | data[1]) * 100;
            if (ttl > 0) { /* the peer will give up on us; we do the same if it goes quiet */
                s->ttl_deadline = zf_now_ms() + ttl;
                arm_hb(s);
            }
        }
        uint8_t pong[32];
        size_t n = zf_zmtp_pong(pong, data, dl);
        queue_ctl(s, pong, n);
        return 1; /* wants output */
    }
    if (zf_zmtp_is_command(name, nl, "ERROR"))
        return -1;
    int sub = zf_zmtp_is_command(name, nl, "SUBSCRIBE");
    if ((sub || zf_zmtp_is_command(name, nl, "CANCEL")) && s->pipe &&
        (s->opts.type == ZF_PUB || s->opts.type == ZF_XPUB)) {
        /* handed to the socket in order with the data, never held back by the HWM */
        if (zf_queue_put_cmd(&s->pipe->q[1], sub ? ZF_AUX_SUBSCRIBE : ZF_AUX_CANCEL, data, dl) == 0 && !s->rx_mid) {
            zf_pipe_commit(s->pipe, 1);
            s->rx_dirty = 1;
        }
    }
    return 0; /* PONG and anything unknown: ignored, as libzmq does */
}

/* The peer's metadata command (READY, or PLAIN's INITIATE), already named: socket type and
 * identity checked and kept. */
static int take_metadata(zf_session *s, const uint8_t *data, size_t dl)
{
    struct ready_info ri = {.type = -1};
    if (zf_zmtp_parse_metadata(data, dl, ready_prop, &ri) < 0)
        return -1;
    if (ri.type < 0 || !zf_zmtp_compatible(s->opts.type, ri.type))
        return -1;
    s->peer_type = ri.type;
    s->peer_id_len = ri.idlen > 255 ? 255 : (int)ri.idlen;
    if (ri.id)
        memcpy(s->peer_id, ri.id, (size_t)s->peer_id_len);
    free(s->peer_props);
    s->peer_props = malloc(dl ? dl : 1);
    if (s->peer_props)
        memcpy(s->peer_props, data, dl);
    s->peer_props_len = s->peer_props ? dl : 0;
    return 0;
}

/* METADATA: the READY (or INITIATE) frame at out (n bytes) again, with the socket's "X-"
 * properties after the standard ones. */
static long add_app_metadata(zf_session *s, uint8_t *out, size_t cap, long n)
{
    if (n < 0 || !s->opts.app_meta_len)
        return n;
    size_t hdr = (out[0] & ZF_F_LONG) ? 9 : 2;
    const uint8_t *name, *body;
    size_t nl, bl;
    if (zf_zmtp_command(out + hdr, (size_t)n - hdr, &name, &nl, &body, &bl) < 0)
        return -1;
    uint8_t props[2048 + ZF_APP_META_MAX];
    char cmd[32];
    if (bl + s->opts.app_meta_len > sizeof props || nl >= sizeof cmd)
        return -1;
    memcpy(props, body, bl);
    memcpy(props + bl, s->opts.app_meta, s->opts.app_meta_len);
    memcpy(cmd, name, nl);
    cmd[nl] = 0;
    return zf_zmtp_command_frame(out, cap, cmd, props, bl + s->opts.app_meta_len);
}

static int send_ready(zf_session *s, const char *command)
{
    int with_id = s->opts.type == ZF_REQ || s->opts.type == ZF_DEALER || s->opts.type == ZF_ROUTER;
    long n = zf_zmtp_ready(s->wbuf + s->wlen, WBUF_SIZE - s->wlen, command, s->opts.type, s->opts.identity,
                           s->opts.identity_len, with_id);
    n = add_app_metadata(s, s->wbuf + s->wlen, WBUF_SIZE - s->wlen, n);
    if (n < 0)
        return -1;
    s->wlen += (size_t)n;
    return 0;
}

static int send_command(zf_session *s, long n)
{
    if (n < 0)
        return -1;
    s->wlen += (size_t)n;
    return 0;
}

/* ---- ZAP ---------------------------------------------------------------------------------- */

/* Ask the ZAP handler about this peer. 0: asked (HS_ZAP), -ECONNREFUSED: no handler bound. */
static int zap_ask(zf_session *s, const char *mechanism, const uint8_t *const *cred, const size_t *cl, int n)
{
    char addr[64];
    int err = 0;
    peer_address(s, addr, sizeof addr);
    s->zap = zf_zap_request(s->sock->ctx, &s->opts, mechanism, addr, cred, cl, n, zf_io_pipe_wake, s->io, s, &err);
    if (!s->zap)
        return err;
    s->hs = HS_ZAP;
    return 0;
}

/* The handshake goes on after an approval: what the mechanism sends next. */
static int zap_approved(zf_session *s)
{
    if (s->opts.mechanism == ZF_MECH_CURVE) /* INITIATE was the client's last word */
        return curve_send_ready(s) < 0 ? -1 : handshake_done(s);
    if (s->opts.mechanism == ZF_MECH_PLAIN) {
        s->hs = HS_INITIATE;
        return send_command(s, zf_zmtp_command_frame(s->wbuf + s->wlen, WBUF_SIZE - s->wlen, "WELCOME", NULL, 0));
    }
    s->hs = HS_READY;
    return send_ready(s, "READY");
}

/* The handler's reply may have come: go on with the handshake, or refuse the peer. */
static void zap_answered(zf_session *s)
{
    zf_zap_reply r;
    int rc = zf_zap_read_reply(s->zap, &r);
    if (rc == 0)
        return;
    zf_zap_close(s->zap);
    s->zap = NULL;
    if (rc < 0) { /* a handler that answers nonsense or goes away fails the handshake */
        s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL;
        s->fail_value = ZF_PROTOCOL_ERROR_ZAP_UNSPECIFIED;
        conn_lost(s);
        return;
    }
    if (r.status != 200) {
        /* Refused: the peer learns the status code in an ERROR, and we hang up. */
        char reason[4];
        snprintf(reason, sizeof reason, "%d", r.status);
        free(r.meta);
        s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_AUTH;
        s->fail_value = r.status;
        if (send_command(s, zf_zmtp_error(s->wbuf + s->wlen, WBUF_SIZE - s->wlen, reason)) == 0)
            flush_out(s);
        if (!s->dead && s->h.fd >= 0)
            conn_lost(s);
        return;
    }
    size_t n = 5 + 7 + r.user_id_len + r.meta_len;
    s->zap_props = malloc(n);
    if (s->zap_props) {
        size_t k = zf_zmtp_put_prop(s->zap_props, "User-Id", r.user_id, r.user_id_len);
        if (r.meta_len)
            memcpy(s->zap_props + k, r.meta, r.meta_len);
        s->zap_props_len = n;
    }
    free(r.meta);
    if (zap_approved(s) < 0) {
        protocol_error(s);
        return;
    }
    decode(s); /* what the peer sent meanwhile; it also flushes our answer */
    if (!s->dead && s->h.fd >= 0)
        flush_out(s);
}

/* ---- the handshake's commands -------------------------------------------------------------- */

/* Greeting exchanged: start the mechanism. */
static int handshake_start(zf_session *s)
{
    if (s->opts.mechanism == ZF_MECH_CURVE)
        return curve_start(s);
    if (s->opts.mechanism == ZF_MECH_PLAIN) {
        if (s->opts.as_server) {
            s->hs = HS_HELLO;
            return 0;
        }
        s->hs = HS_WELCOME;
        return send_command(s, zf_plain_hello(s->wbuf + s->wlen, WBUF_SIZE - s->wlen, s->opts.plain_user,
                                              s->opts.plain_user_len, s->opts.plain_pass, s->opts.plain_pass_len));
    }
    /* NULL asks ZAP only when the socket names a domain (libzmq's rule, kept for old code) */
    if (s->opts.zap_domain_len) {
        int rc = zap_ask(s, "NULL", NULL, NULL, 0);
        if (rc == 0)
            return 0;
        if (rc == -ECONNREFUSED && s->opts.zap_enforce_domain) {
            /* ZAP_ENFORCE_DOMAIN: a domain with no handler to ask admits nobody (libzmq) */
            s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
            s->fail_value = EFAULT;
            return -1;
        }
        if (rc != -ECONNREFUSED)
            return -1;
    }
    s->hs = HS_READY;
    return send_ready(s, "READY");
}

/* One command during the handshake. 1: handshake complete, 0: go on, -1: fail. */
static int handshake_command(zf_session *s, const uint8_t *body, size_t len)
{
    const uint8_t *name, *data;
    size_t nl, dl;
    if (zf_zmtp_command(body, len, &name, &nl, &data, &dl) < 0)
        return -1;
    if (zf_zmtp_is_command(name, nl, "ERROR")) {
        int status = zf_zmtp_error_status(data, dl);
        if (status) {
            s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_AUTH;
            s->fail_value = status;
        }
        return -1;
    }
    switch (s->hs) {
    case HS_READY:
        if (!zf_zmtp_is_command(name, nl, "READY") || take_metadata(s, data, dl) < 0)
            return -1;
        return 1;
    case HS_WELCOME:
        if (!zf_zmtp_is_command(name, nl, "WELCOME"))
            return -1;
        s->hs = HS_READY;
        return send_ready(s, "INITIATE");
    case HS_HELLO: {
        const uint8_t *cred[2];
        size_t cl[2];
        if (!zf_zmtp_is_command(name, nl, "HELLO") || zf_plain_parse_hello(data, dl, &cred[0], &cl[0], &cred[1], &cl[1]) < 0)
            return -1;
        int rc = zap_ask(s, "PLAIN", cred, cl, 2);
        if (rc == -ECONNREFUSED) { /* PLAIN without a handler admits nobody, as libzmq 4.3 */
            s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
            s->fail_value = EFAULT;
        }
        return rc < 0 ? -1 : 0;
    }
    case HS_INITIATE:
        if (!zf_zmtp_is_command(name, nl, "INITIATE") || take_metadata(s, data, dl) < 0)
            return -1;
        if (send_ready(s, "READY") < 0)
            return -1;
        return 1;
    case HS_CURVE_HELLO:
    case HS_CURVE_INITIATE:
    case HS_CURVE_WELCOME:
    case HS_CURVE_READY:
        return curve_command(s, (uint8_t *)body, len, name, nl); /* body is in rbuf */
    default:
        return -1;
    }
}

/* Put one complete data frame into the inbound queue: data (inside big, whose reference is
 * ours, if given), more if a part follows. */
static int push_frame(zf_session *s, const uint8_t *data, uint64_t size, zf_buf *big, int more)
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

static void pause_rx(zf_session *s)
{
    s->rx_paused = 1;
    zf_io_set(s->io, &s->h, s->out_armed ? ZF_IO_OUT : 0);
}

/* ---- CURVE (ZMTP-CURVE, RFC 25/26; the codec is curve.c) ---------------------------------- *
 * The handshake: HELLO, WELCOME, INITIATE (the client's metadata, then ZAP on the server),
 * READY, each in a command frame. Then every frame either way is one MESSAGE box in a data
 * frame with no flags outside: MORE, and COMMAND for PING/PONG, travel inside the box. */

/* libzmq's protocol error values for CURVE handshake failures (monitor events) */
#define PROTO_UNEXPECTED_COMMAND 0x10000001
#define PROTO_INVALID_SEQUENCE 0x10000002
#define PROTO_MALFORMED_UNSPECIFIED 0x10000011
#define PROTO_MALFORMED_MESSAGE 0x10000012
#define PROTO_MALFORMED_HELLO 0x10000013
#define PROTO_MALFORMED_INITIATE 0x10000014
#define PROTO_MALFORMED_READY 0x10000016
#define PROTO_MALFORMED_WELCOME 0x10000017

static const char *mech_name(int mechanism)
{
    return mechanism == ZF_MECH_CURVE ? "CURVE" : mechanism == ZF_MECH_PLAIN ? "PLAIN" : "NULL";
}

/* The connection broke (EOF: errno EPIPE) before the handshake was through: libzmq reports
 * that as HANDSHAKE_FAILED_NO_DETAIL with the errno, unless something better was said. */
static void lost_in_handshake(zf_session *s)
{
    if ((s->state == S_GREETING || s->state == S_HANDSHAKE) && !s->fail_event) {
        s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
        s->fail_value = errno;
    }
}

/* A new connection: new transient keys (the client's now, the server's on a valid HELLO). */
static int curve_begin(zf_session *s)
{
    if (!s->curve && !(s->curve = malloc(sizeof *s->curve)))
        return -ENOMEM;
    if (s->opts.as_server)
        return zf_curve_server_init(s->curve, s->opts.curve_public, s->opts.curve_secret);
    return zf_curve_client_init(s->curve, s->opts.curve_server, s->opts.curve_public,
                                s->opts.curve_secret);
}

/* Handshake commands are built past the longest frame header, then moved up against the header
 * they need. The handshake writes into a nearly empty wbuf, so there is always room. */
static uint8_t *cmd_space(zf_session *s, size_t *cap)
{
    *cap = WBUF_SIZE - s->wlen - 9;
    return s->wbuf + s->wlen + 9;
}

static int cmd_done(zf_session *s, long n)
{
    if (n < 0)
        return -1;
    uint8_t *o = s->wbuf + s->wlen;
    size_t h = zf_zmtp_put_header(o, (uint64_t)n, ZF_F_COMMAND);
    if (h < 9)
        memmove(o + h, o + 9, (size_t)n);
    s->wlen += h + (size_t)n;
    return 0;
}

/* Our metadata properties, the same as a NULL READY carries (built by zf_zmtp_ready into
 * frame, then stripped of its header and command name). */
static const uint8_t *curve_meta(zf_session *s, uint8_t frame[512], size_t *len)
{
    int with_id = s->opts.type == ZF_REQ || s->opts.type == ZF_DEALER || s->opts.type == ZF_ROUTER;
    long n = zf_zmtp_ready(frame, 512, "X", s->opts.type, s->opts.identity, s->opts.identity_len,
                           with_id);
    int flags;
    uint64_t size;
    size_t h = n > 0 ? zf_zmtp_get_header(frame, (size_t)n, &flags, &size) : 0;
    if (!h) {
        *len = 0;
        return frame;
    }
    *len = (size_t)n - h - 2;
    return frame + h + 2;
}

static int curve_failed(zf_session *s, int rc, int64_t malformed)
{
    s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    s->fail_value = rc == -EBADMSG || rc == -EACCES ? ZF_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC : malformed;
    return -1;
}

static int curve_start(zf_session *s)
{
    if (s->opts.as_server) {
        s->hs = HS_CURVE_HELLO;
        return 0;
    }
    size_t cap;
    uint8_t *o = cmd_space(s, &cap);
    s->hs = HS_CURVE_WELCOME;
    return cmd_done(s, zf_curve_hello(s->curve, o, cap));
}

static int curve_send_ready(zf_session *s)
{
    uint8_t frame[512];
    size_t ml, cap;
    const uint8_t *meta = curve_meta(s, frame, &ml);
    uint8_t *o = cmd_space(s, &cap);
    return cmd_done(s, zf_curve_ready(s->curve, o, cap, meta, ml));
}

/* One handshake command (cmd: the whole frame payload, decrypted in place). 1: handshake
 * complete, 0: go on, -1: fail. */
static int curve_command(zf_session *s, uint8_t *cmd, size_t len, const uint8_t *name, size_t nl)
{
    static const char *const want[] = {
        [HS_CURVE_HELLO] = "HELLO", [HS_CURVE_INITIATE] = "INITIATE",
        [HS_CURVE_WELCOME] = "WELCOME", [HS_CURVE_READY] = "READY"};
    zf_curve *c = s->curve;
    const uint8_t *meta;
    size_t ml, cap;
    uint8_t frame[512];
    uint8_t *o;
    int rc;
    if (!zf_zmtp_is_command(name, nl, want[s->hs])) {
        s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL;
        s->fail_value = PROTO_UNEXPECTED_COMMAND;
        return -1;
    }
    switch (s->hs) {
    case HS_CURVE_HELLO:
        if ((rc = zf_curve_server_hello(c, cmd, len)) < 0)
            return curve_failed(s, rc, PROTO_MALFORMED_HELLO);
        s->hs = HS_CURVE_INITIATE;
        o = cmd_space(s, &cap);
        return cmd_done(s, zf_curve_welcome(c, o, cap));
    case HS_CURVE_WELCOME:
        if ((rc = zf_curve_client_welcome(c, cmd, len)) < 0)
            return curve_failed(s, rc, PROTO_MALFORMED_WELCOME);
        s->hs = HS_CURVE_READY;
        meta = curve_meta(s, frame, &ml);
        o = cmd_space(s, &cap);
        return cmd_done(s, zf_curve_initiate(c, o, cap, meta, ml));
    case HS_CURVE_INITIATE: {
        if ((rc = zf_curve_server_initiate(c, cmd, len, &meta, &ml)) < 0)
            return curve_failed(s, rc, PROTO_MALFORMED_INITIATE);
        if (take_metadata(s, meta, ml) < 0)
            return -1;
        /* ZAP hears the client's permanent key, raw, as libzmq sends it */
        const uint8_t *cred = c->peer_pk;
        size_t cl = sizeof c->peer_pk;
        rc = zap_ask(s, "CURVE", &cred, &cl, 1);
        if (rc == 0)
            return 0;
        if (rc != -ECONNREFUSED)
            return -1;
        /* no handler bound: encryption without authentication, as libzmq 4.3 (unless
         * ZAP_ENFORCE_DOMAIN, which zmqfast does not offer) */
        return curve_send_ready(s) < 0 ? -1 : 1;
    }
    case HS_CURVE_READY:
        if ((rc = zf_curve_client_ready(c, cmd, len, &meta, &ml)) < 0)
            return curve_failed(s, rc, PROTO_MALFORMED_READY);
        return take_metadata(s, meta, ml) < 0 ? -1 : 1;
    default:
        return -1;
    }
}

/* -- inbound: MESSAGE boxes opened where they were read (rbuf, or a large frame's own buffer) */

/* One opened frame: to the socket, or a ZMTP command (PING...). big: the buffer holding it, if
 * not rbuf (its reference is ours). */
static int push_unboxed(zf_session *s, const uint8_t *data, size_t len, zf_buf *big, int cflags,
                        int *want_out)
{
    if (cflags & ZF_CURVE_COMMAND) {
        int rc = len <= CMD_MAX ? handle_command(s, data, len) : 0;
        if (big)
            zf_buf_unref(big);
        if (rc < 0)
            return -1;
        *want_out |= rc;
        return 0;
    }
    return push_frame(s, data, len, big, cflags & ZF_CURVE_MORE);
}

/* A frame that is no good MESSAGE: libzmq reports why (as a handshake failure, though the
 * handshake is over), and so do we before hanging up. rc: zf_curve_decode's. */
static void report_bad_box(zf_session *s, const uint8_t *cmd, size_t len, int rc)
{
    int64_t why;
    if (rc == -EBADMSG)
        why = ZF_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC;
    else if (len < 1 || (size_t)cmd[0] + 1 > len)
        why = PROTO_MALFORMED_UNSPECIFIED;
    else if (cmd[0] != 7 || memcmp(cmd + 1, "MESSAGE", 7) != 0)
        why = PROTO_UNEXPECTED_COMMAND;
    else if (len < ZF_CURVE_MESSAGE_MIN)
        why = PROTO_MALFORMED_MESSAGE;
    else
        why = PROTO_INVALID_SEQUENCE; /* a nonce seen before (or reserved flags set) */
    zf_monitor_event(s->sock, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL, why, s->endpoint);
}

/* A large MESSAGE read whole into b: open it there, and the message keeps the buffer. */
static int unbox_big(zf_session *s, zf_buf *b, uint64_t size)
{
    const uint8_t *d;
    size_t dl;
    int f, want_out = 0;
    int rc = zf_curve_decode(s->curve, b->data, (size_t)size, &d, &dl, &f);
    if (rc < 0) {
        report_bad_box(s, b->data, (size_t)size, rc);
        zf_buf_unref(b);
        return -1;
    }
    if (push_unboxed(s, d, dl, b, f, &want_out) < 0)
        return -1;
    if (want_out)
        flush_out(s); /* a PONG (only a peer padding its PINGs gets here) */
    return 0;
}

/* The frame at p (header hl bytes, body size) in S_ACTIVE. 1: consumed, 0: wait (more bytes,
 * or the HWM), -1: the connection is gone. */
static int decode_boxed(zf_session *s, uint8_t *p, size_t avail, size_t hl, uint64_t size,
                        int *want_out)
{
    /* MAXMSGSIZE bounds the frame as it travels, box included, as libzmq's decoder does */
    if (!s->pipe || (s->opts.maxmsgsize >= 0 && size > (uint64_t)s->opts.maxmsgsize) ||
        size > (uint64_t)SIZE_MAX / 2) {
        protocol_error(s);
        return -1;
    }
    /* before opening: an opened box cannot wait in rbuf (its nonce would be seen twice) */
    if (!s->rx_mid && !zf_pipe_check_write(s->pipe, 1)) {
        pause_rx(s);
        return 0;
    }
    if (size <= ZF_INLINE_MAX + ZF_CURVE_MESSAGE_MIN) {
        s->rx_bigs = 0;
        if (avail - hl < size)
            return 0;
        const uint8_t *d;
        size_t dl;
        int f;
        int rc = zf_curve_decode(s->curve, p + hl, (size_t)size, &d, &dl, &f);
        if (rc < 0)
            report_bad_box(s, p + hl, (size_t)size, rc);
        if (rc < 0 || push_unboxed(s, d, dl, NULL, f, want_out) < 0) {
            protocol_error(s); /* forged, replayed or garbled: this connection goes */
            return -1;
        }
        s->rpos += hl + (size_t)size;
        return 1;
    }
    zf_buf *b = zf_buf_new((size_t)size);
    if (!b) {
        protocol_error(s);
        return -1;
    }
    size_t have = avail - hl < size ? avail - hl : (size_t)size;
    memcpy(b->data, p + hl, have);
    s->rpos += hl + have;
    if (have == size) {
        if (unbox_big(s, b, size) < 0) {
            protocol_error(s);
            return -1;
        }
        return s->h.fd >= 0 ? 1 : -1;
    }
    s->rx_bigs = 1;
    s->rx_big = b;
    s->rx_size = size;
    s->rx_got = have;
    s->rx_flags = 0;
    return 0;
}

/* -- outbound: frames boxed into wbuf, or into the scratch buffer when large */

/* Encoding fails only when the nonces run out or the state broke: end the connection through
 * the ordinary path (the read side sees it) rather than from inside fill(). */
static void box_failed(zf_session *s)
{
    if (s->h.fd >= 0)
        shutdown(s->h.fd, SHUT_RDWR);
}

/* One frame boxed at the end of wbuf; the caller made sure it fits. */
static int box_out(zf_session *s, const uint8_t *data, size_t len, int cflags)
{
    uint8_t *o = s->wbuf + s->wlen;
    size_t h = zf_zmtp_put_header(o, ZF_CURVE_MESSAGE_MIN + len, 0);
    long n = zf_curve_encode(s->curve, o + h, WBUF_SIZE - s->wlen - h, data, len, cflags);
    if (n < 0) {
        box_failed(s);
        return -1;
    }
    s->wlen += h + (size_t)n;
    return 0;
}

static size_t boxed_span(size_t len)
{
    size_t b = ZF_CURVE_MESSAGE_MIN + len;
    return (b <= 255 ? 2 : 9) + b;
}

static zf_buf *scratch(zf_session *s, size_t n)
{
    if (s->cv_scratch && s->cv_scratch->size >= n)
        return s->cv_scratch;
    zf_buf *b = zf_buf_new(n < WBUF_SIZE ? WBUF_SIZE : n);
    if (!b)
        return NULL;
    if (s->cv_scratch)
        zf_buf_unref(s->cv_scratch); /* not in flight: fill runs only without tx_big */
    s->cv_scratch = b;
    return b;
}

/* Control frames (PING, PONG) waiting in ctl, each boxed as a command: all of them or none. */
static void take_ctl_boxed(zf_session *s)
{
    size_t need = 0, off, h;
    int f;
    uint64_t size;
    if (s->tx_big)
        return; /* as take_ctl: wbuf goes out ahead of the large frame's body */
    for (off = 0; off < s->ctl_len; off += h + (size_t)size) {
        h = zf_zmtp_get_header(s->ctl + off, s->ctl_len - off, &f, &size);
        if (!h || size > s->ctl_len - off - h) {
            s->ctl_len = 0; /* cannot happen: we wrote them */
            return;
        }
        need += boxed_span((size_t)size);
    }
    if (!need || s->wlen + need > WBUF_SIZE)
        return;
    for (off = 0; off < s->ctl_len; off += h + (size_t)size) {
        h = zf_zmtp_get_header(s->ctl + off, s->ctl_len - off, &f, &size);
        if (box_out(s, s->ctl + off + h, (size_t)size, ZF_CURVE_COMMAND) < 0)
            break;
    }
    s->ctl_len = 0;
}

/* A subscription record, boxed as the message form (0x01/0x00 + topic) that every ZMTP 3.x
 * peer reads. Returns 0 when wbuf has no room. */
static int encode_sub_boxed(zf_session *s, zf_rec *r)
{
    if (r->aux != ZF_AUX_SUBSCRIBE && r->aux != ZF_AUX_CANCEL)
        return 1;
    size_t body = 1 + (size_t)r->size;
    if (s->wlen + boxed_span(body) > WBUF_SIZE)
        return 0;
    zf_buf *b = scratch(s, body);
    if (!b) {
        box_failed(s);
        return 1;
    }
    b->data[0] = r->aux == ZF_AUX_SUBSCRIBE;
    memcpy(b->data + 1, zf_rec_data(r), (size_t)r->size);
    box_out(s, b->data, body, 0);
    return 1;
}

/* A data record that is not to go out: superseded under CONFLATE, or the rest of a message cut
 * by a lost connection (tx_skip). 1: dropped, the caller goes on to the next record. */
static int drop_rec(zf_session *s, zf_rec *r, int more)
{
    zf_pipe *p = s->pipe;
    zf_queue *q = &p->q[0];
    if (zf_unlikely(atomic_load_explicit(&p->end[0].conflate, memory_order_relaxed)) && !more &&
        !s->tx_mid) {
        zf_rec *next = zf_queue_peek_after(q, r);
        if (next && !(next->flags & (ZF_REC_DELIM | ZF_REC_CMD))) {
            zf_queue_drop(q, r); /* CONFLATE: a newer message is queued behind this one */
            zf_pipe_msg_read(p, 1);
            return 1;
        }
    }
    if (s->tx_skip) {
        zf_queue_drop(q, r);
        if (!more) {
            s->tx_skip = 0;
            zf_pipe_msg_read(p, 1);
        }
        return 1;
    }
    return 0;
}

/* fill() under CURVE: the same records, each boxed. Small frames are boxed straight into wbuf;
 * a large one into the scratch buffer, which goes out as tx_big (its reference taken, so that
 * flush_out's release leaves it to us). */
static void fill_boxed(zf_session *s)
{
    zf_pipe *p = s->pipe;
    zf_queue *q = &p->q[0];
    if (!s->tx_mid)
        take_ctl_boxed(s);
    while (!s->tx_big && s->curve->state == ZF_CURVE_ESTABLISHED) {
        zf_rec *r = zf_queue_peek(q);
        if (!r)
            return;
        if (r->flags & ZF_REC_DELIM) {
            zf_queue_pop(q, r);
            s->tx_done = 1;
            return;
        }
        int more = r->flags & ZF_REC_MORE;
        if (r->flags & ZF_REC_CMD) {
            if (!encode_sub_boxed(s, r))
                return;
            zf_queue_drop(q, r);
            zf_pipe_msg_read(p, 1);
            continue;
        }
        if (drop_rec(s, r, more))
            continue;
        size_t size = (size_t)r->size;
        int cflags = more ? ZF_CURVE_MORE : 0;
        if (size <= ZF_INLINE_MAX) {
            if (s->wlen + boxed_span(size) > WBUF_SIZE)
                return; /* flush first */
            if (box_out(s, zf_rec_data(r), size, cflags) < 0)
                return;
        } else {
            size_t boxed = ZF_CURVE_MESSAGE_MIN + size;
            if (s->wlen + 9 > WBUF_SIZE)
                return;
            zf_buf *b = scratch(s, boxed);
            long n = b ? zf_curve_encode(s->curve, b->data, b->size, zf_rec_data(r), size, cflags) : -ENOMEM;
            if (n < 0) {
                box_failed(s);
                return;
            }
            s->wlen += zf_zmtp_put_header(s->wbuf + s->wlen, boxed, 0);
            zf_buf_ref(b);
            s->tx_big = b;
            s->tx_big_ptr = b->data;
            s->tx_big_left = boxed;
        }
        zf_queue_drop(q, r);
        s->tx_mid = more;
        if (!more) {
            zf_pipe_msg_read(p, 1);
            take_ctl_boxed(s);
        }
    }
}

/* Decode what the read buffer holds. Stops at an incomplete frame, at HWM, or on error (after
 * which the session may be gone: callers check s->h.fd). */
static void decode(zf_session *s)
{
    if (s->opts.raw) {
        raw_decode(s);
        return;
    }
    int want_out = 0;
    while (s->h.fd >= 0 && s->rpos < s->rlen && !s->rx_paused) {
        uint8_t *p = s->rbuf + s->rpos;
        size_t avail = s->rlen - s->rpos;
        if (s->state == S_GREETING) {
            int major, minor;
            char mech[21];
            int rc = zf_zmtp_parse_greeting(p, avail, &major, &minor, mech);
            if (rc < 0) {
                protocol_error(s);
                return;
            }
            if (rc > 0)
                break;
            if (strcmp(mech, mech_name(s->opts.mechanism)) != 0) {
                s->fail_event = ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL;
                s->fail_value = ZF_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
                protocol_error(s);
                return;
            }
            s->peer_minor = minor;
            s->rpos += ZF_GREETING_SIZE;
            s->state = S_HANDSHAKE;
            if (handshake_start(s) < 0) {
                protocol_error(s);
                return;
            }
            want_out = 1;
            continue;
        }
        int flags;
        uint64_t size;
        size_t hl = zf_zmtp_get_header(p, avail, &flags, &size);
        if (!hl)
            break;
        if (s->state == S_HANDSHAKE) {
            if (s->hs == HS_ZAP)
                break; /* the rest waits for the handler's answer */
            if (!(flags & ZF_F_COMMAND) || size > CMD_MAX) {
                protocol_error(s); /* data before READY */
                return;
            }
            if (avail - hl < size)
                break;
            int rc = handshake_command(s, p + hl, size);
            if (rc < 0) {
                protocol_error(s);
                return;
            }
            s->rpos += hl + size;
            want_out = 1;
            if (rc == 0)
                continue;
            if (handshake_done(s) < 0) {
                session_destroy(s);
                return;
            }
            continue;
        }
        /* S_ACTIVE */
        if (s->curve) { /* every frame is a MESSAGE box, whatever its flags say */
            int rc = decode_boxed(s, p, avail, hl, size, &want_out);
            if (rc < 0)
                return;
            if (rc == 0)
                break;
            continue;
        }
        if (flags & ZF_F_COMMAND) {
            if (size > CMD_MAX) {
                protocol_error(s);
                return;
            }
            if (avail - hl < size)
                break;
            int rc = handle_command(s, p + hl, size);
            if (rc < 0) {
                protocol_error(s);
                return;
            }
            want_out |= rc;
            s->rpos += hl + size;
            continue;
        }
        if (s->opts.maxmsgsize >= 0 && size > (uint64_t)s->opts.maxmsgsize) {
            protocol_error(s);
            return;
        }
        if (!s->pipe) {
            protocol_error(s);
            return;
        }
        if (!s->rx_mid && !zf_pipe_check_write(s->pipe, 1)) {
            pause_rx(s);
            break;
        }
        if (size <= ZF_INLINE_MAX) {
            s->rx_bigs = 0;
            if (avail - hl < size) {
                if (s->rpos > 0 && s->rlen == RBUF_SIZE)
                    break; /* read_in compacts */
                break;
            }
            if (push_frame(s, p + hl, size, NULL, flags & ZF_F_MORE) < 0) {
                protocol_error(s);
                return;
            }
            s->rpos += hl + size;
            continue;
        }
        /* A large frame: give it its own buffer and read the rest straight into it. */
        if (size > (uint64_t)SIZE_MAX / 2) {
            protocol_error(s);
            return;
        }
        /* A buffer the binding made ahead, else plain malloc; never an allocator of Python's
         * called from here: its hooks (tracemalloc, an embedder's) may take the GIL or keep
         * state that goes away, and a block Python did not count would upset
         * sys.getallocatedblocks() when freed as an object. */
        zf_buf *b = zf_sock_take_blank(s->sock, (size_t)size);
        if (!b)
            b = zf_buf_new((size_t)size);
        if (!b) {
            protocol_error(s);
            return;
        }
        size_t have = avail - hl < size ? avail - hl : (size_t)size;
        memcpy(b->data, p + hl, have);
        s->rpos += hl + have;
        if (have == size) {
            if (push_frame(s, b->data, size, b, flags & ZF_F_MORE) < 0) {
                protocol_error(s);
                return;
            }
            continue;
        }
        s->rx_bigs = 1;
        s->rx_big = b;
        s->rx_size = size;
        s->rx_got = have;
        s->rx_flags = flags;
        break;
    }
    if (s->h.fd >= 0 && s->rpos == s->rlen)
        s->rpos = s->rlen = 0;
    if (s->rx_dirty && s->pipe) {
        s->rx_dirty = 0;
        zf_pipe_wake_peer(s->pipe, 1);
    }
    if (want_out && s->h.fd >= 0)
        flush_out(s);
}

static void read_in(zf_session *s)
{
    if (s->opts.raw) {
        raw_read_in(s);
        return;
    }
    for (int round = 0; round < 8 && s->h.fd >= 0 && !s->rx_paused; round++) {
        ssize_t n;
        if (s->rx_big) {
            /* The body's rest, and in the same call the start of what follows it (the next
             * header: one syscall per large frame instead of two). Little of it, while large
             * frames arrive: a body read into rbuf is copied out again. */
            struct iovec iov[2];
            size_t left = (size_t)(s->rx_size - s->rx_got);
            iov[0].iov_base = s->rx_big->data + s->rx_got;
            iov[0].iov_len = left;
            int cnt = 1;
            if (s->rlen == 0) { /* decode() consumed the read buffer before starting the body */
                iov[1].iov_base = s->rbuf;
                iov[1].iov_len = s->rx_bigs ? 4096 : RBUF_SIZE;
                cnt = 2;
            }
            n = readv(s->h.fd, iov, cnt);
            if (n > 0) {
                s->hb_deadline = s->ttl_deadline = 0; /* any traffic proves the peer alive */
                size_t body = (size_t)n < left ? (size_t)n : left;
                int drained = (size_t)n < left + (cnt == 2 ? iov[1].iov_len : 0);
                s->rx_got += body;
                if (cnt == 2)
                    s->rlen = (size_t)n - body;
                if (s->rx_got == s->rx_size) {
                    zf_buf *b = s->rx_big;
                    s->rx_big = NULL;
                    int rc = s->curve ? unbox_big(s, b, s->rx_size)
                                      : push_frame(s, b->data, s->rx_size, b, s->rx_flags & ZF_F_MORE);
                    if (rc < 0) {
                        protocol_error(s);
                        return;
                    }
                    decode(s); /* wakes the socket */
                }
                if (drained)
                    return; /* short read: the kernel buffer is empty */
                continue;
            }
        } else {
            if (s->rpos > 0) { /* keep the partial frame at the start of the buffer */
                memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
                s->rlen -= s->rpos;
                s->rpos = 0;
            }
            if (s->rlen == RBUF_SIZE) {
                protocol_error(s); /* cannot happen with frames bounded as in decode() */
                return;
            }
            size_t want = RBUF_SIZE - s->rlen;
            if (s->rx_bigs && want > 4096)
                want = 4096; /* a large body will follow the header: read it straight into its buffer */
            n = read(s->h.fd, s->rbuf + s->rlen, want);
            if (n > 0) {
                s->hb_deadline = s->ttl_deadline = 0; /* any traffic proves the peer alive */
                s->rlen += (size_t)n;
                decode(s);
                if ((size_t)n < want)
                    return; /* short read: the kernel buffer is empty */
                continue;
            }
        }
        if (n == 0) {
            errno = EPIPE;
            lost_in_handshake(s);
            conn_lost(s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            lost_in_handshake(s);
            conn_lost(s);
        }
        return;
    }
}

/* ---- outbound ---------------------------------------------------------------------------- */

static void take_ctl(zf_session *s)
{
    /* not while a large frame's body is going out: wbuf is written ahead of it */
    if (s->ctl_len && !s->tx_big && s->wlen + s->ctl_len <= WBUF_SIZE) {
        memcpy(s->wbuf + s->wlen, s->ctl, s->ctl_len);
        s->wlen += s->ctl_len;
        s->ctl_len = 0;
    }
}

/* A subscription record, in the form the peer speaks: a SUBSCRIBE/CANCEL command for ZMTP 3.1,
 * a message starting with 0x01/0x00 for 3.0. Returns 0 when the write buffer has no room. */
static int encode_sub(zf_session *s, zf_rec *r)
{
    if (r->aux != ZF_AUX_SUBSCRIBE && r->aux != ZF_AUX_CANCEL)
        return 1; /* nothing for the wire */
    int sub = r->aux == ZF_AUX_SUBSCRIBE;
    size_t tl = (size_t)r->size;
    int cmd = s->peer_minor >= 1;
    size_t body = cmd ? 1 + (sub ? 9 : 6) + tl : 1 + tl;
    if (s->wlen + 9 + body > WBUF_SIZE)
        return 0;
    uint8_t *o = s->wbuf + s->wlen;
    size_t h = zf_zmtp_put_header(o, body, cmd ? ZF_F_COMMAND : 0);
    if (cmd) {
        o[h] = sub ? 9 : 6;
        memcpy(o + h + 1, sub ? "SUBSCRIBE" : "CANCEL", sub ? 9 : 6);
        memcpy(o + h + 1 + (sub ? 9 : 6), zf_rec_data(r), tl);
    } else {
        o[h] = sub ? 1 : 0;
        memcpy(o + h + 1, zf_rec_data(r), tl);
    }
    s->wlen += h + body;
    return 1;
}

/* Encode queued records into the write buffer until it is full or a large frame is next. */
static void fill(zf_session *s)
{
    if (s->opts.raw) {
        raw_fill(s);
        return;
    }
    zf_pipe *p = s->pipe;
    zf_queue *q = &p->q[0];
    if (s->curve) {
        fill_boxed(s);
        return;
    }
    if (!s->tx_mid)
        take_ctl(s);
    while (!s->tx_big) {
        zf_rec *r = zf_queue_peek(q);
        if (!r)
            return;
        if (r->flags & ZF_REC_DELIM) {
            zf_queue_pop(q, r);
            s->tx_done = 1;
            return;
        }
        int more = r->flags & ZF_REC_MORE;
        if (r->flags & ZF_REC_CMD) {
            if (!encode_sub(s, r))
                return; /* no room: flush first */
            zf_queue_drop(q, r);
            zf_pipe_msg_read(p, 1);
            continue;
        }
        if (drop_rec(s, r, more))
            continue;
        uint64_t size = r->size;
        size_t hl = size <= 255 ? 2 : 9;
        if (size <= ZF_INLINE_MAX) {
            if (s->wlen + hl + size > WBUF_SIZE)
                return; /* flush first */
            s->wlen += zf_zmtp_put_header(s->wbuf + s->wlen, size, more ? ZF_F_MORE : 0);
            memcpy(s->wbuf + s->wlen, zf_rec_data(r), (size_t)size);
            s->wlen += (size_t)size;
            zf_queue_drop(q, r);
        } else {
            if (s->wlen + hl > WBUF_SIZE)
                return;
            s->wlen += zf_zmtp_put_header(s->wbuf + s->wlen, size, more ? ZF_F_MORE : 0);
            if (r->external) {
                zf_rec_ext *e = zf_rec_ext_of(r);
                s->tx_big = e->buf; /* the record's reference moves to us */
                s->tx_big_ptr = e->data;
            } else {
                zf_buf *b = zf_buf_new((size_t)size);
                memcpy(b->data, zf_rec_data(r), (size_t)size);
                s->tx_big = b;
                s->tx_big_ptr = b->data;
            }
            s->tx_big_left = (size_t)size;
            zf_queue_pop(q, r);
        }
        s->tx_mid = more;
        if (!more) {
            zf_pipe_msg_read(p, 1);
            take_ctl(s);
        }
    }
}

/* One sendmsg of what is pending: the write buffer, then a large frame's body. */
static ssize_t write_out(zf_session *s, size_t pending)
{
    struct iovec iov[2];
    int cnt = 0;
    if (pending) {
        iov[cnt].iov_base = s->wbuf + s->wpos;
        iov[cnt++].iov_len = pending;
    }
    if (s->tx_big) {
        iov[cnt].iov_base = (void *)s->tx_big_ptr;
        iov[cnt++].iov_len = s->tx_big_left;
    }
    return zf_net_sendv(s->h.fd, iov, cnt);
}

/* n bytes of what write_out offered went out. */
static void wrote(zf_session *s, size_t pending, size_t n)
{
    size_t a = n < pending ? n : pending;
    s->wpos += a;
    n -= a;
    if (s->wpos == s->wlen)
        s->wpos = s->wlen = 0;
    if (s->tx_big) {
        s->tx_big_ptr += n;
        s->tx_big_left -= n;
        if (!s->tx_big_left) {
            zf_buf_unref(s->tx_big);
            s->tx_big = NULL;
        }
    }
}

static void flush_out(zf_session *s)
{
    for (;;) {
        if (s->h.fd < 0)
            return;
        if (s->state == S_ACTIVE && s->pipe && !s->tx_done)
            fill(s);
        size_t pending = s->wlen - s->wpos;
        if (!pending && !s->tx_big) {
            if (s->tx_done) {
                session_destroy(s); /* everything the socket sent before closing is out */
                return;
            }
            if (s->out_armed) {
                s->out_armed = 0;
                zf_io_set(s->io, &s->h, s->rx_paused ? 0 : ZF_IO_IN);
            }
            if (s->state != S_ACTIVE || !s->pipe)
                return;
            /* Park, then look once more: a commit racing with us either sees the flag or is
             * seen by this second look. */
            atomic_store_explicit(&s->pipe->end[1].own_parked, 1, memory_order_relaxed);
            zf_fence();
            if (!zf_queue_peek(&s->pipe->q[0]))
                return;
            atomic_store_explicit(&s->pipe->end[1].own_parked, 0, memory_order_relaxed);
            continue;
        }
        ssize_t n = write_out(s, pending);
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
            conn_lost(s);
            return;
        }
        wrote(s, pending, (size_t)n);
    }
}

/* ---- direct transmit ---------------------------------------------------------------------
 * A request/reply round trip through the I/O thread pays, on the sending side, a wake-up
 * (a syscall) and a thread hop before the message reaches the kernel. When the application
 * thread commits to a parked session's pipe right after receiving (the request/reply rhythm),
 * it writes the message to the connection itself, under the pipe's tx_lock, which the I/O
 * thread holds while it handles any event of the session. Anything short of a complete write
 * (EAGAIN, a partial write, an error, a lock held) falls back to waking the I/O thread, which
 * carries on from the same state. A streaming sender never takes this path: it does not
 * receive between its sends, and batching in the I/O thread is what makes it fast. */

/* Called in the application thread from zf_waker_kick; see above. */
static int session_direct(zf_pipe *p, int end)
{
    (void)end;
    zf_sock *sock = p->end[0].owner;
    if (!sock || !sock->rx_since_tx)
        return 0;
    sock->rx_since_tx = 0;
    if (!zf_pipe_tx_trylock(p))
        return 0;
    zf_session *s = p->direct;
    int sent = 0;
    if (s && s->pipe == p && s->h.fd >= 0 && s->state == S_ACTIVE && !s->out_armed && !s->tx_done &&
        s->wpos == s->wlen && !s->tx_big) {
        fill(s);
        size_t pending = s->wlen - s->wpos;
        if (!s->tx_done && (pending || s->tx_big)) {
            ssize_t n = write_out(s, pending);
            if (n > 0)
                wrote(s, pending, (size_t)n);
        }
        if (!s->tx_done && s->wpos == s->wlen && !s->tx_big) {
            /* park the session again, then look: we are the only producer */
            atomic_store_explicit(&p->end[1].own_parked, 1, memory_order_relaxed);
            zf_fence();
            if (!zf_queue_peek(&p->q[0]))
                sent = 1;
            else
                atomic_store_explicit(&p->end[1].own_parked, 0, memory_order_relaxed);
        }
    }
    zf_pipe_tx_unlock(p);
    return sent;
}

/* Every entry from the I/O thread into a session runs between tx_enter and tx_leave. The pipe
 * is referenced meanwhile: the handler may drop it. */
static zf_pipe *tx_enter(zf_session *s)
{
    zf_pipe *p = s->pipe;
    if (p) {
        zf_pipe_ref(p);
        zf_pipe_tx_lock(p);
    }
    return p;
}

static void tx_leave(zf_session *s, zf_pipe *p)
{
    if (!p)
        return;
    /* s may be dead here, but it is buried, not freed, until this loop iteration ends */
    int ok = !s->dead && s->pipe == p && s->h.fd >= 0 && s->state == S_ACTIVE && !s->tx_done;
    p->direct = ok ? s : NULL;
    zf_pipe_tx_unlock(p);
    zf_pipe_unref(p);
}

/* ---- events ------------------------------------------------------------------------------ */

static void session_event(zf_session *s, uint32_t ev);

static void on_event(zf_handler *h, uint32_t ev)
{
    zf_session *s = container_of(h, zf_session, h);
    zf_pipe *p = tx_enter(s);
    session_event(s, ev);
    tx_leave(s, p);
}

static void session_event(zf_session *s, uint32_t ev)
{
    zf_handler *h = &s->h;
    if (s->socks_step) {
        socks_read(s);
        return;
    }
    if (s->state == S_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (ev & ZF_IO_ERR && !(ev & ZF_IO_OUT))) {
            if (err == ECONNREFUSED)
                s->stop_why = ZF_RECONNECT_STOP_CONN_REFUSED;
            conn_lost(s);
            return;
        }
        zf_io_timer_cancel(s->io, &s->t_conn);
        if (socks_proxied(s)) {
            socks_start(s);
            return;
        }
        zf_monitor_event(s->sock, ZF_EVENT_CONNECTED, h->fd, s->endpoint);
        connected(s);
        return;
    }
    if (ev & (ZF_IO_IN | ZF_IO_ERR))
        read_in(s);
    if (s->dead || s->h.fd < 0)
        return;
    if (ev & ZF_IO_OUT)
        flush_out(s);
}

/* The socket committed data, returned credit, or closed its end. */
static void session_kick(zf_session *s);

void zf_session_kick(zf_session *s)
{
    if (s->dead)
        return;
    zf_pipe *p = tx_enter(s);
    session_kick(s);
    tx_leave(s, p);
}

static void session_kick(zf_session *s)
{
    if (s->zap && s->h.fd >= 0) {
        zap_answered(s);
        if (s->dead)
            return;
    }
    if (socket_closed(s))
        on_socket_closed(s);
    if (s->dead)
        return;
    if (s->h.fd >= 0 && s->state == S_ACTIVE) {
        if (s->rx_paused && s->pipe && zf_pipe_check_write(s->pipe, 1)) {
            s->rx_paused = 0;
            zf_io_set(s->io, &s->h, ZF_IO_IN | (s->out_armed ? ZF_IO_OUT : 0));
            if (s->rx_big)
                read_in(s);
            else
                decode(s);
            if (s->dead || s->h.fd < 0)
                return;
            if (!s->rx_paused)
                read_in(s);
        }
        if (s->dead || s->h.fd < 0)
            return;
        flush_out(s);
    }
}

/* ---- listeners --------------------------------------------------------------------------- */

static void on_accept(zf_handler *h, uint32_t ev)
{
    zf_listener *l = container_of(h, zf_listener, h);
    (void)ev;
    for (int i = 0; i < 64; i++) {
        int fd = zf_net_accept(h->fd);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                zf_monitor_event(l->sock, ZF_EVENT_ACCEPT_FAILED, errno, l->endpoint);
            return; /* EAGAIN, or a transient error (EMFILE...): try again on the next event */
        }
        if (!zf_opts_accepts(&l->opts, fd, l->addr.transport == ZF_TCP)) {
            /* TCP_ACCEPT_FILTER / IPC_FILTER_*: not a peer we take; libzmq reports it so */
            close(fd);
            zf_monitor_event(l->sock, ZF_EVENT_ACCEPT_FAILED, EACCES, l->endpoint);
            continue;
        }
        zf_monitor_event(l->sock, ZF_EVENT_ACCEPTED, fd, l->endpoint);
        zf_session *s = session_alloc(l->io, l->sock, &l->opts);
        if (!s) {
            close(fd);
            continue;
        }
        s->listener = l;
        s->addr = l->addr;
        snprintf(s->endpoint, sizeof s->endpoint, "%s", l->endpoint);
        set_sockopts(s, fd);
        s->h.fd = fd;
        link_session(s);
        zf_io_add(l->io, &s->h, ZF_IO_IN);
        connected(s);
    }
}

/* USE_FD: listen on a socket the application made, bound and listening already; its address
 * is the endpoint. It is ours from now on: closed with the listener, as libzmq does. */
static int listener_adopt(zf_listener *l)
{
    zf_addr *a = &l->addr;
    int fd = l->opts.use_fd;
    socklen_t len = sizeof a->sa;
    if (getsockname(fd, (struct sockaddr *)&a->sa, &len) < 0)
        return -errno;
    a->salen = len;
    int family = a->sa.ss_family;
    if (!((a->transport == ZF_TCP && (family == AF_INET || family == AF_INET6)) ||
          (a->transport == ZF_IPC && family == AF_UNIX)))
        return -EINVAL; /* not a socket of this endpoint's transport */
    if (a->transport == ZF_IPC) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
        snprintf(a->name, sizeof a->name, "%s", un->sun_path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    zf_addr_format(a, l->endpoint, sizeof l->endpoint);
    l->h.fd = fd;
    l->h.on_event = on_accept;
    return 0;
}

int zf_listener_open(zf_listener *l)
{
    zf_addr *a = &l->addr;
    if (l->opts.use_fd >= 0 && a->transport != ZF_INPROC)
        return listener_adopt(l);
    if (a->transport == ZF_IPC && strcmp(a->name, "*") == 0) {
        char tmpl[] = "/tmp/tmpXXXXXX";
        if (!mkdtemp(tmpl))
            return -errno;
        snprintf(a->name, sizeof a->name, "%s/socket", tmpl);
    }
    int rc = zf_addr_resolve(a, 1, l->opts.ipv6);
    if (rc < 0)
        return rc;
    int fd = zf_net_socket(a->sa.ss_family);
    if (fd < 0)
        return -errno;
    if (a->transport == ZF_TCP) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->sa.ss_family == AF_INET6) {
            int v6only = 0;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        }
    } else {
        unlink(a->name); /* a stale socket file from a dead process, as libzmq does */
    }
    if (l->opts.sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &l->opts.sndbuf, sizeof l->opts.sndbuf);
    if (l->opts.rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &l->opts.rcvbuf, sizeof l->opts.rcvbuf);
    if (a->transport == ZF_TCP) {
        int e = bind_to_device(&l->opts, fd);
        if (e < 0) {
            close(fd);
            return e; /* ENODEV for an unknown interface, as libzmq's bind reports */
        }
    }
    if (bind(fd, (struct sockaddr *)&a->sa, a->salen) < 0 || listen(fd, l->opts.backlog > 0 ? l->opts.backlog : 100) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (a->transport == ZF_TCP) {
        socklen_t len = sizeof a->sa;
        getsockname(fd, (struct sockaddr *)&a->sa, &len);
        a->salen = len;
    }
    zf_addr_format(a, l->endpoint, sizeof l->endpoint);
    l->h.fd = fd;
    l->h.on_event = on_accept;
    return 0;
}

void zf_listener_start(zf_listener *l)
{
    l->next = l->io->listeners;
    l->io->listeners = l;
    zf_io_add(l->io, &l->h, ZF_IO_IN);
}

/* Stop accepting. Sessions it accepted go with it (unbind), or only those that carry no traffic
 * yet (socket close: the others flush within the linger period). */
void zf_listener_close(zf_listener *l, int with_sessions)
{
    zf_io *io = l->io;
    zf_listener **pp = &io->listeners;
    while (*pp && *pp != l)
        pp = &(*pp)->next;
    if (*pp)
        *pp = l->next;
    if (l->h.fd >= 0) {
        zf_monitor_event(l->sock, ZF_EVENT_CLOSED, l->h.fd, l->endpoint);
        zf_io_del(io, &l->h);
        close(l->h.fd);
        l->h.fd = -1;
        if (l->addr.transport == ZF_IPC && l->opts.use_fd < 0) /* an adopted fd's file is not ours */
            unlink(l->addr.name);
    }
    zf_session *s = io->sessions;
    while (s) {
        zf_session *n = s->next;
        if (s->listener == l) {
            s->listener = NULL;
            if (!s->pipe || with_sessions) {
                zf_pipe *p = tx_enter(s);
                session_destroy(s);
                tx_leave(s, p);
            }
        }
        s = n;
    }
    zf_opts_forget_secret(&l->opts);
    zf_sock_unref(l->sock);
    zf_io_bury(io, l);
}

/* ---- raw connections (STREAM, ROUTER_RAW) ------------------------------------------------- */
/* No greeting, no handshake, no framing: each chunk read becomes a one-frame message, and each
 * message the socket sends is written as its bare bytes. The socket learns of a connection by
 * a PEER record (for the metadata) and, with STREAM_NOTIFY, an empty message at connect and at
 * disconnect. */

/* libzmq hands raw data over in pieces of at most its read batch (8 KiB): keep that granularity,
 * which also keeps every chunk inline in the queue (no allocation per read). */
#define RAW_CHUNK 8192

/* An empty message: how STREAM_NOTIFY marks a connect or a disconnect. Never held back by the
 * HWM, as it is libzmq's. */
static void raw_notify(zf_session *s)
{
    if (!s->opts.raw_notify || !s->pipe || zf_queue_put(&s->pipe->q[1], NULL, 0, 0) < 0)
        return;
    zf_pipe_commit(s->pipe, 1);
    s->rx_dirty = 1;
}

/* The accepting side (or IMMEDIATE) has no pipe before the connection is up: make one now. */
static int raw_attach(zf_session *s)
{
    uint64_t sndhwm = s->opts.sndhwm > 0 ? (uint64_t)s->opts.sndhwm : 0;
    uint64_t rcvhwm = s->opts.rcvhwm > 0 ? (uint64_t)s->opts.rcvhwm : 0;
    zf_pipe *p = zf_pipe_new(sndhwm, rcvhwm);
    if (!p)
        return -1;
    p->end[1].owner = s;
    p->end[1].waker.parked = &p->end[1].own_parked;
    p->end[1].waker.wake = zf_io_pipe_wake;
    p->end[1].waker.arg = s->io;
    fill_peer_info(s, &p->end[0]);
    p->end[0].via_session = 1;
    zf_sock_own_end(s->sock, p, 0);
    zf_pipe_ref(p); /* the socket's */
    if (zf_sock_post(s->sock, ZF_SCMD_ATTACH, p) < 0) {
        p->end[1].owner = NULL;
        zf_pipe_unref(p);
        zf_pipe_unref(p);
        return -1;
    }
    s->pipe = p;
    return 0;
}

static void raw_connected(zf_session *s)
{
    s->rlen = s->rpos = 0;
    s->wlen = s->wpos = 0;
    s->ctl_len = 0;
    s->fail_event = 0;
    s->cur_ivl = s->opts.reconnect_ivl;
    if (!s->pipe && raw_attach(s) < 0) {
        session_destroy(s);
        return;
    }
    s->state = S_ACTIVE;
    zf_io_set(s->io, &s->h, ZF_IO_IN);
    char addr[64];
    peer_address(s, addr, sizeof addr);
    zf_buf *meta = zf_meta_new(addr, NULL, 0);
    if (meta) {
        if (zf_queue_put_cmd_ext(&s->pipe->q[1], ZF_AUX_PEER, meta) == 0)
            zf_pipe_commit(s->pipe, 1);
        else
            zf_buf_unref(meta);
    }
    raw_notify(s);
    s->rx_dirty = 0;
    zf_pipe_wake_peer(s->pipe, 1);
    flush_out(s); /* what the socket sent to this id before the connection came up */
}

/* Hand what the read buffer holds to the socket, RAW_CHUNK at a time, while the HWM allows. */
static void raw_decode(zf_session *s)
{
    zf_pipe *p = s->pipe;
    if (p && socket_closed(s)) { /* closed by an empty frame, flushing: nobody will read this */
        s->rpos = s->rlen = 0;
        return;
    }
    while (s->h.fd >= 0 && p && s->rpos < s->rlen && !s->rx_paused) {
        if (!zf_pipe_check_write(p, 1)) {
            pause_rx(s);
            break;
        }
        size_t n = s->rlen - s->rpos;
        if (n > RAW_CHUNK)
            n = RAW_CHUNK;
        if (zf_queue_put(&p->q[1], s->rbuf + s->rpos, n, 0) < 0) {
            conn_lost(s);
            return;
        }
        zf_pipe_commit(p, 1);
        s->rx_dirty = 1;
        s->rpos += n;
    }
    if (s->rpos == s->rlen)
        s->rpos = s->rlen = 0;
    if (s->rx_dirty && s->pipe) {
        s->rx_dirty = 0;
        zf_pipe_wake_peer(s->pipe, 1);
    }
}

static void raw_read_in(zf_session *s)
{
    for (int round = 0; round < 8 && s->h.fd >= 0 && !s->rx_paused; round++) {
        if (s->rpos < s->rlen) { /* left over from a pause at HWM */
            raw_decode(s);
            continue;
        }
        ssize_t n = read(s->h.fd, s->rbuf, RBUF_SIZE);
        if (n > 0) {
            s->rpos = 0;
            s->rlen = (size_t)n;
            raw_decode(s);
            if (n < RBUF_SIZE)
                return; /* short read: the kernel buffer is empty */
            continue;
        }
        if (n == 0) {
            conn_lost(s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            conn_lost(s);
        return;
    }
}

/* Copy queued message bodies into the write buffer, unframed, until it is full or a large body
 * is next (flush_out writes that one from its own buffer). */
static void raw_fill(zf_session *s)
{
    zf_pipe *p = s->pipe;
    zf_queue *q = &p->q[0];
    while (!s->tx_big) {
        zf_rec *r = zf_queue_peek(q);
        if (!r)
            return;
        if (r->flags & ZF_REC_DELIM) {
            zf_queue_pop(q, r);
            s->tx_done = 1;
            return;
        }
        int more = r->flags & ZF_REC_MORE;
        if (r->flags & ZF_REC_CMD) {
            zf_queue_drop(q, r);
            zf_pipe_msg_read(p, 1);
            continue;
        }
        size_t size = (size_t)r->size;
        if (size <= ZF_INLINE_MAX) {
            if (s->wlen + size > WBUF_SIZE)
                return; /* flush first */
            memcpy(s->wbuf + s->wlen, zf_rec_data(r), size);
            s->wlen += size;
            zf_queue_drop(q, r);
        } else if (r->external) {
            zf_rec_ext *e = zf_rec_ext_of(r);
            s->tx_big = e->buf; /* the record's reference moves to us */
            s->tx_big_ptr = e->data;
            s->tx_big_left = size;
            zf_queue_pop(q, r);
        } else {
            return; /* cannot happen: bodies past ZF_INLINE_MAX are always external */
        }
        if (!more)
            zf_pipe_msg_read(p, 1);
    }
}

/* The connection is going (conn_lost follows). libzmq reports a raw disconnect as a failed
 * handshake and then DISCONNECTED (raw sockets have no mechanism, so they count as still
 * handshaking): the same events here. The socket gets its disconnect notification unless it
 * closed the connection itself. */
static void raw_lost(zf_session *s)
{
    if (s->state != S_ACTIVE || s->h.fd < 0)
        return;
    zf_monitor_event(s->sock, ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE, s->endpoint);
    if (!s->pipe || socket_closed(s))
        return;
    raw_notify(s);
    if (s->rx_dirty) {
        s->rx_dirty = 0;
        zf_pipe_wake_peer(s->pipe, 1);
    }
}
