/* msg.c: reference-counted payload buffers and the release stack. */
#include "msg.h"

#include <stdlib.h>

/* Every buffer starts out with one reference, owned, nothing attached. */
static zf_buf *init(zf_buf *b, uint8_t *data, size_t size)
{
    atomic_init(&b->refs, 1);
    b->tag = 0;
    b->size = size;
    b->data = data;
    b->stack = NULL;
    b->hint = NULL;
    b->next = NULL;
    return b;
}

zf_buf *zf_buf_new(size_t size)
{
    zf_buf *b = malloc(sizeof(zf_buf) + (size ? size : 1));
    return b ? init(b, (uint8_t *)(b + 1), size) : NULL;
}

zf_buf *zf_buf_external(void *data, size_t size, zf_release_stack *stack, void *hint)
{
    zf_buf *b = malloc(sizeof(zf_buf));
    if (!b)
        return NULL;
    init(b, data, size);
    b->stack = stack;
    b->hint = hint;
    return b;
}

void zf_buf_unref(zf_buf *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (!b->stack) {
        free(b);
        return;
    }
    zf_buf *head = atomic_load_explicit(&b->stack->head, memory_order_relaxed);
    do {
        b->next = head;
    } while (!atomic_compare_exchange_weak_explicit(&b->stack->head, &head, b, memory_order_release,
                                                    memory_order_relaxed));
}

zf_buf *zf_release_stack_take(zf_release_stack *s)
{
    if (!atomic_load_explicit(&s->head, memory_order_relaxed))
        return NULL;
    return atomic_exchange_explicit(&s->head, NULL, memory_order_acquire);
}

void zf_buf_free_external(zf_buf *b) { free(b); }
