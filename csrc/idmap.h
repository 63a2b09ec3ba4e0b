/* idmap.h: a map from nonzero 64-bit ids to pointers (open addressing, linear probing).
 *
 * Why: an I/O thread finds a session by the id its socket knows it by (a socket may outlive its
 * sessions, so it keeps ids, not pointers); a list walked per close made closing N sockets cost
 * N^2. Find, put and take cost O(1) expected; the table doubles at half full (an allocation per
 * doubling, never per lookup) and never shrinks. Not thread-safe: one owner thread. */
#ifndef ZF_IDMAP_H
#define ZF_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct zf_idmap_slot {
    uint64_t id; /* 0: empty */
    void *val;
} zf_idmap_slot;

/* Owns slots (malloc'd). Zero-initialised is an empty map. */
typedef struct zf_idmap {
    zf_idmap_slot *slots;
    size_t cap;     /* a power of two, or 0 */
    unsigned shift; /* 64 - log2(cap): home() keeps the product's top bits */
    size_t n;
} zf_idmap;

/* The value stored under id, or NULL. */
void *zf_idmap_find(const zf_idmap *m, uint64_t id);
/* Store val under id (id != 0, not yet present): 0, or -ENOMEM (the map is unchanged). */
int zf_idmap_put(zf_idmap *m, uint64_t id, void *val);
/* Remove id if present. */
void zf_idmap_take(zf_idmap *m, uint64_t id);
void zf_idmap_free(zf_idmap *m);

#endif
