/* idmap.c: see idmap.h. */
#include "idmap.h"

#include <errno.h>
#include <stdlib.h>

/* Fibonacci hashing: ids are handed out in sequence, and the multiply's top bits spread
 * neighbours over the whole table (its low bits would not: they depend on the id's low bits
 * only). */
static size_t home(const zf_idmap *m, uint64_t id)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> m->shift);
}

void *zf_idmap_find(const zf_idmap *m, uint64_t id)
{
    if (!m->cap || !id)
        return NULL;
    for (size_t i = home(m, id);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].id == id)
            return m->slots[i].val;
        if (!m->slots[i].id)
            return NULL;
    }
}

static void place(zf_idmap *m, uint64_t id, void *val)
{
    size_t i = home(m, id);
    while (m->slots[i].id)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].id = id;
    m->slots[i].val = val;
}

int zf_idmap_put(zf_idmap *m, uint64_t id, void *val)
{
    if (!id)
        return -EINVAL;
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        zf_idmap_slot *old = m->slots;
        size_t old_cap = m->cap;
        zf_idmap_slot *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -ENOMEM;
        m->slots = slots;
        m->cap = cap;
        m->shift = 64;
        for (size_t c = cap; c > 1; c >>= 1)
            m->shift--;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].id)
                place(m, old[i].id, old[i].val);
        free(old);
    }
    place(m, id, val);
    m->n++;
    return 0;
}

void zf_idmap_take(zf_idmap *m, uint64_t id)
{
    if (!m->cap || !id)
        return;
    size_t mask = m->cap - 1, i = home(m, id);
    while (m->slots[i].id != id) {
        if (!m->slots[i].id)
            return;
        i = (i + 1) & mask;
    }
    /* Backward-shift deletion: pull later members of the probe run into the hole when their
     * home is not between the hole and them, so no tombstones are needed. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].id; j = (j + 1) & mask) {
        size_t h = home(m, m->slots[j].id);
        int movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].id = 0;
    m->slots[hole].val = NULL;
    m->n--;
}

void zf_idmap_free(zf_idmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
    m->shift = 0;
}
