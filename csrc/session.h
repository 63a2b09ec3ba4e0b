/* session.h: one peer connection, run by the I/O thread (and, for direct transmit only, by the
 * application thread that commits to its pipe: see direct_send.c).
 *
 * A session owns its fd and the protocol state. It is end 1 of a pipe whose end 0 is the socket.
 * What varies between sessions is behind two ops tables, chosen when the session is made:
 *  - the engine (zf_engine): how bytes on the fd become records and back. ZMTP
 *    (engine_zmtp.c: greeting, handshake, framing) or raw (engine_raw.c: STREAM, ROUTER_RAW);
 *  - the mechanism (zf_mech, mech.h): under ZMTP, the handshake and how each traffic frame is
 *    encoded and decoded. NULL (mech_null.c), PLAIN (mech_plain.c), CURVE (mech_curve.c).
 * The rest lives in files of its own: connect and reconnect (connecter.c), SOCKS5 (socks.c),
 * accepting (listener.c), ZAP questions (zap_client.c), TCP options (net.c).
 *
 * On the connecting side the session outlives its connections: it reconnects, and its pipe (with
 * any queued messages) stays attached to the socket. On the accepting side, and with IMMEDIATE,
 * the pipe exists only while a connection is up.
 *
 * The first part of this header is the session's API for the rest of the engine (socket.c, the
 * I/O thread's commands); the second is shared by the files that implement sessions only. */
#ifndef ZF_SESSION_H
#define ZF_SESSION_H

#include "io.h"
#include "sock_link.h"

/* ---- the API ------------------------------------------------------------------------------ */

typedef struct zf_session zf_session;

/* A bound tcp/ipc endpoint accepting connections (listener.c). Made and opened by the socket
 * in the application thread, then handed to the I/O thread, which owns it from then on. */
typedef struct zf_listener {
    zf_handler h;
    zf_io *io;          /* its own, chosen at bind (AFFINITY); what it accepts may go to any other */
    zf_sock_link *sock; /* the socket that bound it, referenced */
    zf_opts opts;
    zf_addr addr;
    char endpoint[300];
    struct zf_listener *next; /* in io->listeners */
    /* Connections taken from the kernel's accept queue and not yet made sessions (listener.c:
     * a connect burst is taken at once, set up a batch per loop turn). Owned, closed at stop. */
    int *parked;
    int nparked, parked_head, parked_cap;
    zf_timer t_more; /* fires at once while connections are parked */
} zf_listener;

/* Application thread: a connecting session for endpoint, not yet started. pipe (may be NULL
 * with IMMEDIATE) becomes its end 1. The I/O thread starts it on zf_session_post_start. */
zf_session *zf_session_new_connect(zf_io *io, zf_sock_link *sock, const zf_opts *opts, const zf_addr *addr,
                                   const char *endpoint, zf_pipe *pipe);
uint64_t zf_session_id(zf_session *s);
/* Application thread: hand the new session to its I/O thread, which starts connecting. */
int zf_session_post_start(zf_session *s);
/* A listener's I/O thread: hand a session it accepted (fd set, not linked) to the session's own
 * I/O thread, another one, which takes it from there. 0 or -ENOMEM. */
int zf_session_post_accepted(zf_session *s);
/* Application thread: the socket closed, or disconnected the endpoint of, the connecting
 * session with this id (it may be gone already). */
void zf_session_post_sock_closed(zf_io *io, uint64_t id);
/* Application thread: bind + listen (errors reported synchronously). */
int zf_listener_open(zf_listener *l);
/* Application thread: hand an opened listener to its I/O thread, and wait until it listens. */
void zf_listener_post_start(zf_listener *l);
/* Application thread: stop the listener and wait. with_sessions: also close every session it
 * accepted (unbind); otherwise those that carry traffic flush and go by themselves (close). */
void zf_listener_post_close(zf_listener *l, int with_sessions);
/* The waker of a session-side pipe end (and of a ZAP request's end 0): any thread. */
void zf_session_pipe_wake(void *io, zf_pipe *p, int end);

/* ---- inside the session files only -------------------------------------------------------- */
#ifdef ZF_SESSION_INTERNAL

#include "meta.h"
#include "monitor.h"

