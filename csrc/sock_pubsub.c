/* sock_pubsub.c: publish-subscribe.
 *  PUB:  sends each message to every subscriber whose subscriptions match its first frame
 *        (the fan-out); a subscriber at HWM misses it. Never blocks.
 *  SUB:  tells its publishers what it wants (and again after every reconnect), and filters what
 *        arrives, since a subscription may still be on its way.
 *  XPUB: a PUB that hands subscriptions to the application as messages (0x01/0x00 + topic).
 *  XSUB: a SUB whose subscriptions are sent as messages by the application.
 * Subscriptions travel as command records (ZF_AUX_SUBSCRIBE/CANCEL) in the pipes; a session turns
 * them into SUBSCRIBE/CANCEL commands for ZMTP 3.1 peers and 0x01/0x00 messages for 3.0 peers, and
 * a PUB accepts both forms from anyone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "socket.h"
#include "zmtp.h"

enum { OPT_XPUB_VERBOSE = 40, OPT_XPUB_NODROP = 69, OPT_XPUB_MANUAL = 71, OPT_XPUB_WELCOME_MSG = 72,
       OPT_XPUB_VERBOSER = 78, OPT_INVERT_MATCHING = 74 };
enum { OPT_XPUB_MANUAL_LAST_VALUE = 98, OPT_ONLY_FIRST_SUBSCRIBE = 108 };

/* INVERT_MATCHING: a message goes where the subscriptions do NOT match it (both sides set it:
 * an inverting PUB sends what a plain SUB would filter out, and the other way round). */
static inline int wanted(const zf_sock *s, const zf_subs *subs, const void *data, size_t len)
{
    return zf_subs_match(subs, data, len) != s->opts.invert_matching;
}

/* TOPICS_COUNT: distinct topics (SUB/XSUB: ours; PUB/XPUB: the subscribers'). */
static int topics_getopt(zf_sock *s, int option, void *value, size_t *len)
{
    if (option != ZF_OPT_TOPICS_COUNT)
        return -ENOTSUP;
    int64_t n = s->ps.subs.ntopics;
    memcpy(value, &n, sizeof n);
    *len = sizeof n;
    return 0;
}

/* ---- the subscriber side (SUB, XSUB) ------------------------------------------------------ */

static void send_sub_cmd(zf_sock *s, zf_pipe *p, int aux, const uint8_t *t, size_t len)
{
    int e = zf_sock_end(s, p);
    if (p->end[e].peer_gone)
        return;
    /* subscriptions never count against the data HWM and are never dropped */
    zf_queue_put_cmd(&p->q[e], aux, t, len);
    zf_pipe_commit(p, e);
    zf_pipe_wake_peer(p, e);
}

struct replay {
    zf_sock *s;
    zf_pipe *p;
};

static void replay_one(void *arg, const uint8_t *t, size_t len)
{
    struct replay *r = arg;
    send_sub_cmd(r->s, r->p, ZF_AUX_SUBSCRIBE, t, len);
}

static void replay(zf_sock *s, zf_pipe *p)
{
    struct replay r = {s, p};
    (void)zf_subs_each(&s->ps.subs, replay_one, &r); /* out of memory: the publisher misses them,
                                                    * as it would a SUBSCRIBE it cannot store */
}

/* Subscriptions go into a pipe as soon as it is attached: for a connecting socket that is at
 * connect(), so they leave with the first connection without waiting for the application.
 * Each later connection (a PEER record) gets them again: the new publisher knows nothing of us.
 * end->pat counts the PEER records to skip that first one, already served at attach. */
static void sub_attached(zf_sock *s, zf_pipe *p)
{
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    replay(s, p);
    e->pat = e->via_session ? (void *)1 : NULL;
}

static void sub_on_cmd(zf_sock *s, zf_pipe *p, zf_rec *r)
{
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    if (r->aux != ZF_AUX_PEER)
        return;
    if (e->pat == (void *)1) {
        e->pat = NULL;
        return;
    }
    replay(s, p);
}

static void sub_change(zf_sock *s, int aux, const uint8_t *t, size_t len)
{
    for (int i = 0; i < s->npipes; i++)
        send_sub_cmd(s, s->pipes[i], aux, t, len);
}

