/* mech_plain.c: the PLAIN mechanism (RFC 24): its commands as pure functions (mech_plain.h),
 * then the mechanism itself. The client sends HELLO with a user name and a password in clear
 * text; the server asks ZAP (PLAIN without a handler admits nobody, as libzmq 4.3), answers
 * WELCOME; INITIATE and READY then carry the metadata as NULL's READY does. Traffic is plain
 * ZMTP framing. */
#include "mech_plain.h"

#include <errno.h>
#include <string.h>

#include "mech.h"
#include "zap_client.h"
#include "zmtp.h"

long zf_plain_hello(uint8_t *out, size_t cap, const uint8_t *user, size_t ul, const uint8_t *pass,
                    size_t pl)
{
    uint8_t body[2 + 255 + 255];
    if (ul > 255 || pl > 255)
        return -EINVAL;
    body[0] = (uint8_t)ul;
    memcpy(body + 1, user, ul);
    body[1 + ul] = (uint8_t)pl;
    memcpy(body + 2 + ul, pass, pl);
    return zf_zmtp_command_frame(out, cap, "HELLO", body, 2 + ul + pl);
}

int zf_plain_parse_hello(const uint8_t *body, size_t len, const uint8_t **user, size_t *ul,
                         const uint8_t **pass, size_t *pl)
{
    /* Exactly [len][name][len][password]: trailing bytes are as wrong as missing ones. */
    if (len < 2 || (size_t)body[0] + 2 > len)
        return -EPROTO;
    *ul = body[0];
    *user = body + 1;
    *pl = body[1 + *ul];
    *pass = body + 2 + *ul;
    if (2 + *ul + *pl != len)
        return -EPROTO;
    return 0;
}

long zf_zmtp_error(uint8_t *out, size_t cap, const char *reason)
{
    size_t rl = strlen(reason);
    uint8_t body[256];
    if (rl > 255)
        rl = 255;
    body[0] = (uint8_t)rl;
    memcpy(body + 1, reason, rl);
    return zf_zmtp_command_frame(out, cap, "ERROR", body, 1 + rl);
}

int zf_zmtp_error_status(const uint8_t *body, size_t len)
{
    if (len != 4 || body[0] != 3)
        return 0;
    const uint8_t *c = body + 1;
    if (c[0] < '3' || c[0] > '5' || c[1] < '0' || c[1] > '9' || c[2] < '0' || c[2] > '9')
        return 0;
    return (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
}

/* ---- the mechanism ---------------------------------------------------------------------------- */

/* The command awaited next (s->hs). */
enum {
    HS_READY = 1, /* READY: a client after its INITIATE */
    HS_WELCOME,   /* client: WELCOME after our HELLO */
    HS_HELLO,     /* server: the client's HELLO */
    HS_INITIATE,  /* server: INITIATE after our WELCOME */
};

static int plain_start(zf_session *s)
{
    if (s->opts.as_server) {
        s->hs = HS_HELLO;
        return 0;
    }
    s->hs = HS_WELCOME;
    return zf_mech_sent(s, zf_plain_hello(s->wbuf + s->wlen, ZF_WBUF_SIZE - s->wlen, s->opts.plain_user,
                                          s->opts.plain_user_len, s->opts.plain_pass, s->opts.plain_pass_len));
}

static int plain_command(zf_session *s, uint8_t *body, size_t len, const uint8_t *name, size_t nl,
                         const uint8_t *data, size_t dl)
{
    (void)body, (void)len;
    switch (s->hs) {
    case HS_READY:
        if (!zf_zmtp_is_command(name, nl, "READY") || zf_mech_take_metadata(s, data, dl) < 0)
            return -1;
        return 1;
    case HS_WELCOME:
        if (!zf_zmtp_is_command(name, nl, "WELCOME"))
            return -1;
        s->hs = HS_READY;
        return zf_mech_send_ready(s, "INITIATE");
    case HS_HELLO: {
        const uint8_t *cred[2];
        size_t cl[2];
        if (!zf_zmtp_is_command(name, nl, "HELLO") || zf_plain_parse_hello(data, dl, &cred[0], &cl[0], &cred[1], &cl[1]) < 0)
            return -1;
        int rc = zf_zap_ask(s, "PLAIN", cred, cl, 2);
        if (rc == -ECONNREFUSED) /* PLAIN without a handler admits nobody, as libzmq 4.3 */
            zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT);
        return rc < 0 ? -1 : 0;
    }
    case HS_INITIATE:
        if (!zf_zmtp_is_command(name, nl, "INITIATE") || zf_mech_take_metadata(s, data, dl) < 0)
            return -1;
        if (zf_mech_send_ready(s, "READY") < 0)
            return -1;
        return 1;
    default:
        return -1;
    }
}

static int plain_zap_approved(zf_session *s)
{
    s->hs = HS_INITIATE;
    return zf_mech_sent(s, zf_zmtp_command_frame(s->wbuf + s->wlen, ZF_WBUF_SIZE - s->wlen, "WELCOME", NULL, 0));
}

const zf_mech zf_mech_plain = {
    .name = "PLAIN",
    .greeting_as_server = 1,
    .framed_commands = 1,
    .start = plain_start,
    .command = plain_command,
    .zap_approved = plain_zap_approved,
    .span = zf_zmtp_frame_span,
    .put = zf_zmtp_frame_put,
    .put_big = zf_zmtp_frame_put_big,
    .rx_buf = zf_zmtp_frame_rx_buf,
    .decode = zf_zmtp_frame_decode,
};
