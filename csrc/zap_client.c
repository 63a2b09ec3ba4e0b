/* zap_client.c: see zap_client.h. */
#include "zap_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech.h"
#include "mech_plain.h"
#include "zap.h"
#include "zmtp.h"

void zf_zap_cancel(zf_session *s)
{
    if (s->zap) {
        zf_zap_close(s->zap);
        s->zap = NULL;
    }
    free(s->zap_props);
    s->zap_props = NULL;
    s->zap_props_len = 0;
}

int zf_zap_ask(zf_session *s, const char *mechanism, const uint8_t *const *cred, const size_t *cl, int n)
{
    char addr[64];
    int err = 0;
    zf_session_peer_address(s, addr, sizeof addr);
    s->zap = zf_zap_request(s->sock->ctx, &s->opts, mechanism, addr, cred, cl, n, zf_session_pipe_wake,
                            s->io, s, &err);
    if (!s->zap)
        return err;
    s->hs = ZF_HS_ZAP;
    return 0;
}

void zf_zap_answered(zf_session *s)
{
    zf_zap_reply r;
    int rc = zf_zap_read_reply(s->zap, &r);
    if (rc == 0)
        return;
    zf_zap_close(s->zap);
    s->zap = NULL;
    if (rc < 0) { /* a handler that answers nonsense or goes away fails the handshake */
        zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZF_PROTOCOL_ERROR_ZAP_UNSPECIFIED);
        zf_session_lost(s);
        return;
    }
    if (r.status != 200) {
        /* Refused: the peer learns the status code in an ERROR, and we hang up. */
        char reason[4];
        snprintf(reason, sizeof reason, "%d", r.status);
        free(r.meta);
        zf_mech_fail(s, ZF_EVENT_HANDSHAKE_FAILED_AUTH, r.status);
        if (zf_mech_sent(s, zf_zmtp_error(s->wbuf + s->wlen, ZF_WBUF_SIZE - s->wlen, reason)) == 0)
            zf_session_flush(s);
        if (!s->dead && s->h.fd >= 0)
            zf_session_lost(s);
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
    if (s->mech->zap_approved(s) < 0) {
        zf_session_lost(s);
        return;
    }
    s->engine->decode(s); /* what the peer sent meanwhile; it also flushes our answer */
    if (!s->dead && s->h.fd >= 0)
        zf_session_flush(s);
}