static int sub_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    if (option != ZF_OPT_SUBSCRIBE && option != ZF_OPT_UNSUBSCRIBE)
        return -ENOTSUP;
    if (len > ZF_INLINE_MAX)
        return -EINVAL;
    if (option == ZF_OPT_SUBSCRIBE) {
        int rc = zf_subs_add(&s->ps.subs, value, len);
        if (rc < 0)
            return -ENOMEM;
        if (rc == 1)
            sub_change(s, ZF_AUX_SUBSCRIBE, value, len);
    } else if (zf_subs_remove(&s->ps.subs, value, len) == 1) {
        sub_change(s, ZF_AUX_CANCEL, value, len);
    }
    return 0;
}

static int sub_recv(zf_sock *s, zf_frame *f)
{
    if (s->rx_more)
        return zf_fq_recv(s, f);
    for (;;) {
        zf_pipe *p = zf_fq_peek(s);
        if (!p)
            return -EAGAIN;
        zf_rec *r = zf_queue_peek(zf_pipe_inq(p, zf_sock_end(s, p)));
        if (!wanted(s, &s->ps.subs, zf_rec_data(r), (size_t)r->size)) {
            zf_route_skip_message(s, p); /* sent before our unsubscribe reached the publisher */
            continue;
        }
        return zf_route_recv_frame(s, p, f);
    }
}

static int sub_has_in(zf_sock *s)
{
    if (s->rx_more)
        return 1;
    for (;;) {
        zf_pipe *p = zf_fq_look(s);
        if (!p)
            return 0;
        zf_rec *r = zf_queue_peek(zf_pipe_inq(p, zf_sock_end(s, p)));
        if (wanted(s, &s->ps.subs, zf_rec_data(r), (size_t)r->size))
            return 1;
        zf_route_skip_message(s, p);
    }
}

const zf_sock_ops zf_sub_ops = {
    .reads = 1, .writes = 0,
    .attached = sub_attached,
    .recv = sub_recv,
    .has_in = sub_has_in,
    .on_cmd = sub_on_cmd,
    .setopt = sub_setopt,
    .getopt = topics_getopt,
};

/* XSUB: "\x01topic" subscribes, "\x00topic" unsubscribes; other messages go to every
 * publisher. Subscription messages travel as messages, as libzmq sends them. */
static int dist_all(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags);

static int xsub_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    const uint8_t *d = data;
    /* as libzmq: every part of a message may be a subscription, unless ONLY_FIRST_SUBSCRIBE
     * and the first part was not one */
    int first = !s->tx_more;
    if (first)
        s->ps.parts_subscribe = !s->ps.only_first_subscribe;
    if ((first || s->ps.parts_subscribe) && len >= 1 && (d[0] == 0 || d[0] == 1)) {
        s->ps.parts_subscribe = 1;
        if (d[0] == 1) {
            if (zf_subs_add(&s->ps.subs, d + 1, len - 1) < 0)
                return -ENOMEM; /* buf stays the caller's (zf_sock_send_buf) */
        } else if (zf_subs_remove(&s->ps.subs, d + 1, len - 1) != 1 && first && !(flags & ZF_SNDMORE)) {
            if (buf)
                zf_buf_unref(buf);
            return 0; /* other subscriptions to it remain */
        }
    }
    return dist_all(s, data, len, buf, flags);
}

static int xsub_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    if (option == OPT_ONLY_FIRST_SUBSCRIBE) {
        int64_t v;
        if (len != sizeof v)
            return -EINVAL;
        memcpy(&v, value, sizeof v);
        if (v < 0 || v > 0x7fffffff)
            return -EINVAL;
        s->ps.only_first_subscribe = v != 0;
        return 0;
    }
    return -ENOTSUP; /* libzmq 4.3's XSUB has no SUBSCRIBE option: subscriptions are messages */
}

/* libzmq's XSUB does not filter what arrives (its filter is SUB's alone): the publisher did. */
const zf_sock_ops zf_xsub_ops = {
    .reads = 1, .writes = 1,
    .attached = sub_attached,
    .send = xsub_send,
    .recv = zf_fq_recv,
    .has_in = zf_fq_has_in,
    .has_out = zf_lb_has_out,
    .on_cmd = sub_on_cmd,
    .setopt = xsub_setopt,
    .getopt = topics_getopt,
};

/* ---- fan-out ------------------------------------------------------------------------------ */

