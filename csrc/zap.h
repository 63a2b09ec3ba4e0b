/* zap.h: asking the context's ZAP handler (RFC 27) whether a peer may connect.
 *
 * The handler is whatever socket the application bound at inproc://zeromq.zap.01 (usually a REP
 * in one of zmqfast.auth's authenticators). A session that needs an answer opens a pipe of its
 * own to that socket, one per handshake: end 0 is the session's, in the I/O thread; end 1 is the
 * handler's, attached like any inproc peer. The request and the reply are ordinary messages, so
 * neither side needs a lock beyond the inproc table lookup, and the I/O thread never blocks: the
 * reply wakes it through end 0's waker like any pipe. */
#ifndef ZF_ZAP_H
#define ZF_ZAP_H

#include "ctx_link.h"
#include "options.h"
#include "pipe.h"

#define ZF_ZAP_ENDPOINT "zeromq.zap.01"

typedef struct zf_zap_reply {
    int status; /* 200, 300, 400 or 500 */
    uint8_t user_id[255];
    size_t user_id_len;
    uint8_t *meta; /* the handler's metadata (properties, wire form), malloc'd, or NULL */
    size_t meta_len;
} zf_zap_reply;

/* Send a request for a peer at peer_addr, speaking mechanism, with credentials cred[0..ncred),
 * to the handler c's inproc table holds (asked through c's ops: ctx_link.h).
 * wake/wake_arg/owner: how end 0 of the new pipe wakes its owner. Returns the pipe (the caller's
 * reference), or NULL with *err = -ECONNREFUSED (no handler bound) or -ENOMEM. */
zf_pipe *zf_zap_request(zf_ctx_link *c, const zf_opts *o, const char *mechanism, const char *peer_addr,
                        const uint8_t *const *cred, const size_t *cred_len, int ncred,
                        void (*wake)(void *, zf_pipe *, int), void *wake_arg, void *owner, int *err);
/* The reply, if it has come: 1 with *r filled (free r->meta), 0 not yet, -EPROTO when it is
 * malformed or the handler went away. */
int zf_zap_read_reply(zf_pipe *p, zf_zap_reply *r);
/* Done with the request, answered or not: the handler sees the pipe closed. */
void zf_zap_close(zf_pipe *p);

#endif
