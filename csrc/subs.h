/* subs.h: subscriptions as a compressed prefix trie (a radix tree), in two uses:
 *  - a counted set of prefixes (SUB/XSUB: the socket's own subscriptions, for filtering and
 *    replay): zf_subs_add / zf_subs_remove / zf_subs_match / zf_subs_each;
 *  - a map from prefix to the set of subscribers whose subscription ends there (PUB/XPUB, one
 *    trie shared by the socket, as libzmq's mtrie): zf_subs_join / zf_subs_leave /
 *    zf_subs_leave_all, and matching by walking the nodes on a message's path (zf_tnode_step).
 * A socket uses one of the two on its zf_subs, never both.
 *
 * Matching walks the message's bytes once, whatever the number of subscriptions: the cost is
 * the number of trie nodes on the message's path (at most one per subscription that is a prefix
 * of it, plus one per branching) plus, for the mtrie, the subscribers found there.
 *
 * Memory stays proportional to what was subscribed, as with the flat arrays this replaces (no
 * bound on the number of subscriptions existed before, nor does one now): edges carry byte
 * strings (path compression), so a subscription of n bytes adds at most two nodes and n label
 * bytes, never one node per byte. A node is 48 bytes; a label of more than 8 bytes is a separate
 * allocation; a node's children cost 9 bytes each in a sorted small array (byte, child), or a
 * dense 256-entry table (2 KiB) once a node has more than ZF_SUBS_DENSE_AT children (at which
 * point the table costs at most 64 bytes a child), back to the small array below
 * ZF_SUBS_SMALL_AT. A subscriber in the mtrie costs 8 bytes in the node's set and 8 in its own
 * list of nodes (zf_subscriber). */
#ifndef ZF_SUBS_H
#define ZF_SUBS_H

#include <stddef.h>
#include <stdint.h>

enum { ZF_SUBS_DENSE_AT = 32, ZF_SUBS_SMALL_AT = 16 };

/* A node. Owned by its parent (the root by zf_subs). A node that holds subscriptions (count
 * > 0) is never freed nor moved while it does: splitting an edge inserts a new node above it,
 * merging frees the childless, subscription-less one; zf_subscriber lists rely on that. */
typedef struct zf_tnode {
    struct zf_tnode *parent;
    /* nkids children: dense (cap == 256): kids[byte]; small: kids[cap] then keys[cap], the
     * first bytes of the children's labels, sorted. One allocation. */
    struct zf_tnode **kids;
    struct zf_subscriber **set; /* mtrie: the subscribers whose subscription ends here */
    uint32_t count;             /* counted set: subscriptions ending here; mtrie: |set| */
    uint32_t setcap;
    uint32_t len;               /* label (edge from the parent) length */
    uint16_t nkids, cap;
    union {
        uint8_t in[8]; /* len <= 8 */
        uint8_t *out;  /* len > 8: malloc'd, owned */
    } label;
} zf_tnode;

/* One subscriber of an mtrie (a PUB/XPUB pipe end). Owned by the pattern (pipe end's pat).
 * nodes lists the nodes whose set holds it, so leaving costs what it subscribed to, not the
 * trie's size. mark: the generation of the fan-out that last picked it (the fan-out
 * deduplicates with it, no per-message clearing). */
typedef struct zf_subscriber {
    void *pipe;
    uint32_t mark;
    uint32_t n, cap;
    zf_tnode **nodes;
} zf_subscriber;

typedef struct zf_subs {
    zf_tnode *root;  /* NULL while empty; label empty; owned */
    int64_t ntopics; /* nodes with count > 0 (TOPICS_COUNT) */
    uint32_t gen;    /* mtrie: fan-out generation (see zf_subscriber.mark) */
} zf_subs;

