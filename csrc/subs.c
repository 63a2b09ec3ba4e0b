/* subs.c: the subscription trie (see subs.h). A radix tree: each edge carries a byte string, a
 * node ends at least one subscription or branches (the root excepted), so a trie of k
 * subscriptions has at most 2k + 1 nodes. The edge invariant is kept where memory allows: when an
 * allocation fails while compressing, a node may stay uncompressed, which matching does not care
 * about. Allocation happens when subscriptions change, never while matching. */
#include "subs.h"

#include <stdlib.h>
#include <string.h>

/* ---- nodes -------------------------------------------------------------------------------- */

static inline uint8_t *keys_of(const zf_tnode *n) { return (uint8_t *)(n->kids + n->cap); }
static inline int is_dense(const zf_tnode *n) { return n->cap == 256; }
static inline uint8_t *label_w(zf_tnode *n)
{
    return n->len <= sizeof n->label.in ? n->label.in : n->label.out;
}

zf_tnode *zf_tnode_child(const zf_tnode *n, uint8_t b)
{
    if (is_dense(n))
        return n->kids[b];
    if (!n->nkids)
        return NULL;
    /* small: at most ZF_SUBS_DENSE_AT keys, memchr reads them a word at a time */
    const uint8_t *k = memchr(keys_of(n), b, n->nkids);
    return k ? n->kids[k - keys_of(n)] : NULL;
}

static int set_label(zf_tnode *n, const uint8_t *p, size_t len)
{
    if (len > sizeof n->label.in) {
        uint8_t *out = malloc(len);
        if (!out)
            return -1;
        memcpy(out, p, len);
        n->label.out = out;
    } else if (len) {
        memcpy(n->label.in, p, len);
    }
    n->len = (uint32_t)len;
    return 0;
}

static zf_tnode *node_new(zf_tnode *parent, const uint8_t *label, size_t len)
{
    if (len > UINT32_MAX)
        return NULL;
    zf_tnode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    if (set_label(n, label, len) < 0) {
        free(n);
        return NULL;
    }
    n->parent = parent;
    return n;
}

static void node_free(zf_tnode *n)
{
    if (n->len > sizeof n->label.in)
        free(n->label.out);
    free(n->kids);
    free(n->set);
    free(n);
}

/* Drop the first i bytes of n's label (an edge split). Never allocates. */
static void label_cut(zf_tnode *n, size_t i)
{
    size_t nl = n->len - i;
    if (n->len > sizeof n->label.in && nl <= sizeof n->label.in) {
        uint8_t tmp[sizeof n->label.in];
        memcpy(tmp, n->label.out + i, nl);
        free(n->label.out);
        memcpy(n->label.in, tmp, nl);
    } else {
        uint8_t *l = label_w(n);
        memmove(l, l + i, nl);
    }
    n->len = (uint32_t)nl;
}

/* Make room for children: small arrays double up to ZF_SUBS_DENSE_AT, then become the dense
 * table. -1 when out of memory (nothing changed). */
static int kids_grow(zf_tnode *n)
{
    if (is_dense(n) || n->nkids < n->cap)
        return 0;
    if (n->cap >= ZF_SUBS_DENSE_AT) {
        zf_tnode **d = calloc(256, sizeof *d);
        if (!d)
            return -1;
        for (int i = 0; i < n->nkids; i++)
            d[keys_of(n)[i]] = n->kids[i];
        free(n->kids);
        n->kids = d;
        n->cap = 256;
        return 0;
    }
    int cap = n->cap ? n->cap * 2 : 2;
    zf_tnode **k = malloc((size_t)cap * (sizeof *k + 1));
    if (!k)
        return -1;
    if (n->nkids) {
        memcpy(k, n->kids, n->nkids * sizeof *k);
        memcpy((uint8_t *)(k + cap), keys_of(n), n->nkids);
    }
    free(n->kids);
    n->kids = k;
    n->cap = (uint16_t)cap;
    return 0;
}

