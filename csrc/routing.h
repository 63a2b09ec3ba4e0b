/* routing.h: a socket's routing ids (ROUTER, ROUTER_RAW, STREAM), the pipe each id addresses, in
 * O(1) per lookup whatever the number of peers.
 *
 * An open-addressing hash table with linear probing, kept at most half full, that grows by
 * doubling and deletes by shifting the entries after the hole back (no tombstones, so a table
 * with churning peers never degrades). An entry holds the pipe, which end of it is the socket's,
 * and the id's hash; the id's bytes themselves stay in that end (zf_pipe_end.route_id), so an
 * entry costs 16 bytes and a lookup allocates nothing. A caller must take an entry out before it
 * changes the end's route_id, and put it back after.
 *
 * The hash is SipHash-1-3 under a 128-bit key drawn from the OS for each table. Ids are chosen
 * by peers (the Identity of their handshake): with an unkeyed hash, or a seeded multiply-xor
 * (Murmur/FNV-like) whose collisions do not depend on the seed, a peer could pick thousands of
 * ids that share a slot and turn every lookup into a scan of them (hash flooding). SipHash is a
 * keyed PRF made for this, so colliding ids cannot be chosen without the key; 1-3 rounds (as
 * CPython and Rust use) cost ~15 ns for a 5-byte id.
 *
 * It also keeps the pipes that have no id yet (a session's pipe until its handshake record is
 * read), so that a send can identify them without scanning every pipe.
 *
 * Owned by its socket and touched only by the socket's owner thread. Its storage is freed when
 * its last entry leaves: a socket's close detaches every pipe, so nothing outlives it. */
#ifndef ZF_ROUTING_H
#define ZF_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "pipe.h"

typedef struct zf_route_slot {
    zf_pipe *pipe;  /* NULL: a free slot */
    uint32_t hash;  /* low 32 bits of the id's SipHash */
    uint32_t end;   /* which end of pipe is the socket's */
} zf_route_slot;

typedef struct zf_routing {
    zf_route_slot *slots; /* malloc'd, mask + 1 of them; NULL while empty */
    uint32_t mask;
    uint32_t count;
    uint64_t key[2];      /* SipHash key, drawn when the table first allocates */
    zf_pipe **pending;    /* pipes attached without an id yet (referenced by the socket's array) */
    int npending, pending_cap;
} zf_routing;

/* The pipe whose end goes by id (len 1..255), or NULL. No allocation. */
zf_pipe *zf_routing_find(const zf_routing *t, const void *id, size_t len);
/* Enter p under the id its end e carries. 0; -EEXIST if another pipe has that id; -ENOMEM. */
int zf_routing_insert(zf_routing *t, zf_pipe *p, int e);
/* Take p (end e) out, under the id its end carries now. 0, or -ENOENT if it was not there. */
int zf_routing_remove(zf_routing *t, zf_pipe *p, int e);
/* The pipes still to be given an id. */
int zf_routing_pend(zf_routing *t, zf_pipe *p);
void zf_routing_unpend(zf_routing *t, zf_pipe *p);

#endif