/* ---- counted set ---- */
/* 1 when the prefix is new, 0 when only its count grew, -1 on allocation failure. */
int zf_subs_add(zf_subs *s, const uint8_t *p, size_t len);
/* 1 when the last subscription to the prefix went, 0 when the count only dropped or it was
 * never there (a CANCEL without SUBSCRIBE is tolerated). */
int zf_subs_remove(zf_subs *s, const uint8_t *p, size_t len);
/* Whether some prefix in the set is a prefix of data: inline, below. */
static inline int zf_subs_match(const zf_subs *s, const uint8_t *data, size_t len);
/* Whether exactly this prefix is in the set. */
int zf_subs_has(const zf_subs *s, const uint8_t *p, size_t len);
static inline int zf_subs_empty(const zf_subs *s) { return s->ntopics == 0; }
/* Free every node (the mtrie's subscribers are not the trie's: their lists are left alone). */
void zf_subs_clear(zf_subs *s);
/* Visit every distinct prefix (for replay), shorter before longer along a path, in byte order.
 * Allocates a key buffer (as long as the longest prefix); -1 when that fails. */
int zf_subs_each(const zf_subs *s, void (*fn)(void *arg, const uint8_t *p, size_t len), void *arg);

/* ---- mtrie ---- */
/* Subscribe sub to the prefix: 1 when it is the prefix's first subscriber, 2 when it joined
 * others, 0 when it was subscribed already (a repeated SUBSCRIBE changes nothing, as libzmq's
 * mtrie: the subscriber's own side counts repeats), -1 on allocation failure. */
int zf_subs_join(zf_subs *s, zf_subscriber *sub, const uint8_t *p, size_t len);
/* Unsubscribe: 1 when it was the prefix's last subscriber, 2 when others remain, 0 when it was
 * not subscribed. */
int zf_subs_leave(zf_subs *s, zf_subscriber *sub, const uint8_t *p, size_t len);
/* Unsubscribe sub from everything. For each prefix left with no subscriber, gone(arg, prefix)
 * is called first (the prefix is valid during the call). Frees sub->nodes. */
void zf_subs_leave_all(zf_subs *s, zf_subscriber *sub,
                       void (*gone)(void *arg, const uint8_t *p, size_t len), void *arg);
/* Matching, for either use: the nodes on data's path are s->root, then each
 * zf_tnode_step(n, data, len, &pos) (pos = 0 at the root) until NULL, shortest prefix first; a
 * node with count > 0 ends subscriptions that are prefixes of data (the mtrie: its set holds
 * their subscribers, and one subscribed to two prefixes of data is on two nodes: the caller
 * deduplicates, with zf_subscriber.mark). No allocation. Inline, since it runs per message. */

/* ---- inline matching walk, shared by both uses ---- */
static inline const uint8_t *zf_tnode_label(const zf_tnode *n)
{
    return n->len <= sizeof n->label.in ? n->label.in : n->label.out;
}

/* The child of n whose label starts with byte b, or NULL. */
zf_tnode *zf_tnode_child(const zf_tnode *n, uint8_t b);

/* The next node on data's path after n, which has consumed *pos bytes, or NULL. */
static inline const zf_tnode *zf_tnode_step(const zf_tnode *n, const uint8_t *data, size_t len,
                                            size_t *pos)
{
    if (*pos >= len || !n->nkids)
        return NULL;
    const zf_tnode *c = zf_tnode_child(n, data[*pos]);
    if (!c || c->len > len - *pos)
        return NULL;
    /* the first byte matched already */
    if (c->len > 1 && __builtin_memcmp(zf_tnode_label(c) + 1, data + *pos + 1, c->len - 1) != 0)
        return NULL;
    *pos += c->len;
    return c;
}

static inline int zf_subs_match(const zf_subs *s, const uint8_t *data, size_t len)
{
    size_t pos = 0;
    for (const zf_tnode *n = s->root; n; n = zf_tnode_step(n, data, len, &pos))
        if (n->count)
            return 1; /* the empty prefix ("all"): at the root, found first */
    return 0;
}

#endif
