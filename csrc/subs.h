/* subs.h: a counted set of subscription prefixes and prefix matching.
 * SUB/XSUB keep one for their own subscriptions (filtering and replay), PUB/XPUB one per pipe
 * (what that subscriber wants). Subscribing to the empty prefix matches everything and is kept
 * as a counter of its own, so the common "subscribe to all" case matches in O(1). */
#ifndef ZF_SUBS_H
#define ZF_SUBS_H

#include <stddef.h>
#include <stdint.h>

typedef struct zf_sub_entry {
    uint8_t *prefix;
    size_t len;
    uint32_t count;
} zf_sub_entry;

typedef struct zf_subs {
    uint32_t all; /* count of empty-prefix subscriptions */
    zf_sub_entry *v;
    int n, cap;
} zf_subs;

/* 1 when the prefix is new, 0 when only its count grew, -1 on allocation failure. */
int zf_subs_add(zf_subs *s, const uint8_t *p, size_t len);
/* 1 when the last subscription to the prefix went, 0 when the count only dropped or it was
 * never there (a CANCEL without SUBSCRIBE is tolerated). */
int zf_subs_remove(zf_subs *s, const uint8_t *p, size_t len);
int zf_subs_match(const zf_subs *s, const uint8_t *data, size_t len);
/* Whether exactly this prefix is in the set. */
int zf_subs_has(const zf_subs *s, const uint8_t *p, size_t len);
static inline int zf_subs_empty(const zf_subs *s) { return !s->all && !s->n; }
void zf_subs_clear(zf_subs *s);
/* Visit every distinct prefix (for replay); the empty prefix first if present. */
void zf_subs_each(const zf_subs *s, void (*fn)(void *arg, const uint8_t *p, size_t len), void *arg);

#endif
