/* engine_zmtp.c: the ZMTP 3.x engine of a session (RFC 23/37). The greeting, the handshake's
 * framing (its commands belong to the mechanism, mech.h), then traffic: the decoder cuts the
 * read buffer into frames and hands each whole one to the mechanism's decode (large frames are
 * read straight into a buffer of their own, which the message then keeps); the encoder turns
 * queued records into frames through the mechanism's put (small frames copied into the write
 * buffer, large ones written from their own buffer). PING/PONG, heartbeats' PINGs and
 * subscriptions are handled here, the same under every mechanism. Also here: the plain ZMTP
 * framing that NULL and PLAIN use as their traffic encoding.
 *
 * I/O thread, except zmtp_fill and what it calls (direct transmit, see direct_send.c). */
#include "mech.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mech_plain.h"
#include "sys.h"
#include "zmtp.h"

/* The connection broke (EOF: errno EPIPE) before the handshake was through: libzmq reports
 * that as HANDSHAKE_FAILED_NO_DETAIL with the errno, unless something better was said. */
static void lost_in_handshake(zf_session *s)
{
    if ((s->state == S_GREETING || s->state == S_HANDSHAKE) && !s->fail_event)
        zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno);
}

/* ---- connection and handshake ----------------------------------------------------------------- */

static void zmtp_connected(zf_session *s)
{
    s->state = S_GREETING;
    s->peer_addr_known = 0;
    s->rlen = s->rpos = 0;
    s->wlen = s->wpos = 0;
    s->ctl_len = 0;
    s->fail_event = 0;
    s->tx_failed = 0;
    if (s->mech->begin && s->mech->begin(s) < 0) {
        zf_session_lost(s);
        return;
    }
    zf_zmtp_greeting(s->wbuf, s->mech->name, s->mech->greeting_as_server ? s->opts.as_server : 0);
    s->wlen = ZF_GREETING_SIZE;
    s->hs_early = 0;
    if (!s->connect_side && s->mech->start_early) { /* see mech.h: greeting and first step in one write */
        int rc = s->mech->start_early(s);
        if (rc < 0) {
            zf_session_lost(s);
            return;
        }
        s->hs_early = rc;
    }
    if (s->opts.handshake_ivl > 0)
        zf_io_timer_set(s->io, &s->t_conn, s->opts.handshake_ivl);
    zf_io_set(s->io, &s->h, ZF_IO_IN);
    zf_session_flush(s);
}

/* READY exchanged: the connection carries traffic from now on. */
int zf_zmtp_handshake_done(zf_session *s)
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
    zf_session_peer_address(s, addr, sizeof addr);
    zf_buf *meta = zf_meta_new(addr, s->peer_props, s->peer_props_len);
    s->cur_ivl = s->opts.reconnect_ivl;
    if (!s->pipe && zf_session_attach_pipe(s, 1) < 0) {
        if (meta)
            zf_buf_unref(meta);
        return -1;
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

/* One command during the handshake: ERROR here, the rest the mechanism's. 1: handshake
 * complete, 0: go on, -1: fail. */
static int handshake_command(zf_session *s, uint8_t *body, size_t len)
{
    const uint8_t *name, *data;
    size_t nl, dl;
    if (zf_zmtp_command(body, len, &name, &nl, &data, &dl) < 0)
        return -1;
    if (zf_zmtp_is_command(name, nl, "ERROR")) {
        int status = zf_zmtp_error_status(data, dl);
        if (status)
            zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_AUTH, status);
        return -1;
    }
    return s->mech->command(s, body, len, name, nl, data, dl);
}

/* ---- commands during traffic (any mechanism) ------------------------------------------------ */

void zf_zmtp_queue_ctl(zf_session *s, const uint8_t *frame, size_t len)
{
    if (s->ctl_len + len <= sizeof s->ctl) {
        memcpy(s->ctl + s->ctl_len, frame, len);
        s->ctl_len += len;
    }
}

/* A command after the handshake (body: name and data). 1: it wants output (a PONG queued),
 * 0: done, -1: the connection must go. */
