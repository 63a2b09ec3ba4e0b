/* mech_null.c: the NULL mechanism (RFC 23): each side sends READY with its metadata. The server
 * asks ZAP only when the socket names a ZAP domain (libzmq's rule, kept for old code). Traffic
 * is plain ZMTP framing. */
#include "mech.h"

#include <errno.h>

#include "zap_client.h"
#include "zmtp.h"

enum { HS_READY = 1 };

static int null_start(zf_session *s)
{
    if (s->opts.zap_domain_len) {
        int rc = zf_zap_ask(s, "NULL", NULL, NULL, 0);
        if (rc == 0)
            return 0;
        if (rc == -ECONNREFUSED && s->opts.zap_enforce_domain) {
            /* ZAP_ENFORCE_DOMAIN: a domain with no handler to ask admits nobody (libzmq) */
            zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT);
            return -1;
        }
        if (rc != -ECONNREFUSED)
            return -1;
    }
    s->hs = HS_READY;
    return zf_mech_send_ready(s, "READY");
}

/* Accepting side: our READY says nothing the peer's greeting could change (NULL has no roles,
 * ZMTP 3.0 and 3.1 read the same READY, and older peers are refused whatever we send), so
 * unless ZAP must approve the peer first it goes out with the greeting: one write and one
 * segment per accepted connection instead of two, and one wake-up fewer for the peer. A peer
 * whose greeting is then refused (other mechanism) has read a READY it will never act on. */
static int null_start_early(zf_session *s)
{
    if (s->opts.zap_domain_len)
        return 0;
    s->hs = HS_READY;
    return zf_mech_send_ready(s, "READY") < 0 ? -1 : 1;
}

static int null_command(zf_session *s, uint8_t *body, size_t len, const uint8_t *name, size_t nl,
                        const uint8_t *data, size_t dl)
{
    (void)body, (void)len;
    if (s->hs != HS_READY || !zf_zmtp_is_command(name, nl, "READY") || zf_mech_take_metadata(s, data, dl) < 0)
        return -1;
    return 1;
}

static int null_zap_approved(zf_session *s)
{
    s->hs = HS_READY;
    return zf_mech_send_ready(s, "READY");
}

const zf_mech zf_mech_null = {
    .name = "NULL",
    .greeting_as_server = 1,
    .framed_commands = 1,
    .start = null_start,
    .start_early = null_start_early,
    .command = null_command,
    .zap_approved = null_zap_approved,
    .span = zf_zmtp_frame_span,
    .put = zf_zmtp_frame_put,
    .put_big = zf_zmtp_frame_put_big,
    .rx_buf = zf_zmtp_frame_rx_buf,
    .decode = zf_zmtp_frame_decode,
};
