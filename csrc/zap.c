/* zap.c: the ZAP client side of RFC 27 (see zap.h). */
#include "zap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zmtp.h"

static int put(zf_queue *q, const void *data, size_t len, int more)
{
    return zf_queue_put(q, data, len, more ? ZF_REC_MORE : 0);
}

zf_pipe *zf_zap_request(zf_ctx_link *c, const zf_opts *o, const char *mechanism, const char *peer_addr,
                        const uint8_t *const *cred, const size_t *cred_len, int ncred,
                        void (*wake)(void *, zf_pipe *, int), void *wake_arg, void *owner, int *err)
{
    zf_pipe *p = zf_pipe_new(0, 0);
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    p->end[0].owner = owner;
    p->end[0].waker.wake = wake;
    p->end[0].waker.arg = wake_arg;
    /* The request is written before the handler can see the pipe, so its first read finds it.
     * The empty first frame is the envelope delimiter a REP handler expects from a peer. */
    zf_queue *q = &p->q[0];
    int rc = put(q, "", 0, 1);
    rc |= put(q, "1.0", 3, 1);
    rc |= put(q, "1", 1, 1); /* request id: one request per pipe, so any constant will do */
    rc |= put(q, o->zap_domain, o->zap_domain_len, 1);
    rc |= put(q, peer_addr, strlen(peer_addr), 1);
    rc |= put(q, o->identity, o->identity_len, 1);
    rc |= put(q, mechanism, strlen(mechanism), ncred > 0);
    for (int i = 0; i < ncred; i++)
        rc |= put(q, cred[i], cred_len[i], i + 1 < ncred);
    if (rc < 0) {
        zf_pipe_unref(p);
        *err = -ENOMEM;
        return NULL;
    }
    zf_pipe_commit(p, 0);
    /* Parked from the start: the reply's commit must wake us. */
    atomic_store(p->end[0].waker.parked, 1);
    *err = c->ops->inproc_attach_io(c, ZF_ZAP_ENDPOINT, p, ZF_DEALER);
    if (*err < 0) {
        zf_pipe_owner_clear(p, 0);
        zf_pipe_unref(p);
        return NULL;
    }
    zf_pipe_wake_peer(p, 0);
    return p;
}

/* The frames of the reply, in order: delimiter, version, request id, status, text, user id,
 * metadata. */
enum { F_DELIM, F_VERSION, F_ID, F_STATUS, F_TEXT, F_USER, F_META, NFRAMES };

int zf_zap_read_reply(zf_pipe *p, zf_zap_reply *r)
{
    zf_queue *q = zf_pipe_inq(p, 0);
    zf_rec *rec = zf_queue_peek(q);
    if (!rec)
        return 0;
    const uint8_t *data[NFRAMES];
    size_t len[NFRAMES];
    int n = 0, bad = 0, more = 1;
    /* A committed message is whole (queue.h): read it to its end, keeping the records until
     * the fields are copied out. */
    zf_rec *first = rec;
    while (rec && more) {
        if (rec->flags & ZF_REC_DELIM)
            return -EPROTO; /* the handler closed without answering */
        more = rec->flags & ZF_REC_MORE;
        if (!(rec->flags & ZF_REC_CMD)) {
            if (n < NFRAMES) {
                data[n] = rec->external ? zf_rec_ext_of(rec)->data : zf_rec_data(rec);
                len[n] = (size_t)rec->size;
            }
            n++;
        }
        rec = more ? zf_queue_peek_after(q, rec) : NULL;
    }
    if (more)
        return -EPROTO; /* cannot happen: commits are per whole message */
    if (n != NFRAMES || len[F_DELIM] != 0 || len[F_VERSION] != 3 || memcmp(data[F_VERSION], "1.0", 3) ||
        len[F_ID] != 1 || data[F_ID][0] != '1' || len[F_STATUS] != 3 || len[F_USER] > 255)
        bad = 1;
    if (!bad) {
        const uint8_t *c = data[F_STATUS];
        r->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
        if ((r->status != 200 && r->status != 300 && r->status != 400 && r->status != 500) ||
            c[1] != '0' || c[2] != '0')
            bad = 1;
    }
    if (!bad && zf_zmtp_parse_metadata(data[F_META], len[F_META], NULL, NULL) < 0)
        bad = 1;
    if (!bad) {
        r->user_id_len = len[F_USER];
        memcpy(r->user_id, data[F_USER], len[F_USER]);
        r->meta = NULL;
        r->meta_len = 0;
        if (len[F_META]) {
            r->meta = malloc(len[F_META]);
            if (r->meta) {
                memcpy(r->meta, data[F_META], len[F_META]);
                r->meta_len = len[F_META];
            }
        }
    }
    /* consume the message */
    more = 1;
    for (rec = first; rec && more; rec = zf_queue_peek(q)) {
        more = rec->flags & ZF_REC_MORE;
        zf_queue_drop(q, rec);
    }
    zf_pipe_msg_read(p, 0);
    return bad ? -EPROTO : 1;
}

void zf_zap_close(zf_pipe *p)
{
    zf_pipe_owner_clear(p, 0); /* a wake-up still in flight finds nobody to kick */
    zf_pipe_close_end(p, 0);
    zf_pipe_unref(p);
}
