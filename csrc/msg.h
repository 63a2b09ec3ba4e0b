/* msg.h: out-of-line message payloads.
 * Small frames live inline in queue records (queue.h); anything larger is a zf_buf:
 *  - owned:    header and data in one allocation, freed with free();
 *  - external: data owned by someone else (a Python object), handed back through a release stack
 *              when the last reference drops, so no thread other than the owner's ever frees it. */
#ifndef ZF_MSG_H
#define ZF_MSG_H

#include "platform.h"

typedef struct zf_release_stack zf_release_stack;

typedef struct zf_buf {
    _Atomic int refs;
    uint32_t tag; /* the holder's to use (XPUB's notes: MORE, and whether it is a subscription) */
    size_t size;
    uint8_t *data;
    zf_release_stack *stack; /* NULL: owned; else where the buffer goes when released */
    void *hint;              /* external: the owner's handle (opaque to the engine) */
    struct zf_buf *next;     /* link on the release stack */
} zf_buf;

/* Treiber stack: any thread pushes, the owner pops everything at once with an exchange,
 * which sidesteps ABA. The I/O thread uses it to hand buffers back without taking the GIL. */
struct zf_release_stack {
    _Atomic(zf_buf *) head;
};

zf_buf *zf_buf_new(size_t size);
zf_buf *zf_buf_external(void *data, size_t size, zf_release_stack *stack, void *hint);
static inline void zf_buf_ref(zf_buf *b) { atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed); }
void zf_buf_unref(zf_buf *b);
/* Take every released external buffer; the caller reads ->hint then calls zf_buf_free_external. */
zf_buf *zf_release_stack_take(zf_release_stack *s);
void zf_buf_free_external(zf_buf *b);

#endif