static int dist_grow_add(zf_sock *s, zf_pipe *p)
{
    if (s->ps.ndist == s->ps.dist_cap) {
        int cap = s->ps.dist_cap ? s->ps.dist_cap * 2 : 8;
        zf_pipe **d = realloc(s->ps.dist, (size_t)cap * sizeof *d);
        if (!d)
            return -1;
        s->ps.dist = d;
        s->ps.dist_cap = cap;
    }
    s->ps.dist[s->ps.ndist++] = p;
    return 0;
}

/* The array only grows: once it has held the fan-out, adding is a store. */
static inline int dist_add(zf_sock *s, zf_pipe *p)
{
    if (s->ps.ndist < s->ps.dist_cap) {
        s->ps.dist[s->ps.ndist++] = p;
        return 0;
    }
    return dist_grow_add(s, p);
}

/* Write one frame to every pipe in s->ps.dist. A large frame is stored once and shared. */
static int dist_put(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    int more = flags & ZF_SNDMORE;
    if (!buf && len > ZF_INLINE_MAX && s->ps.ndist > 1) {
        buf = zf_buf_new(len);
        if (!buf)
            return -ENOMEM;
        memcpy(buf->data, data, len);
        data = buf->data;
    }
    for (int i = 0; i < s->ps.ndist; i++) {
        zf_pipe *p = s->ps.dist[i];
        int e = zf_sock_end(s, p);
        if (buf)
            zf_buf_ref(buf);
        if (zf_pipe_put(p, e, data, len, buf, more) < 0 && buf)
            zf_buf_unref(buf);
        if (!more) {
            zf_pipe_commit(p, e);
            zf_pipe_wake_peer(p, e);
        }
    }
    if (buf)
        zf_buf_unref(buf);
    s->tx_more = more;
    if (!more)
        s->ps.ndist = 0;
    return 0;
}

static int dist_all(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    if (!s->tx_more) {
        s->ps.ndist = 0;
        for (int i = 0; i < s->npipes; i++) {
            zf_pipe *p = s->pipes[i];
            int e = zf_sock_end(s, p);
            if (!p->end[e].peer_gone && zf_pipe_writable(p, e) && dist_add(s, p) < 0)
                break;
        }
    }
    return dist_put(s, data, len, buf, flags);
}

/* ---- the publisher side (PUB, XPUB) -------------------------------------------------------- */

/* A subscriber's entry in the socket's trie (s->ps.subs, shared by all its pipes): the pipe end's
 * pat, owned by it from attach to detach. */
static zf_subscriber *pipe_subs(zf_sock *s, zf_pipe *p) { return p->end[zf_sock_end(s, p)].pat; }

/* A subscription message for the application (XPUB). With XPUB_MANUAL it remembers (hint,
 * referenced) the subscriber it came from: a SUBSCRIBE set on the socket after receiving it
 * applies to that subscriber. */
enum { NOTE_MORE = 1, NOTE_SUB = 2 };

static void note_queue(zf_sock *s, zf_buf *b)
{
    b->next = NULL;
    if (s->ps.notes_tail)
        s->ps.notes_tail->next = b;
    else
        s->ps.notes_head = b;
    s->ps.notes_tail = b;
}

static void note(zf_sock *s, int kind, const uint8_t *t, size_t len, zf_pipe *from)
{
    if (s->opts.type != ZF_XPUB)
        return;
    zf_buf *b = zf_buf_new(len + 1);
    if (!b)
        return;
    if (s->ps.xpub_manual && from) {
        zf_pipe_ref(from);
        b->hint = from;
    }
    b->tag = NOTE_SUB;
    b->data[0] = (uint8_t)kind;
    memcpy(b->data + 1, t, len);
    note_queue(s, b);
}

/* A message part a subscriber sent that is no subscription: libzmq's XPUB hands those to the
 * application as they came (an XSUB's upstream traffic); a PUB drops them. */
static void note_data(zf_sock *s, const uint8_t *d, size_t len, int more)
{
    if (s->opts.type != ZF_XPUB)
        return;
    zf_buf *b = zf_buf_new(len);
    if (!b)
        return;
    b->tag = more ? NOTE_MORE : 0;
    if (len)
        memcpy(b->data, d, len);
    note_queue(s, b);
}

