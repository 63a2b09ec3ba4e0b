/* zap_client.h: a session asking the ZAP handler about its peer (RFC 27), on zap.h's request
 * pipe. The answer wakes the session like its own pipe does (zf_session_kick). I/O thread only. */
#ifndef ZF_ZAP_CLIENT_H
#define ZF_ZAP_CLIENT_H

#ifndef ZF_SESSION_INTERNAL
#define ZF_SESSION_INTERNAL
#endif
#include "session.h"

/* Ask about this peer (mechanism's name, its credentials). 0: asked (s->hs is ZF_HS_ZAP
 * until the answer), -ECONNREFUSED: no handler bound, or another negative errno. */
int zf_zap_ask(zf_session *s, const char *mechanism, const uint8_t *const *cred, const size_t *cl, int n);
/* The handler's reply may have come: go on with the handshake, or refuse the peer. */
void zf_zap_answered(zf_session *s);
/* Forget any request in flight and what an earlier answer said. */
void zf_zap_cancel(zf_session *s);

#endif
