/* mech_curve.c: the CURVE mechanism (ZMTP-CURVE, RFC 25/26), on the codec of curve.c (which is
 * pure: every box is opened and sealed there, over vendored libsodium behind crypto.h).
 *
 * The handshake: HELLO, WELCOME, INITIATE (the client's metadata, then ZAP on the server), READY,
 * each in a command frame. Then every frame either way is one MESSAGE box in a data frame with
 * no flags outside: MORE, and COMMAND for PING/PONG, travel inside the box; subscriptions go as
 * 0x01/0x00 messages. Boxes are opened where they were read (rbuf, or a large frame's own
 * buffer, which the message then keeps) and sealed into wbuf, or into a scratch buffer kept for
 * large frames. */
#include "mech.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "curve.h"
#include "zap_client.h"
#include "zmtp.h"

/* The session's mech_state: made on the first connection, kept (wiped) across reconnections. */
typedef struct curve_state {
    zf_curve c;
    zf_buf *scratch; /* where frames too large for wbuf are boxed (grown only for a larger frame) */
} curve_state;

#define CV(s) ((curve_state *)(s)->mech_state)

/* The command awaited next (s->hs). */
enum {
    HS_HELLO = 1, /* server: the client's HELLO */
    HS_INITIATE,  /* server: INITIATE after our WELCOME */
    HS_WELCOME,   /* client: WELCOME after our HELLO */
    HS_READY,     /* client: READY after our INITIATE */
};

/* A new connection: new transient keys (the client's now, the server's on a valid HELLO). */
static int curve_begin(zf_session *s)
{
    if (!s->mech_state && !(s->mech_state = calloc(1, sizeof(curve_state))))
        return -ENOMEM;
    zf_curve *c = &CV(s)->c;
    if (s->opts.as_server)
        return zf_curve_server_init(c, s->opts.curve_public, s->opts.curve_secret);
    return zf_curve_client_init(c, s->opts.curve_server, s->opts.curve_public, s->opts.curve_secret);
}

static void curve_lost(zf_session *s)
{
    if (s->mech_state)
        zf_curve_wipe(&CV(s)->c);
}

static void curve_destroy(zf_session *s)
{
    curve_state *st = s->mech_state;
    if (!st)
        return;
    zf_curve_wipe(&st->c);
    if (st->scratch)
        zf_buf_unref(st->scratch);
    free(st);
    s->mech_state = NULL;
}

/* ---- handshake ------------------------------------------------------------------------------ */

/* Handshake commands are built past the longest frame header, then moved up against the header
 * they need. The handshake writes into a nearly empty wbuf, so there is always room. */
static uint8_t *cmd_space(zf_session *s, size_t *cap)
{
    *cap = ZF_WBUF_SIZE - s->wlen - 9;
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

static int curve_failed(zf_session *s, int rc, int64_t malformed)
{
    zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                 rc == -EBADMSG || rc == -EACCES ? ZF_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC : malformed);
    return -1;
}

static int curve_start(zf_session *s)
{
    if (s->opts.as_server) {
        s->hs = HS_HELLO;
        return 0;
    }
    size_t cap;
    uint8_t *o = cmd_space(s, &cap);
    s->hs = HS_WELCOME;
    return cmd_done(s, zf_curve_hello(&CV(s)->c, o, cap));
}

static int send_ready(zf_session *s)
{
    uint8_t frame[512];
    size_t ml, cap;
    const uint8_t *meta = zf_mech_own_properties(s, frame, &ml);
    uint8_t *o = cmd_space(s, &cap);
    return cmd_done(s, zf_curve_ready(&CV(s)->c, o, cap, meta, ml));
}