static void subscribe(zf_sock *s, zf_pipe *p, int on, const uint8_t *t, size_t len)
{
    zf_subscriber *ps = pipe_subs(s, p);
    if (!ps)
        return;
    /* Per subscriber a topic is in or out (as in libzmq: a repeated SUBSCRIBE changes nothing,
     * one CANCEL removes it); across subscribers the trie's node knows who wants it. */
    if (s->ps.xpub_manual) { /* the application decides, through SUBSCRIBE/UNSUBSCRIBE */
        note(s, on, t, len, p);
        return;
    }
    if (on) {
        int first = zf_subs_join(&s->ps.subs, ps, t, len) == 1;
        if (first || s->ps.xpub_verbose || s->ps.xpub_verboser)
            note(s, 1, t, len, p);
    } else {
        int rc = zf_subs_leave(&s->ps.subs, ps, t, len);
        if (rc == 1 || (rc == 2 && s->ps.xpub_verboser))
            note(s, 0, t, len, p);
    }
}

static void pub_attached(zf_sock *s, zf_pipe *p)
{
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    zf_subscriber *sub = calloc(1, sizeof *sub);
    if (sub)
        sub->pipe = p; /* not referenced: the entry goes at detach, before the pipe's reference */
    e->pat = sub;
    if (s->ps.welcome && !e->via_session) {
        zf_pipe_put(p, zf_sock_end(s, p), s->ps.welcome, s->ps.welcome_len, NULL, 0);
        zf_pipe_commit(p, zf_sock_end(s, p));
        zf_pipe_wake_peer(p, zf_sock_end(s, p));
    }
}

static void topic_gone(void *arg, const uint8_t *t, size_t len) { note(arg, 0, t, len, NULL); }

static void pub_detach(zf_sock *s, zf_pipe *p)
{
    zf_pipe_end *e = &p->end[zf_sock_end(s, p)];
    zf_subscriber *ps = e->pat;
    if (!ps)
        return;
    /* the subscriber is gone: so are its subscriptions (XPUB reports the last ones); this costs
     * what it subscribed to, not the size of the trie */
    zf_subs_leave_all(&s->ps.subs, ps, topic_gone, s);
    free(ps);
    e->pat = NULL;
    /* and it leaves the fan-out of a multipart message in progress */
    for (int i = 0; i < s->ps.ndist; i++)
        if (s->ps.dist[i] == p) {
            s->ps.dist[i] = s->ps.dist[--s->ps.ndist];
            break;
        }
}

/* Apply what subscribers sent: commands, and messages of the 0x01/0x00 form. */
static void pub_read(zf_sock *s, zf_pipe *p)
{
    int e = zf_sock_end(s, p);
    zf_queue *q = zf_pipe_inq(p, e);
    zf_rec *r;
    while ((r = zf_queue_peek(q)) != NULL) {
        if (r->flags & ZF_REC_DELIM) {
            zf_queue_pop(q, r);
            p->end[e].peer_gone = 1;
            zf_sock_detach(s, p);
            return;
        }
        int more = r->flags & ZF_REC_MORE;
        if (r->flags & ZF_REC_CMD) {
            if (r->aux == ZF_AUX_SUBSCRIBE || r->aux == ZF_AUX_CANCEL)
                subscribe(s, p, r->aux == ZF_AUX_SUBSCRIBE, zf_rec_data(r), (size_t)r->size);
            else if (r->aux == ZF_AUX_PEER && s->ps.welcome) {
                zf_pipe_put(p, e, s->ps.welcome, s->ps.welcome_len, NULL, 0);
                zf_pipe_commit(p, e);
                zf_pipe_wake_peer(p, e);
            }
        } else {
            /* as libzmq: any part may be a subscription, unless ONLY_FIRST_SUBSCRIBE and the
             * first part was not one */
            int first = !s->ps.rx_more_in;
            const uint8_t *d = zf_rec_data(r);
            int is_sub = (first || s->ps.parts_subscribe) && r->size >= 1 && (d[0] == 1 || d[0] == 0);
            if (is_sub)
                subscribe(s, p, d[0] == 1, d + 1, (size_t)r->size - 1);
            else
                note_data(s, d, (size_t)r->size, more);
            if (first)
                s->ps.parts_subscribe = !s->ps.only_first_subscribe || is_sub;
        }
        s->ps.rx_more_in = more;
        zf_queue_drop(q, r);
        if (!more)
            zf_pipe_msg_read(p, e);
    }
}

/* Read subscriber input at most once per clock tick on the send path (as libzmq throttles its
 * command processing), and always when asked to. */
static void pub_scan(zf_sock *s, int force)
{
    if (!force) {
        int64_t now = zf_coarse_ms();
        if (now == s->ps.last_scan)
            return;
        s->ps.last_scan = now;
    }
    for (int i = s->npipes - 1; i >= 0; i--)
        if (i < s->npipes)
            pub_read(s, s->pipes[i]);
}