int zf_zmtp_handle_command(zf_session *s, const uint8_t *body, size_t len)
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
                zf_session_arm_hb(s);
            }
        }
        uint8_t pong[32];
        size_t n = zf_zmtp_pong(pong, data, dl);
        zf_zmtp_queue_ctl(s, pong, n);
        return 1;
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

/* ---- plain ZMTP framing: the traffic encoding of NULL and PLAIN ------------------------------ */

size_t zf_zmtp_frame_span(size_t len) { return (len <= 255 ? 2 : 9) + len; }

/* The plain framing's put, inline: the engine calls it directly when the mechanism's put is
 * this one (NULL, PLAIN), so the common case costs no indirect call per frame. */
static inline int frame_put(zf_session *s, const uint8_t *pre, size_t prel, const uint8_t *data, size_t len,
                            int flags)
{
    size_t n = prel + len;
    if (s->wlen + (n <= 255 ? 2 : 9) + n > ZF_WBUF_SIZE)
        return 1;
    uint8_t *o = s->wbuf + s->wlen;
    size_t h = zf_zmtp_put_header(o, n, flags);
    if (prel)
        memcpy(o + h, pre, prel);
    memcpy(o + h + prel, data, len);
    s->wlen += h + n;
    return 0;
}

int zf_zmtp_frame_put(zf_session *s, const uint8_t *pre, size_t prel, const uint8_t *data, size_t len, int flags)
{
    return frame_put(s, pre, prel, data, len, flags);
}

/* One frame through the mechanism's encoder, devirtualized for plain framing. */
static inline int put(zf_session *s, const zf_mech *m, const uint8_t *pre, size_t prel, const uint8_t *data,
                      size_t len, int flags)
{
    if (zf_likely(m->put == zf_zmtp_frame_put))
        return frame_put(s, pre, prel, data, len, flags);
    return m->put(s, pre, prel, data, len, flags);
}

/* The body is written from its own buffer: the record's (its reference moves to us), or, for a
 * large body stored inline (the queue keeps none so today), a copy. */
int zf_zmtp_frame_put_big(zf_session *s, zf_rec *r, int flags)
{
    size_t size = (size_t)r->size;
    if (s->wlen + 9 > ZF_WBUF_SIZE)
        return -1;
    zf_buf *b;
    const uint8_t *ptr;
    int took = r->external;
    if (took) {
        zf_rec_ext *e = zf_rec_ext_of(r);
        b = e->buf;
        ptr = e->data;
    } else {
        b = zf_buf_new(size);
        if (!b) {
            zf_zmtp_tx_failed(s);
            return -1;
        }
        memcpy(b->data, zf_rec_data(r), size);
        ptr = b->data;
    }
    s->wlen += zf_zmtp_put_header(s->wbuf + s->wlen, size, flags);
    s->tx_big = b;
    s->tx_big_ptr = ptr;
    s->tx_big_left = size;
    return took;
}

/* A buffer the binding made ahead, else plain malloc; never an allocator of Python's called from
 * here: its hooks (tracemalloc, an embedder's) may take the GIL or keep state that goes away,
 * and a block Python did not count would upset sys.getallocatedblocks() when freed as an
 * object. */
zf_buf *zf_zmtp_frame_rx_buf(zf_session *s, size_t size)
{
    zf_buf *b = s->sock->ops->take_blank(s->sock, size);
    return b ? b : zf_buf_new(size);
}

int zf_zmtp_frame_decode(zf_session *s, uint8_t *data, size_t size, int flags, zf_buf *big, int *want_out)
{
    (void)want_out; /* commands never get here: they are framed (engine's decode) */
    return zf_session_push_frame(s, data, size, big, flags & ZF_F_MORE);
}

/* One whole frame through the mechanism's decoder, devirtualized for plain framing. */
static inline int decode_whole(zf_session *s, const zf_mech *m, uint8_t *data, size_t size, int flags, zf_buf *big,
                               int *want_out)
{
    if (zf_likely(m->decode == zf_zmtp_frame_decode))
        return zf_session_push_frame(s, data, size, big, flags & ZF_F_MORE);
    return m->decode(s, data, size, flags, big, want_out);
}