/* Add child c under key b (no child has that key yet). */
static int kid_add(zf_tnode *n, uint8_t b, zf_tnode *c)
{
    if (kids_grow(n) < 0)
        return -1;
    if (is_dense(n)) {
        n->kids[b] = c;
    } else {
        uint8_t *k = keys_of(n);
        int i = 0;
        while (i < n->nkids && k[i] < b)
            i++;
        memmove(n->kids + i + 1, n->kids + i, (n->nkids - i) * sizeof *n->kids);
        memmove(k + i + 1, k + i, (size_t)(n->nkids - i));
        n->kids[i] = c;
        k[i] = b;
    }
    n->nkids++;
    return 0;
}

/* Replace the child under key b by c. */
static void kid_replace(zf_tnode *n, uint8_t b, zf_tnode *c)
{
    if (is_dense(n)) {
        n->kids[b] = c;
        return;
    }
    const uint8_t *k = memchr(keys_of(n), b, n->nkids);
    n->kids[k - keys_of(n)] = c;
}

/* Remove the child under key b; a dense table that got narrow goes back to the small array
 * (if that allocation fails it stays dense, which is only larger). */
static void kid_remove(zf_tnode *n, uint8_t b)
{
    if (is_dense(n)) {
        n->kids[b] = NULL;
        n->nkids--;
        if (n->nkids > ZF_SUBS_SMALL_AT)
            return;
        int cap = ZF_SUBS_DENSE_AT;
        zf_tnode **k = malloc((size_t)cap * (sizeof *k + 1));
        if (!k)
            return;
        uint8_t *keys = (uint8_t *)(k + cap);
        int j = 0;
        for (int i = 0; i < 256; i++)
            if (n->kids[i]) {
                k[j] = n->kids[i];
                keys[j++] = (uint8_t)i;
            }
        free(n->kids);
        n->kids = k;
        n->cap = (uint16_t)cap;
        return;
    }
    uint8_t *k = keys_of(n);
    int i = (int)((uint8_t *)memchr(k, b, n->nkids) - k);
    memmove(n->kids + i, n->kids + i + 1, (n->nkids - i - 1) * sizeof *n->kids);
    memmove(k + i, k + i + 1, (size_t)(n->nkids - i - 1));
    if (--n->nkids == 0) {
        free(n->kids);
        n->kids = NULL;
        n->cap = 0;
    }
}

static zf_tnode *first_kid(const zf_tnode *n, int from)
{
    if (is_dense(n)) {
        for (int i = from; i < 256; i++)
            if (n->kids[i])
                return n->kids[i];
        return NULL;
    }
    for (int i = 0; i < n->nkids; i++)
        if (keys_of(n)[i] >= from)
            return n->kids[i];
    return NULL;
}

/* ---- finding, creating, pruning --------------------------------------------------------- */

static void prune(zf_subs *s, zf_tnode *n);

/* The node that ends exactly at prefix p, or NULL. With create, it is made (splitting an edge
 * when p ends inside one); NULL then means out of memory, with the trie as it was. */
static zf_tnode *find(zf_subs *s, const uint8_t *p, size_t len, int create)
{
    if (!s->root) {
        if (!create || !(s->root = node_new(NULL, NULL, 0)))
            return NULL;
    }
    zf_tnode *n = s->root;
    size_t pos = 0;
    while (pos < len) {
        zf_tnode *c = zf_tnode_child(n, p[pos]);
        if (!c) {
            if (!create)
                return NULL;
            zf_tnode *leaf = node_new(n, p + pos, len - pos);
            if (!leaf || kid_add(n, p[pos], leaf) < 0) {
                if (leaf)
                    node_free(leaf);
                prune(s, n); /* a node split for this call, or a root made for it */
                return NULL;
            }
            return leaf;
        }
        const uint8_t *l = zf_tnode_label(c);
        size_t m = c->len < len - pos ? c->len : len - pos, i = 1;
        while (i < m && l[i] == p[pos + i])
            i++;
        if (i == c->len) {
            n = c;
            pos += i;
            continue;
        }
        if (!create)
            return NULL;
        /* p leaves c's edge after i bytes: a new node takes the edge's first i bytes */
        zf_tnode *mid = node_new(n, l, i);
        if (!mid)
            return NULL;
        if (kid_add(mid, l[i], c) < 0) {
            node_free(mid);
            return NULL;
        }
        kid_replace(n, l[0], mid);
        label_cut(c, i);
        c->parent = mid;
        n = mid;
        pos += i;
    }
    return n;
}