/* Choosing the fan-out: the trie is walked along the message's first frame; each subscriber
 * found is marked with this message's generation, so one subscribed to several prefixes of the
 * message (a, ab) is taken once, without a per-message pass to clear marks (a mark is a store
 * into the subscriber's entry, which the walk reads anyway; a bitmap or a sort would cost a pass
 * over all pipes or an allocation). The chosen pipes go into s->ps.dist, a per-socket array that
 * only grows (no allocation on the steady state), which the message's later frames reuse. With
 * INVERT_MATCHING the walk only marks, and the fan-out is every other pipe: O(pipes), as
 * matching is then about what is not subscribed. */
static inline void fan_take(zf_sock *s, zf_pipe *p, zf_pipe *only, int *full)
{
    int e = zf_sock_end(s, p);
    if (p->end[e].peer_gone || (only && p != only) || *full)
        return;
    if (!zf_pipe_writable(p, e)) {
        if (s->ps.xpub_nodrop)
            *full = 1;
        return; /* without NODROP: this subscriber is too slow, it misses the message */
    }
    (void)dist_add(s, p); /* out of memory: that subscriber misses it */
}

static int pub_send(zf_sock *s, const void *data, size_t len, zf_buf *buf, int flags)
{
    if (!s->tx_more) {
        pub_scan(s, 0);
        s->ps.ndist = 0;
        /* XPUB_MANUAL_LAST_VALUE: the first message after a manual subscription goes only to
         * the subscriber it was for (a last-value cache answering the newcomer) */
        zf_pipe *only = s->ps.xpub_manual && s->ps.xpub_last_value ? s->ps.manual_pipe : NULL;
        if (only)
            s->ps.manual_pipe = NULL; /* its reference goes once the fan-out is chosen */
        uint32_t gen = ++s->ps.subs.gen;
        if (gen == 0) {
            /* the generation wrapped (once in 2^32 messages): forget every mark */
            for (int i = 0; i < s->npipes; i++) {
                zf_subscriber *sub = pipe_subs(s, s->pipes[i]);
                if (sub)
                    sub->mark = 0;
            }
            gen = s->ps.subs.gen = 1;
        }
        int pick = !s->opts.invert_matching, full = 0;
        size_t pos = 0;
        for (const zf_tnode *n = s->ps.subs.root; n; n = zf_tnode_step(n, data, len, &pos)) {
            for (uint32_t i = 0; i < n->count; i++) {
                zf_subscriber *sub = n->set[i];
                if (sub->mark == gen)
                    continue;
                sub->mark = gen;
                if (pick)
                    fan_take(s, sub->pipe, only, &full);
            }
        }
        if (!pick) {
            for (int i = 0; i < s->npipes; i++) {
                zf_subscriber *sub = pipe_subs(s, s->pipes[i]);
                if (sub && sub->mark != gen)
                    fan_take(s, s->pipes[i], only, &full);
            }
        }
        if (full) {
            s->ps.ndist = 0; /* buf stays the caller's: a send that fails does not consume it */
            if (only)
                s->ps.manual_pipe = only; /* not sent: still due to that subscriber */
            return -EAGAIN;
        }
        if (only)
            zf_pipe_unref(only);
    }
    return dist_put(s, data, len, buf, flags);
}

static int pub_has_out(zf_sock *s, int arm)
{
    if (!s->ps.xpub_nodrop)
        return 1;
    pub_scan(s, 1);
    for (int i = 0; i < s->npipes; i++) {
        zf_pipe *p = s->pipes[i];
        int e = zf_sock_end(s, p);
        if (!(arm ? zf_pipe_check_write(p, e) : zf_pipe_writable(p, e)))
            return 0;
    }
    return 1;
}

static int pub_has_in_none(zf_sock *s)
{
    pub_scan(s, 1); /* also how an idle PUB learns of subscribers and departures */
    return 0;
}

static int xpub_setopt(zf_sock *s, int option, const void *value, size_t len);

static int pub_getopt(zf_sock *s, int option, void *value, size_t *len)
{
    if (option == ZF_OPT_TOPICS_COUNT)
        pub_scan(s, 1); /* count what the subscribers have sent so far */
    return topics_getopt(s, option, value, len);
}