void zf_zmtp_tx_failed(zf_session *s)
{
    s->tx_failed = 1;
    if (s->h.fd >= 0)
        shutdown(s->h.fd, SHUT_RDWR);
}

/* ---- inbound ---------------------------------------------------------------------------------- */

/* Past the greeting: a frame whose header (hl bytes, body size, wire flags) is at p, avail bytes
 * in rbuf. 1: consumed, 0: wait (more bytes, or the HWM), -1: the connection is gone. */
static int decode_frame(zf_session *s, uint8_t *p, size_t avail, size_t hl, int flags, uint64_t size,
                        int *want_out)
{
    const zf_mech *m = s->mech;
    if ((flags & ZF_F_COMMAND) && m->framed_commands) {
        if (size > ZF_CMD_MAX) {
            zf_session_lost(s);
            return -1;
        }
        if (avail - hl < size)
            return 0;
        int rc = zf_zmtp_handle_command(s, p + hl, size);
        if (rc < 0) {
            zf_session_lost(s);
            return -1;
        }
        *want_out |= rc;
        s->rpos += hl + size;
        return 1;
    }
    /* MAXMSGSIZE bounds the frame as it travels (a box included), as libzmq's decoder does */
    if (!s->pipe || (s->opts.maxmsgsize >= 0 && size > (uint64_t)s->opts.maxmsgsize)) {
        zf_session_lost(s);
        return -1;
    }
    /* checked before decoding: a frame cannot wait in rbuf once opened (a CURVE nonce would be
     * seen twice) */
    if (!s->rx_mid && !zf_pipe_check_write(s->pipe, 1)) {
        zf_session_pause_rx(s);
        return 0;
    }
    if (size <= ZF_INLINE_MAX + m->overhead) {
        s->rx_bigs = 0;
        if (avail - hl < size)
            return 0; /* read_in compacts rbuf when it is full */
        if (decode_whole(s, m, p + hl, (size_t)size, flags, NULL, want_out) < 0) {
            zf_session_lost(s);
            return -1;
        }
        s->rpos += hl + (size_t)size;
        return 1;
    }
    /* A large frame: give it its own buffer and read the rest straight into it. */
    zf_buf *b = size <= (uint64_t)SIZE_MAX / 2 ? m->rx_buf(s, (size_t)size) : NULL;
    if (!b) {
        zf_session_lost(s);
        return -1;
    }
    size_t have = avail - hl < size ? avail - hl : (size_t)size;
    memcpy(b->data, p + hl, have);
    s->rpos += hl + have;
    if (have == size) {
        if (decode_whole(s, m, b->data, (size_t)size, flags, b, want_out) < 0) {
            zf_session_lost(s);
            return -1;
        }
        return s->h.fd >= 0 ? 1 : -1;
    }
    s->rx_bigs = 1;
    s->rx_big = b;
    s->rx_size = size;
    s->rx_got = have;
    s->rx_flags = flags;
    return 0;
}

/* Decode what the read buffer holds. Stops at an incomplete frame, at HWM, or on error (after
 * which the session may be gone: callers check s->h.fd). */