#define ZF_RBUF_SIZE (64 * 1024)
#define ZF_WBUF_SIZE (64 * 1024)
#define ZF_CMD_MAX (ZF_RBUF_SIZE - 16) /* a command must fit in the read buffer */

enum { S_IDLE, S_CONNECTING, S_GREETING, S_HANDSHAKE, S_ACTIVE };

/* How the fd's bytes become records and records become bytes. Called by the I/O thread; fill
 * also by direct transmit in the application thread (direct_send.c). */
typedef struct zf_engine {
    void (*connected)(zf_session *s); /* the fd is connected (to the peer, past any proxy) */
    void (*read_in)(zf_session *s);   /* the fd is readable */
    void (*decode)(zf_session *s);    /* go on with what rbuf holds (after a pause or ZAP) */
    void (*fill)(zf_session *s);      /* encode queued records into wbuf / tx_big */
    void (*lost)(zf_session *s);      /* the connection is going (before the session's cleanup) */
} zf_engine;

typedef struct zf_mech zf_mech; /* mech.h */

/* One peer connection and, on the connecting side, the endpoint it keeps reconnecting to.
 * Owned by the I/O thread (io->sessions); the fields under "outbound" are also used by direct
 * transmit, under the pipe's tx_lock (direct_send.c). */
struct zf_session {
    zf_handler h; /* h.fd < 0 when not connected */
    uint64_t id;
    zf_io *io;
    zf_sock_link *sock; /* the socket that owns it, referenced (sock_link.h) */
    const zf_engine *engine;
    const zf_mech *mech;
    void *mech_state; /* the mechanism's own (CURVE: its codec), or NULL */
    zf_opts opts;
    zf_addr addr;
    char endpoint[300];
    zf_listener *listener; /* accepting side: who accepted us (compared, never dereferenced late) */
    int connect_side;
    zf_pipe *pipe; /* our end is 1 */
    int state;
    int peer_minor;
    int hs;               /* handshake step: the mechanism's, or ZF_HS_ZAP (mech.h) */
    int hs_early;         /* the first step went out with our greeting (zf_mech.start_early) */
    zf_pipe *zap;         /* a ZAP request awaiting its reply (zap.h) */
    uint8_t *zap_props;   /* what the ZAP handler said of the peer (User-Id, metadata), as properties */
    size_t zap_props_len;
    int fail_event;       /* how a failed handshake is reported (0: as a protocol error) */
    int64_t fail_value;
    int stop_why;         /* RECONNECT_STOP: the ZF_RECONNECT_STOP_* case the last attempt ended in */
    int socks_step;       /* SOCKS_PROXY: the SOCKS5 reply awaited, 0 when not in SOCKS */
    zf_addr proxy;        /* SOCKS_PROXY: where the tcp connection really goes */
    int peer_type;
    char peer_addr[64];   /* the connection's peer IP address ("" for ipc), once asked */
    int peer_addr_known;  /* cleared by the engines' connected: a new connection */
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
    int tx_failed; /* encoding failed: the fd is shut down, nothing more is sent on it */
    uint8_t ctl[64]; /* control frames (PING, PONG), ZMTP-framed, waiting for a message boundary */
    size_t ctl_len;
    int out_armed;
    /* timers */
    zf_timer t_conn;   /* reconnect, connect or handshake timeout (connecter.c) */
    zf_timer t_linger;
    zf_timer t_hb;          /* heartbeats: next PING, and the deadlines below */
    int64_t hb_next_ping;   /* 0: not sending PINGs */
    int64_t hb_deadline;    /* a PING went unanswered by any traffic until then: give up */
    int64_t ttl_deadline;   /* the peer's PING said: drop me if silent until then */
    int cur_ivl;
    int closing_seen;
    int dead;
    zf_session *next, *prev; /* in io->sessions */
};

#define zf_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

extern const zf_engine zf_engine_zmtp, zf_engine_raw;

/* session.c: lifetime */
zf_session *zf_session_alloc(zf_io *io, zf_sock_link *sock, const zf_opts *opts);
void zf_session_link(zf_session *s);
void zf_session_destroy(zf_session *s);
/* The connection ended (EOF, error, protocol violation, timeout): clean up, then reconnect
 * (connecting side) or go (accepting side). */
