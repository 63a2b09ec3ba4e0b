/* routing.c: the routing-id table (routing.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "routing.h"
#include "socket.h"

#define MIN_SLOTS 16u

/* ---- SipHash-1-3 (Aumasson & Bernstein; one compression round per word, three to finish) --- */

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

#define SIP_ROUND(v0, v1, v2, v3)                                                              \
    do {                                                                                       \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                              \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                                 \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                                 \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                              \
    } while (0)

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i]; /* compilers turn this into one load on little-endian machines */
    return v;
}

static uint64_t siphash13(const uint64_t key[2], const uint8_t *in, size_t len)
{
    uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
    size_t whole = len & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)in[whole + i] << (8 * i);
    v3 ^= last;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* The key: 16 bytes from the OS. If the OS gives nothing (a sandbox without getrandom and
 * /dev/urandom), the clock and the table's address: guessable in principle, but the table still
 * works, and refusing every ROUTER peer would be worse. */
static void draw_key(zf_routing *t)
{
    uint8_t k[16];
    if (zf_crypto_random(k, sizeof k) < 0) {
        uint64_t a = (uint64_t)zf_now_ms() * 0x9e3779b97f4a7c15ull, b = (uint64_t)(uintptr_t)t;
        memcpy(k, &a, 8);
        memcpy(k + 8, &b, 8);
    }
    memcpy(t->key, k, sizeof k);
    t->key[1] |= 1; /* never all zero: that marks "not drawn yet" */
}

static inline uint32_t hash_id(const zf_routing *t, const void *id, size_t len)
{
    return (uint32_t)siphash13(t->key, id, len);
}

static inline const zf_pipe_end *slot_end(const zf_route_slot *s) { return &s->pipe->end[s->end]; }

static inline int slot_is(const zf_route_slot *s, uint32_t h, const void *id, size_t len)
{
    const zf_pipe_end *e = slot_end(s);
    return s->hash == h && e->route_id_len == len && memcmp(e->route_id, id, len) == 0;
}

zf_pipe *zf_routing_find(const zf_routing *t, const void *id, size_t len)
{
    if (!t->count)
        return NULL;
    uint32_t h = hash_id(t, id, len);
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const zf_route_slot *s = &t->slots[i];
        if (!s->pipe)
            return NULL; /* the table is never full: a free slot ends every probe */
        if (slot_is(s, h, id, len))
            return s->pipe;
    }
}

/* Place an entry known to be absent. */
static void place(zf_route_slot *slots, uint32_t mask, zf_route_slot v)
{
    uint32_t i = v.hash & mask;
    while (slots[i].pipe)
        i = (i + 1) & mask;
    slots[i] = v;
}

/* Move to n slots (a power of two): one pass over the old ones, hashes reused. */
static int resize(zf_routing *t, uint32_t n)
{
    zf_route_slot *ns = calloc(n, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    for (uint32_t i = 0; t->slots && i <= t->mask; i++)
        if (t->slots[i].pipe)
            place(ns, n - 1, t->slots[i]);
    free(t->slots);
    t->slots = ns;
    t->mask = n - 1;
    return 0;
}

int zf_routing_insert(zf_routing *t, zf_pipe *p, int e)
{
    const zf_pipe_end *pe = &p->end[e];
    if (!t->key[0] && !t->key[1])
        draw_key(t);
    if (zf_routing_find(t, pe->route_id, pe->route_id_len))
        return -EEXIST;
    /* at most half full: probes stay short (~1.5 slots on a hit, ~2.5 on a miss) */
    if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
        uint32_t n = t->slots ? (t->mask + 1) * 2 : MIN_SLOTS;
        if (n == 0 || resize(t, n) < 0)
            return -ENOMEM;
    }
    zf_route_slot v = {p, hash_id(t, pe->route_id, pe->route_id_len), (uint32_t)e};
    place(t->slots, t->mask, v);
    t->count++;
    return 0;
}

int zf_routing_remove(zf_routing *t, zf_pipe *p, int e)
{
    if (!t->count)
        return -ENOENT;
    const zf_pipe_end *pe = &p->end[e];
    uint32_t h = hash_id(t, pe->route_id, pe->route_id_len), mask = t->mask;
    uint32_t i = h & mask;
    for (;; i = (i + 1) & mask) {
        if (!t->slots[i].pipe)
            return -ENOENT;
        if (t->slots[i].pipe == p)
            break;
    }
    /* Backward-shift deletion: an entry after the hole moves into it unless its home slot lies
     * cyclically in (hole, its position], where the probe from home would not pass the hole. */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & mask; t->slots[j].pipe; j = (j + 1) & mask) {
        uint32_t home = t->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole].pipe = NULL;
    if (--t->count == 0) {
        free(t->slots); /* a socket whose peers all left holds nothing */
        t->slots = NULL;
        t->mask = 0;
    }
    return 0;
}

int zf_routing_pend(zf_routing *t, zf_pipe *p)
{
    if (t->npending == t->pending_cap) {
        int cap = t->pending_cap ? t->pending_cap * 2 : 8;
        zf_pipe **n = realloc(t->pending, (size_t)cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        t->pending = n;
        t->pending_cap = cap;
    }
    t->pending[t->npending++] = p;
    return 0;
}

void zf_routing_unpend(zf_routing *t, zf_pipe *p)
{
    /* from the newest: the pipe identified or detached is most often a recent one */
    for (int i = t->npending - 1; i >= 0; i--) {
        if (t->pending[i] == p) {
            t->pending[i] = t->pending[--t->npending];
            break;
        }
    }
    if (!t->npending) {
        free(t->pending);
        t->pending = NULL;
        t->pending_cap = 0;
    }
}

void zf_routing_auto_id(zf_sock *s, zf_pipe_end *e)
{
    /* Skip ids in use: a peer may have chosen one that starts with a zero byte, or the counter
     * may have wrapped onto a pipe that is still there. Both rare; each try is one lookup. */
    do {
        uint32_t n = s->rr.next_rid++;
        e->route_id[0] = 0; /* ids starting with a zero byte are the socket's own, as libzmq's */
        e->route_id[1] = (uint8_t)(n >> 24);
        e->route_id[2] = (uint8_t)(n >> 16);
        e->route_id[3] = (uint8_t)(n >> 8);
        e->route_id[4] = (uint8_t)n;
        e->route_id_len = 5;
    } while (zf_routing_find(&s->rr.routes, e->route_id, e->route_id_len));
}