/* n ends no subscription any more: free what is no longer needed upwards, and merge a node left
 * with a single child into it (the child keeps its identity: it may hold subscriptions). */
static void prune(zf_subs *s, zf_tnode *n)
{
    while (n && n != s->root && n->count == 0) {
        zf_tnode *p = n->parent;
        uint8_t key = zf_tnode_label(n)[0];
        if (n->nkids == 0) {
            kid_remove(p, key);
            node_free(n);
            n = p;
            continue;
        }
        if (n->nkids == 1) {
            zf_tnode *c = first_kid(n, 0);
            size_t len = (size_t)n->len + c->len;
            if (len > UINT32_MAX)
                return;
            uint8_t *out = NULL;
            if (len > sizeof c->label.in) {
                out = malloc(len);
                if (!out)
                    return; /* stays uncompressed: still correct */
                memcpy(out, zf_tnode_label(n), n->len);
                memcpy(out + n->len, zf_tnode_label(c), c->len);
                if (c->len > sizeof c->label.in)
                    free(c->label.out);
                c->label.out = out;
            } else {
                memmove(c->label.in + n->len, c->label.in, c->len);
                memcpy(c->label.in, zf_tnode_label(n), n->len);
            }
            c->len = (uint32_t)len;
            c->parent = p;
            kid_replace(p, key, c);
            node_free(n);
        }
        return;
    }
    if (n && n == s->root && !n->count && !n->nkids) {
        node_free(n);
        s->root = NULL;
    }
}

/* ---- counted set -------------------------------------------------------------------------- */

int zf_subs_add(zf_subs *s, const uint8_t *p, size_t len)
{
    zf_tnode *n = find(s, p, len, 1);
    if (!n || n->count == UINT32_MAX)
        return -1;
    if (n->count++)
        return 0;
    s->ntopics++;
    return 1;
}

int zf_subs_remove(zf_subs *s, const uint8_t *p, size_t len)
{
    zf_tnode *n = find(s, p, len, 0);
    if (!n || !n->count || --n->count)
        return 0;
    s->ntopics--;
    prune(s, n);
    return 1;
}

int zf_subs_has(const zf_subs *s, const uint8_t *p, size_t len)
{
    zf_tnode *n = find((zf_subs *)s, p, len, 0);
    return n && n->count;
}

void zf_subs_clear(zf_subs *s)
{
    /* post-order without recursion (a trie may be as deep as it has subscriptions) */
    zf_tnode *n = s->root;
    while (n) {
        if (n->nkids) {
            zf_tnode *c;
            if (is_dense(n)) {
                int i = 255;
                while (!n->kids[i])
                    i--;
                c = n->kids[i];
                n->kids[i] = NULL;
            } else {
                c = n->kids[n->nkids - 1];
            }
            n->nkids--;
            n = c;
            continue;
        }
        zf_tnode *p = n->parent;
        node_free(n);
        n = p;
    }
    s->root = NULL;
    s->ntopics = 0;
}

static int key_room(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    uint8_t *b = realloc(*buf, c);
    if (!b)
        return -1;
    *buf = b;
    *cap = c;
    return 0;
}

int zf_subs_each(const zf_subs *s, void (*fn)(void *arg, const uint8_t *p, size_t len), void *arg)
{
    const zf_tnode *n = s->root;
    uint8_t *buf = NULL;
    size_t cap = 0, klen = 0;
    while (n) {
        if (key_room(&buf, &cap, klen + n->len + 1) < 0) { /* never empty: no NULL buffer */
            free(buf);
            return -1;
        }
        memcpy(buf + klen, zf_tnode_label(n), n->len);
        klen += n->len;
        if (n->count)
            fn(arg, buf, klen);
        if (n->nkids) {
            n = first_kid(n, 0);
            continue;
        }
        /* up until a node has a next sibling */
        for (;;) {
            if (n == s->root) {
                n = NULL;
                break;
            }
            klen -= n->len;
            const zf_tnode *p = n->parent;
            const zf_tnode *next = first_kid(p, zf_tnode_label(n)[0] + 1);
            if (next) {
                n = next;
                break;
            }
            n = p;
        }
    }
    free(buf);
    return 0;
}