void zf_session_lost(zf_session *s);
int zf_session_socket_closed(zf_session *s);
/* Detach from the pipe: write our delimiter and tell the socket. */
void zf_session_drop_pipe(zf_session *s);
/* No pipe yet (accepting side, IMMEDIATE): make one and hand it to the socket. direct: whether
 * direct transmit may write through it. 0 or -1. */
int zf_session_attach_pipe(zf_session *s, int direct);
void zf_session_peer_address(zf_session *s, char *buf, size_t cap);
/* Put one whole data frame into the inbound queue: data (inside big, whose reference is ours,
 * if given), more if a part follows. 0, or -1 with big released. */
int zf_session_push_frame(zf_session *s, const uint8_t *data, uint64_t size, zf_buf *big, int more);
void zf_session_pause_rx(zf_session *s);
/* Write out what is pending, encoding queued records first; the session may be gone after. */
void zf_session_flush(zf_session *s);
/* Heartbeat timer: rearm for the nearest of the deadlines. */
void zf_session_arm_hb(zf_session *s);
void zf_session_on_event(zf_handler *h, uint32_t ev);
void zf_session_kick(zf_session *s);

/* connecter.c */
void zf_connecter_start(zf_session *s); /* resolve, make the fd, connect */
void zf_connecter_t_conn_fire(zf_timer *t);
void zf_connecter_reconnect(zf_session *s);
/* An event on a session in S_CONNECTING: the connect's outcome. */
void zf_connecter_on_connect(zf_session *s, uint32_t ev);

/* listener.c */
void zf_listener_start(zf_listener *l);
/* Stop accepting (close the fd); the listener stays until zf_listener_close. */
void zf_listener_stop(zf_listener *l);
/* On io: the sessions of io that l accepted forget it; with_sessions, or when they carry no
 * traffic yet, they close. */
void zf_listener_release_sessions(zf_io *io, zf_listener *l, int with_sessions);
/* Stop, release the sessions of its own thread, free. */
void zf_listener_close(zf_listener *l, int with_sessions);

/* socks.c */
int zf_socks_proxied(const zf_session *s);
int zf_socks_resolve(zf_session *s);
void zf_socks_start(zf_session *s);
void zf_socks_read(zf_session *s);

/* direct_send.c: what may run in the application thread */
int zf_session_direct(zf_pipe *p, int end);
ssize_t zf_session_write_out(zf_session *s, size_t pending);
void zf_session_wrote(zf_session *s, size_t pending, size_t n);

/* Every entry from the I/O thread into a session runs between tx_enter and tx_leave, holding the
 * pipe's tx_lock (which direct transmit takes too). The pipe is referenced meanwhile: the
 * handler may drop it. Inline: they run on every event. */
static inline zf_pipe *zf_session_tx_enter(zf_session *s)
{
    zf_pipe *p = s->pipe;
    if (p) {
        zf_pipe_ref(p);
        zf_pipe_tx_lock(p);
    }
    return p;
}

/* Publish whether direct transmit may write through s, and let go of the lock. */
static inline void zf_session_tx_leave(zf_session *s, zf_pipe *p)
{
    if (!p)
        return;
    /* s may be dead here, but it is buried, not freed, until this loop iteration ends */
    int ok = !s->dead && s->pipe == p && s->h.fd >= 0 && s->state == S_ACTIVE && !s->tx_done;
    p->direct = ok ? s : NULL;
    zf_pipe_tx_unlock(p);
    zf_pipe_unref(p);
}

/* The next record an engine's fill encodes, or NULL when there is none or it is the socket's
 * delimiter (taken, and tx_done set: nothing follows it). Inline: once per frame sent. */
static inline zf_rec *zf_session_next_rec(zf_session *s, zf_queue *q)
{
    zf_rec *r = zf_queue_peek(q);
    if (r && (r->flags & ZF_REC_DELIM)) {
        zf_queue_pop(q, r);
        s->tx_done = 1;
        return NULL;
    }
    return r;
}

/* engine_zmtp.c: what the mechanisms call back */
int zf_zmtp_handshake_done(zf_session *s);
int zf_zmtp_handle_command(zf_session *s, const uint8_t *body, size_t len);
void zf_zmtp_queue_ctl(zf_session *s, const uint8_t *frame, size_t len);

#endif /* ZF_SESSION_INTERNAL */
#endif