/* cmd: the whole frame payload, in rbuf, decrypted in place. */
static int curve_command(zf_session *s, uint8_t *cmd, size_t len, const uint8_t *name, size_t nl,
                         const uint8_t *data, size_t dl)
{
    static const char *const want[] = {
        [HS_HELLO] = "HELLO", [HS_INITIATE] = "INITIATE", [HS_WELCOME] = "WELCOME", [HS_READY] = "READY"};
    zf_curve *c = &CV(s)->c;
    const uint8_t *meta;
    size_t ml, cap;
    uint8_t frame[512];
    uint8_t *o;
    int rc;
    (void)data, (void)dl;
    if (s->hs < HS_HELLO || s->hs > HS_READY)
        return -1;
    if (!zf_zmtp_is_command(name, nl, want[s->hs])) {
        zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZF_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        return -1;
    }
    switch (s->hs) {
    case HS_HELLO:
        if ((rc = zf_curve_server_hello(c, cmd, len)) < 0)
            return curve_failed(s, rc, ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        s->hs = HS_INITIATE;
        o = cmd_space(s, &cap);
        return cmd_done(s, zf_curve_welcome(c, o, cap));
    case HS_WELCOME:
        if ((rc = zf_curve_client_welcome(c, cmd, len)) < 0)
            return curve_failed(s, rc, ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME);
        s->hs = HS_READY;
        meta = zf_mech_own_properties(s, frame, &ml);
        o = cmd_space(s, &cap);
        return cmd_done(s, zf_curve_initiate(c, o, cap, meta, ml));
    case HS_INITIATE: {
        if ((rc = zf_curve_server_initiate(c, cmd, len, &meta, &ml)) < 0)
            return curve_failed(s, rc, ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE);
        if (zf_mech_take_metadata(s, meta, ml) < 0)
            return -1;
        /* ZAP hears the client's permanent key, raw, as libzmq sends it */
        const uint8_t *cred = c->peer_pk;
        size_t cl = sizeof c->peer_pk;
        rc = zf_zap_ask(s, "CURVE", &cred, &cl, 1);
        if (rc == 0)
            return 0;
        if (rc != -ECONNREFUSED)
            return -1;
        /* No handler bound: encryption without authentication, as libzmq 4.3. (ZAP_ENFORCE_DOMAIN
         * does not apply here: libzmq enforces it under NULL only, and so does mech_null.c.) */
        return send_ready(s) < 0 ? -1 : 1;
    }
    case HS_READY:
        if ((rc = zf_curve_client_ready(c, cmd, len, &meta, &ml)) < 0)
            return curve_failed(s, rc, ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY);
        return zf_mech_take_metadata(s, meta, ml) < 0 ? -1 : 1;
    default:
        return -1;
    }
}

/* Approved: INITIATE was the client's last word, READY ours. */
static int curve_zap_approved(zf_session *s)
{
    return send_ready(s) < 0 ? -1 : zf_zmtp_handshake_done(s);
}

/* ---- traffic, outbound: boxed into wbuf, or into the scratch buffer when large --------------- */

static size_t boxed_span(size_t len)
{
    size_t b = ZF_CURVE_MESSAGE_MIN + len;
    return (b <= 255 ? 2 : 9) + b;
}

static int curve_flags(int zmtp_flags)
{
    return (zmtp_flags & ZF_F_MORE ? ZF_CURVE_MORE : 0) | (zmtp_flags & ZF_F_COMMAND ? ZF_CURVE_COMMAND : 0);
}

/* The scratch buffer, at least n bytes. Not in flight: fill runs only without tx_big. */
static zf_buf *scratch(zf_session *s, size_t n)
{
    curve_state *st = CV(s);
    if (st->scratch && st->scratch->size >= n)
        return st->scratch;
    zf_buf *b = zf_buf_new(n < ZF_WBUF_SIZE ? ZF_WBUF_SIZE : n);
    if (!b)
        return NULL;
    if (st->scratch)
        zf_buf_unref(st->scratch);
    st->scratch = b;
    return b;
}

/* One frame boxed at the end of wbuf, if it fits (1: it does not). A prefix (a subscription's
 * 0x01/0x00) is joined to the data in the scratch buffer first: the box takes one piece. */
static int curve_put(zf_session *s, const uint8_t *pre, size_t prel, const uint8_t *data, size_t len, int flags)
{
    if (s->wlen + boxed_span(prel + len) > ZF_WBUF_SIZE)
        return 1;
    if (prel) {
        zf_buf *b = scratch(s, prel + len);
        if (!b) {
            zf_zmtp_tx_failed(s);
            return -1;
        }
        memcpy(b->data, pre, prel);
        memcpy(b->data + prel, data, len);
        data = b->data;
        len += prel;
    }
    uint8_t *o = s->wbuf + s->wlen;
    size_t h = zf_zmtp_put_header(o, ZF_CURVE_MESSAGE_MIN + len, 0);
    long n = zf_curve_encode(&CV(s)->c, o + h, ZF_WBUF_SIZE - s->wlen - h, data, len, curve_flags(flags));
    if (n < 0) {
        zf_zmtp_tx_failed(s);
        return -1;
    }
    s->wlen += h + (size_t)n;
    return 0;
}

/* A large frame: boxed into the scratch buffer, which goes out as tx_big (its reference taken,
 * so that the write's release leaves it to us). The record is copied: the caller drops it. */
static int curve_put_big(zf_session *s, zf_rec *r, int flags)
{
    size_t size = (size_t)r->size;
    size_t boxed = ZF_CURVE_MESSAGE_MIN + size;
    if (s->wlen + 9 > ZF_WBUF_SIZE)
        return -1;
    zf_buf *b = scratch(s, boxed);
    long n = b ? zf_curve_encode(&CV(s)->c, b->data, b->size, zf_rec_data(r), size, curve_flags(flags)) : -ENOMEM;
    if (n < 0) {
        zf_zmtp_tx_failed(s);
        return -1;
    }
    s->wlen += zf_zmtp_put_header(s->wbuf + s->wlen, boxed, 0);
    zf_buf_ref(b);
    s->tx_big = b;
    s->tx_big_ptr = b->data;
    s->tx_big_left = boxed;
    return 0;
}

/* ---- traffic, inbound ------------------------------------------------------------------------ */

/* A frame that is no good MESSAGE: libzmq reports why (as a handshake failure, though the
 * handshake is over), and so do we before hanging up. rc: zf_curve_decode's. */
static void report_bad_box(zf_session *s, const uint8_t *cmd, size_t len, int rc)
{
    int64_t why;
    if (rc == -EBADMSG)
        why = ZF_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC;
    else if (len < 1 || (size_t)cmd[0] + 1 > len)
        why = ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED;
    else if (cmd[0] != 7 || memcmp(cmd + 1, "MESSAGE", 7) != 0)
        why = ZF_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND;
    else if (len < ZF_CURVE_MESSAGE_MIN)
        why = ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE;
    else
        why = ZF_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE; /* a nonce seen before (or reserved flags set) */
    zf_monitor_event(s->sock, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL, why, s->endpoint);
}

/* Every frame is a MESSAGE box, whatever its flags say: open it where it is, then the frame
 * inside goes to the socket, or is a ZMTP command (PING...). */
static int curve_decode(zf_session *s, uint8_t *box, size_t size, int flags, zf_buf *big, int *want_out)
{
    const uint8_t *d;
    size_t dl;
    int f;
    (void)flags;
    int rc = zf_curve_decode(&CV(s)->c, box, size, &d, &dl, &f);
    if (rc < 0) {
        report_bad_box(s, box, size, rc); /* forged, replayed or garbled: this connection goes */
        if (big)
            zf_buf_unref(big);
        return -1;
    }
    if (f & ZF_CURVE_COMMAND) {
        rc = dl <= ZF_CMD_MAX ? zf_zmtp_handle_command(s, d, dl) : 0;
        if (big)
            zf_buf_unref(big);
        if (rc < 0)
            return -1;
        *want_out |= rc;
        return 0;
    }
    return zf_session_push_frame(s, d, dl, big, f & ZF_CURVE_MORE);
}

/* Plain malloc: a buffer the binding made ahead (zf_sock_take_blank) is sized for a frame's
 * data, and the message keeps this one with the data inside the box. */
static zf_buf *curve_rx_buf(zf_session *s, size_t size)
{
    (void)s;
    return zf_buf_new(size);
}

const zf_mech zf_mech_curve = {
    .name = "CURVE",
    .greeting_as_server = 0,
    .framed_commands = 0,
    .overhead = ZF_CURVE_MESSAGE_MIN,
    .begin = curve_begin,
    .start = curve_start,
    .command = curve_command,
    .zap_approved = curve_zap_approved,
    .span = boxed_span,
    .put = curve_put,
    .put_big = curve_put_big,
    .rx_buf = curve_rx_buf,
    .decode = curve_decode,
    .lost = curve_lost,
    .destroy = curve_destroy,
};