/* ---- mtrie ------------------------------------------------------------------------------- */

static int index_in_set(const zf_tnode *n, const zf_subscriber *sub)
{
    for (uint32_t i = 0; i < n->count; i++)
        if (n->set[i] == sub)
            return (int)i;
    return -1;
}

static int index_in_nodes(const zf_subscriber *sub, const zf_tnode *n)
{
    for (uint32_t i = 0; i < sub->n; i++)
        if (sub->nodes[i] == n)
            return (int)i;
    return -1;
}

static int grow(void *arrp, uint32_t *cap, uint32_t n)
{
    if (n < *cap)
        return 0;
    if (*cap >= UINT32_MAX / 2)
        return -1;
    uint32_t c = *cap ? *cap * 2 : 2;
    void **a = realloc(*(void ***)arrp, (size_t)c * sizeof(void *));
    if (!a)
        return -1;
    *(void ***)arrp = a;
    *cap = c;
    return 0;
}

int zf_subs_join(zf_subs *s, zf_subscriber *sub, const uint8_t *p, size_t len)
{
    zf_tnode *n = find(s, p, len, 1);
    if (!n)
        return -1;
    /* already there? search the shorter of the two lists: O(min(subscribers of the prefix,
     * prefixes of the subscriber)) */
    if (n->count && (n->count <= sub->n ? index_in_set(n, sub) : index_in_nodes(sub, n)) >= 0)
        return 0;
    if (grow(&n->set, &n->setcap, n->count) < 0 || grow(&sub->nodes, &sub->cap, sub->n) < 0) {
        if (!n->count)
            prune(s, n);
        return -1;
    }
    n->set[n->count] = sub;
    sub->nodes[sub->n++] = n;
    if (n->count++)
        return 2;
    s->ntopics++;
    return 1;
}

/* Take sub out of n's set (sub is in it); 1 if n was left empty (then pruned, unless keep). */
static int unlink_set(zf_subs *s, zf_tnode *n, zf_subscriber *sub)
{
    int i = index_in_set(n, sub);
    n->set[i] = n->set[--n->count];
    if (n->count)
        return 0;
    free(n->set);
    n->set = NULL;
    n->setcap = 0;
    s->ntopics--;
    return 1;
}

int zf_subs_leave(zf_subs *s, zf_subscriber *sub, const uint8_t *p, size_t len)
{
    zf_tnode *n = find(s, p, len, 0);
    if (!n || !n->count)
        return 0;
    int j = index_in_nodes(sub, n);
    if (j < 0)
        return 0;
    sub->nodes[j] = sub->nodes[--sub->n];
    if (!unlink_set(s, n, sub))
        return 2;
    prune(s, n);
    return 1;
}

void zf_subs_leave_all(zf_subs *s, zf_subscriber *sub,
                       void (*gone)(void *arg, const uint8_t *p, size_t len), void *arg)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (uint32_t k = 0; k < sub->n; k++) {
        /* the other nodes in sub->nodes hold sub, so pruning this one never frees them */
        zf_tnode *n = sub->nodes[k];
        if (!unlink_set(s, n, sub))
            continue;
        if (gone) {
            size_t klen = 0;
            for (const zf_tnode *a = n; a; a = a->parent)
                klen += a->len;
            if (key_room(&buf, &cap, klen ? klen : 1) == 0) {
                size_t at = klen;
                for (const zf_tnode *a = n; a; a = a->parent) {
                    at -= a->len;
                    memcpy(buf + at, zf_tnode_label(a), a->len);
                }
                gone(arg, buf, klen);
            }
        }
        prune(s, n);
    }
    free(buf);
    free(sub->nodes);
    sub->nodes = NULL;
    sub->n = sub->cap = 0;
}