static void zmtp_decode(zf_session *s)
{
    int want_out = 0;
    while (s->h.fd >= 0 && s->rpos < s->rlen && !s->rx_paused) {
        uint8_t *p = s->rbuf + s->rpos;
        size_t avail = s->rlen - s->rpos;
        if (s->state == S_GREETING) {
            int major, minor;
            char mech[21];
            int rc = zf_zmtp_parse_greeting(p, avail, &major, &minor, mech);
            if (rc < 0) {
                zf_session_lost(s);
                return;
            }
            if (rc > 0)
                break;
            if (strcmp(mech, s->mech->name) != 0) {
                zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZF_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
                zf_session_lost(s);
                return;
            }
            s->peer_minor = minor;
            s->rpos += ZF_GREETING_SIZE;
            s->state = S_HANDSHAKE;
            if (!s->hs_early && s->mech->start(s) < 0) {
                zf_session_lost(s);
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
            if (s->hs == ZF_HS_ZAP)
                break; /* the rest waits for the handler's answer */
            if (!(flags & ZF_F_COMMAND) || size > ZF_CMD_MAX) {
                zf_session_lost(s); /* data before READY */
                return;
            }
            if (avail - hl < size)
                break;
            int rc = handshake_command(s, p + hl, size);
            if (rc < 0) {
                zf_session_lost(s);
                return;
            }
            s->rpos += hl + size;
            want_out = 1;
            if (rc == 0)
                continue;
            if (zf_zmtp_handshake_done(s) < 0) {
                zf_session_destroy(s);
                return;
            }
            continue;
        }
        int rc = decode_frame(s, p, avail, hl, flags, size, &want_out);
        if (rc < 0)
            return;
        if (rc == 0)
            break;
    }
    if (s->h.fd >= 0 && s->rpos == s->rlen)
        s->rpos = s->rlen = 0;
    if (s->rx_dirty && s->pipe) {
        s->rx_dirty = 0;
        zf_pipe_wake_peer(s->pipe, 1);
    }
    if (want_out && s->h.fd >= 0)
        zf_session_flush(s);
}

static void zmtp_read_in(zf_session *s)
{
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
                iov[1].iov_len = s->rx_bigs ? 4096 : ZF_RBUF_SIZE;
                cnt = 2;
            }
            n = zf_sys_recvv(s->h.fd, iov, cnt);
            if (n > 0) {
                s->hb_deadline = s->ttl_deadline = 0; /* any traffic proves the peer alive */
                size_t body = (size_t)n < left ? (size_t)n : left;
                int drained = (size_t)n < left + (cnt == 2 ? iov[1].iov_len : 0);
                s->rx_got += body;
                if (cnt == 2)
                    s->rlen = (size_t)n - body;
                if (s->rx_got == s->rx_size) {
                    zf_buf *b = s->rx_big;
                    int want_out = 0;
                    s->rx_big = NULL;
                    if (decode_whole(s, s->mech, b->data, (size_t)s->rx_size, s->rx_flags, b, &want_out) < 0) {
                        zf_session_lost(s);
                        return;
                    }
                    if (want_out)
                        zf_session_flush(s); /* a PONG (only a CURVE peer padding its PINGs gets here) */
                    zmtp_decode(s); /* wakes the socket */
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
            if (s->rlen == ZF_RBUF_SIZE) {
                zf_session_lost(s); /* cannot happen with frames bounded as in decode() */
                return;
            }
            size_t want = ZF_RBUF_SIZE - s->rlen;
            if (s->rx_bigs && want > 4096)
                want = 4096; /* a large body will follow the header: read it straight into its buffer */
            n = zf_sys_recv(s->h.fd, s->rbuf + s->rlen, want);
            if (n > 0) {
                s->hb_deadline = s->ttl_deadline = 0; /* any traffic proves the peer alive */
                s->rlen += (size_t)n;
                zmtp_decode(s);
                if ((size_t)n < want)
                    return; /* short read: the kernel buffer is empty */
                continue;
            }
        }
        if (n == 0) {
            errno = EPIPE;
            lost_in_handshake(s);
            zf_session_lost(s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            lost_in_handshake(s);
            zf_session_lost(s);
        }
        return;
    }
}

/* ---- outbound (also the application thread: direct transmit) ---------------------------------- */

/* Control frames (PING, PONG) waiting in ctl, each as the mechanism encodes a command: all of
 * them or none. Not while a large frame's body is going out: wbuf is written ahead of it. */
static void take_ctl_now(zf_session *s)
{
    const zf_mech *m = s->mech;
    size_t need = 0, off, h;
    int f;
    uint64_t size;
    if (s->tx_big)
        return;
    for (off = 0; off < s->ctl_len; off += h + (size_t)size) {
        h = zf_zmtp_get_header(s->ctl + off, s->ctl_len - off, &f, &size);
        if (!h || size > s->ctl_len - off - h) {
            s->ctl_len = 0; /* cannot happen: zf_zmtp_queue_ctl's callers wrote whole frames */
            return;
        }
        need += m->span((size_t)size);
    }
    if (s->wlen + need > ZF_WBUF_SIZE)
        return;
    for (off = 0; off < s->ctl_len; off += h + (size_t)size) {
        h = zf_zmtp_get_header(s->ctl + off, s->ctl_len - off, &f, &size);
        if (put(s, m, NULL, 0, s->ctl + off + h, (size_t)size, ZF_F_COMMAND) != 0)
            break;
    }
    s->ctl_len = 0;
}

/* Called after every message: the common case (nothing waiting) costs a test. */
static inline void take_ctl(zf_session *s)
{
    if (zf_unlikely(s->ctl_len))
        take_ctl_now(s);
}

/* A subscription record, in the form the peer reads: a SUBSCRIBE/CANCEL command to a ZMTP 3.1
 * peer where commands are framed, otherwise a message starting with 0x01/0x00 (3.0 peers, and
 * inside CURVE boxes). 1: done (or nothing for the wire), 0: no room in wbuf, -1: failed. */
static int encode_sub(zf_session *s, zf_rec *r)
{
    if (r->aux != ZF_AUX_SUBSCRIBE && r->aux != ZF_AUX_CANCEL)
        return 1; /* nothing for the wire */
    int sub = r->aux == ZF_AUX_SUBSCRIBE;
    size_t tl = (size_t)r->size;
    uint8_t pre[10];
    size_t prel;
    int cmd = s->mech->framed_commands && s->peer_minor >= 1;
    if (cmd) {
        prel = 1 + (sub ? 9 : 6);
        pre[0] = sub ? 9 : 6;
        memcpy(pre + 1, sub ? "SUBSCRIBE" : "CANCEL", prel - 1);
    } else {
        prel = 1;
        pre[0] = (uint8_t)sub;
    }
    int rc = put(s, s->mech, pre, prel, zf_rec_data(r), tl, cmd ? ZF_F_COMMAND : 0);
    return rc < 0 ? -1 : rc == 0;
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

/* Encode queued records into the write buffer until it is full, a large frame is next (its
 * body goes out from its own buffer, tx_big), or encoding failed. One indirect call per frame
 * (the mechanism's put, which also checks the room), none per byte. */
static void zmtp_fill(zf_session *s)
{
    const zf_mech *m = s->mech;
    zf_pipe *p = s->pipe;
    zf_queue *q = &p->q[0];
    if (!s->tx_mid)
        take_ctl(s);
    while (!s->tx_big && !s->tx_failed) {
        zf_rec *r = zf_session_next_rec(s, q);
        if (!r)
            return;
        int more = r->flags & ZF_REC_MORE;
        if (r->flags & ZF_REC_CMD) {
            if (encode_sub(s, r) <= 0)
                return; /* no room: flush first (or failed) */
            zf_queue_drop(q, r);
            zf_pipe_msg_read(p, 1);
            continue;
        }
        if (drop_rec(s, r, more))
            continue;
        size_t size = (size_t)r->size;
        int flags = more ? ZF_F_MORE : 0;
        if (size <= ZF_INLINE_MAX) {
            if (put(s, m, NULL, 0, zf_rec_data(r), size, flags) != 0)
                return; /* no room: flush first (or failed) */
            zf_queue_drop(q, r);
        } else {
            int took = m->put_big(s, r, flags);
            if (took < 0)
                return;
            if (took)
                zf_queue_pop(q, r); /* its buffer is tx_big now */
            else
                zf_queue_drop(q, r);
        }
        s->tx_mid = more;
        if (!more) {
            zf_pipe_msg_read(p, 1);
            take_ctl(s);
        }
    }
}

static void zmtp_lost(zf_session *s)
{
    s->tx_failed = 0;
}

const zf_engine zf_engine_zmtp = {
    .connected = zmtp_connected,
    .read_in = zmtp_read_in,
    .decode = zmtp_decode,
    .fill = zmtp_fill,
    .lost = zmtp_lost,
};