const zf_sock_ops zf_pub_ops = {
    .reads = 1, .writes = 1,
    .attached = pub_attached,
    .detach = pub_detach,
    .send = pub_send,
    .has_in = pub_has_in_none,
    .has_out = pub_has_out,
    .setopt = xpub_setopt, /* a PUB is an XPUB underneath in libzmq: it takes XPUB's options */
    .getopt = pub_getopt,
};

static int xpub_recv(zf_sock *s, zf_frame *f)
{
    pub_scan(s, 1);
    zf_buf *b = s->ps.notes_head;
    if (!b)
        return -EAGAIN;
    s->ps.notes_head = b->next;
    if (!s->ps.notes_head)
        s->ps.notes_tail = NULL;
    if (b->tag & NOTE_SUB) {
        if (s->ps.manual_pipe)
            zf_pipe_unref(s->ps.manual_pipe);
        s->ps.manual_pipe = b->hint; /* XPUB_MANUAL: the subscriber a SUBSCRIBE now applies to */
        b->hint = NULL;
    }
    f->data = b->data;
    f->size = b->size;
    f->buf = b; /* the note's only reference moves to the caller */
    f->more = (b->tag & NOTE_MORE) != 0;
    return 0;
}

static int xpub_has_in(zf_sock *s)
{
    pub_scan(s, 1);
    return s->ps.notes_head != NULL;
}

static int xpub_setopt(zf_sock *s, int option, const void *value, size_t len)
{
    int64_t v = 0;
    switch (option) {
    case OPT_XPUB_VERBOSE: case OPT_XPUB_VERBOSER: case OPT_XPUB_NODROP: case OPT_XPUB_MANUAL:
    case OPT_XPUB_MANUAL_LAST_VALUE: case OPT_ONLY_FIRST_SUBSCRIBE:
        if (len != sizeof v)
            return -EINVAL;
        memcpy(&v, value, sizeof v);
        if (v < 0 || v > 0x7fffffff)
            return -EINVAL;
        v = v != 0; /* as libzmq: any non-negative int, nonzero is on */
        break;
    default:
        break;
    }
    switch (option) {
    case OPT_XPUB_VERBOSE: s->ps.xpub_verbose = (int)v; return 0;
    case OPT_XPUB_VERBOSER: s->ps.xpub_verboser = (int)v; return 0;
    case OPT_XPUB_NODROP: s->ps.xpub_nodrop = (int)v; return 0;
    case OPT_XPUB_MANUAL: s->ps.xpub_manual = (int)v; return 0;
    case OPT_XPUB_MANUAL_LAST_VALUE:
        /* libzmq: XPUB_MANUAL, and the next message goes only to the last subscriber */
        s->ps.xpub_manual = (int)v;
        s->ps.xpub_last_value = (int)v;
        return 0;
    case OPT_ONLY_FIRST_SUBSCRIBE:
        s->ps.only_first_subscribe = (int)v;
        return 0;
    case OPT_XPUB_WELCOME_MSG:
        free(s->ps.welcome);
        s->ps.welcome = NULL;
        s->ps.welcome_len = 0;
        if (len) {
            s->ps.welcome = malloc(len);
            if (!s->ps.welcome)
                return -ENOMEM;
            memcpy(s->ps.welcome, value, len);
            s->ps.welcome_len = len;
        }
        return 0;
    case ZF_OPT_SUBSCRIBE:
    case ZF_OPT_UNSUBSCRIBE: {
        /* XPUB_MANUAL: apply to the subscriber of the last subscription message received */
        zf_pipe *p = s->ps.manual_pipe;
        zf_subscriber *ps = p ? pipe_subs(s, p) : NULL;
        if (!s->ps.xpub_manual)
            return -EINVAL; /* as libzmq: only a manual XPUB subscribes on a peer's behalf */
        if (!ps)
            return 0;
        const uint8_t *t = value;
        if (option == ZF_OPT_SUBSCRIBE)
            return zf_subs_join(&s->ps.subs, ps, t, len) < 0 ? -ENOMEM : 0;
        zf_subs_leave(&s->ps.subs, ps, t, len);
        return 0;
    }
    default: return -ENOTSUP;
    }
}

const zf_sock_ops zf_xpub_ops = {
    .reads = 1, .writes = 1,
    .attached = pub_attached,
    .detach = pub_detach,
    .send = pub_send,
    .recv = xpub_recv,
    .has_in = xpub_has_in,
    .has_out = pub_has_out,
    .setopt = xpub_setopt,
    .getopt = pub_getopt,
};
