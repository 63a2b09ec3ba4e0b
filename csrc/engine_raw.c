/* engine_raw.c: the raw engine of STREAM and ROUTER_RAW sessions. No greeting, no handshake, no
 * framing: each chunk read becomes a one-frame message, and each message the socket sends is
 * written as its bare bytes. The socket learns of a connection by a PEER record (for the
 * metadata) and, with STREAM_NOTIFY, an empty message at connect and at disconnect.
 * I/O thread, except raw_fill (direct transmit on a connecting session: direct_send.c). */
#define ZF_SESSION_INTERNAL
#include "session.h"

#include <errno.h>
#include <string.h>

#include "sys.h"

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

static void raw_connected(zf_session *s)
{
    s->peer_addr_known = 0;
    s->rlen = s->rpos = 0;
    s->wlen = s->wpos = 0;
    s->ctl_len = 0;
    s->fail_event = 0;
    s->tx_failed = 0;
    s->cur_ivl = s->opts.reconnect_ivl;
    /* the accepting side (or IMMEDIATE) has no pipe before the connection is up: make one now
     * (no direct transmit through it) */
    if (!s->pipe && zf_session_attach_pipe(s, 0) < 0) {
        zf_session_destroy(s);
        return;
    }
    s->state = S_ACTIVE;
    zf_io_set(s->io, &s->h, ZF_IO_IN);
    char addr[64];
    zf_session_peer_address(s, addr, sizeof addr);
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
    zf_session_flush(s); /* what the socket sent to this id before the connection came up */
}

/* Hand what the read buffer holds to the socket, RAW_CHUNK at a time, while the HWM allows. */
static void raw_decode(zf_session *s)
{
    zf_pipe *p = s->pipe;
    if (p && zf_session_socket_closed(s)) { /* closed by an empty frame, flushing: nobody will read this */
        s->rpos = s->rlen = 0;
        return;
    }
    while (s->h.fd >= 0 && p && s->rpos < s->rlen && !s->rx_paused) {
        if (!zf_pipe_check_write(p, 1)) {
            zf_session_pause_rx(s);
            break;
        }
        size_t n = s->rlen - s->rpos;
        if (n > RAW_CHUNK)
            n = RAW_CHUNK;
        if (zf_queue_put(&p->q[1], s->rbuf + s->rpos, n, 0) < 0) {
            zf_session_lost(s);
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
        ssize_t n = zf_sys_recv(s->h.fd, s->rbuf, ZF_RBUF_SIZE);
        if (n > 0) {
            s->rpos = 0;
            s->rlen = (size_t)n;
            raw_decode(s);
            if (n < ZF_RBUF_SIZE)
                return; /* short read: the kernel buffer is empty */
            continue;
        }
        if (n == 0) {
            zf_session_lost(s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            zf_session_lost(s);
        return;
    }
}

/* Copy queued message bodies into the write buffer, unframed, until it is full or a large body
 * is next (the write loop sends that one from its own buffer). A large body is always external
 * today (the socket stores bodies past ZF_INLINE_MAX out of line); one stored inline would be
 * copied into a buffer of its own, and if that fails the connection ends as an encoding failure
 * does. */
static void raw_fill(zf_session *s)
{
    zf_pipe *p = s->pipe;
    zf_queue *q = &p->q[0];
    while (!s->tx_big && !s->tx_failed) {
        zf_rec *r = zf_session_next_rec(s, q);
        if (!r)
            return;
        int more = r->flags & ZF_REC_MORE;
        if (r->flags & ZF_REC_CMD) {
            zf_queue_drop(q, r);
            zf_pipe_msg_read(p, 1);
            continue;
        }
        size_t size = (size_t)r->size;
        if (size <= ZF_INLINE_MAX) {
            if (s->wlen + size > ZF_WBUF_SIZE)
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
            zf_buf *b = zf_buf_new(size);
            if (!b) {
                s->tx_failed = 1;
                if (s->h.fd >= 0)
                    shutdown(s->h.fd, SHUT_RDWR);
                return;
            }
            memcpy(b->data, zf_rec_data(r), size);
            s->tx_big = b;
            s->tx_big_ptr = b->data;
            s->tx_big_left = size;
            zf_queue_drop(q, r);
        }
        if (!more)
            zf_pipe_msg_read(p, 1);
    }
}

/* The connection is going (zf_session_lost goes on). libzmq reports a raw disconnect as a
 * failed handshake and then DISCONNECTED (raw sockets have no mechanism, so they count as still
 * handshaking): the same events here. The socket gets its disconnect notification unless it
 * closed the connection itself. */
static void raw_lost(zf_session *s)
{
    s->tx_failed = 0;
    if (s->state != S_ACTIVE || s->h.fd < 0)
        return;
    zf_monitor_event(s->sock, ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE, s->endpoint);
    if (!s->pipe || zf_session_socket_closed(s))
        return;
    raw_notify(s);
    if (s->rx_dirty) {
        s->rx_dirty = 0;
        zf_pipe_wake_peer(s->pipe, 1);
    }
}

const zf_engine zf_engine_raw = {
    .connected = raw_connected,
    .read_in = raw_read_in,
    .decode = raw_decode,
    .fill = raw_fill,
    .lost = raw_lost,
};
