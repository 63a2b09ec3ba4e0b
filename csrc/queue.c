/* queue.c: the SPSC record queue (see queue.h for the protocol). */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

static zf_chunk *chunk_new(void)
{
    zf_chunk *c = malloc(sizeof(zf_chunk));
    if (c)
        c->next = NULL;
    return c;
}

int zf_queue_init(zf_queue *q)
{
    memset(q, 0, sizeof *q);
    zf_chunk *c = chunk_new();
    if (!c)
        return -1;
    q->wchunk = q->cchunk = q->rchunk = c;
    q->woff = q->coff = q->roff = 0;
    atomic_init(&q->committed, c->data);
    atomic_init(&q->spare, NULL);
    q->rlimit = c->data;
    return 0;
}

static void release_range(zf_chunk *c, uint32_t off, zf_chunk *end_chunk, uint32_t end_off)
{
    for (;;) {
        if (c == end_chunk && off >= end_off)
            return;
        if (off + sizeof(zf_rec) > ZF_CHUNK_SIZE || (((zf_rec *)(c->data + off))->flags & ZF_REC_SKIP)) {
            if (c == end_chunk)
                return;
            c = c->next;
            off = 0;
            continue;
        }
        zf_rec *r = (zf_rec *)(c->data + off);
        if (r->external)
            zf_buf_unref(zf_rec_ext_of(r)->buf);
        off += (uint32_t)zf_rec_span(r);
    }
}

void zf_queue_destroy(zf_queue *q)
{
    if (!q->rchunk)
        return;
    release_range(q->rchunk, q->roff, q->wchunk, q->woff);
    zf_chunk *c = q->rchunk;
    while (c) {
        zf_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(atomic_load(&q->spare));
    q->rchunk = q->wchunk = q->cchunk = NULL;
}

zf_rec *zf_queue_reserve(zf_queue *q, size_t body)
{
    size_t need = sizeof(zf_rec) + ((body + 7) & ~(size_t)7);
    if (zf_unlikely(q->woff + need > ZF_CHUNK_SIZE)) {
        if (q->woff + sizeof(zf_rec) <= ZF_CHUNK_SIZE) {
            zf_rec *skip = (zf_rec *)(q->wchunk->data + q->woff);
            skip->flags = ZF_REC_SKIP;
            skip->external = 0;
            skip->size = 0;
        }
        /* After a rollback the next chunk may already be linked: reuse it. */
        zf_chunk *n = q->wchunk->next;
        if (!n) {
            n = atomic_exchange_explicit(&q->spare, NULL, memory_order_acquire);
            if (!n)
                n = chunk_new();
            if (!n)
                return NULL;
            n->next = NULL;
            q->wchunk->next = n; /* published by the release store of the next commit */
        }
        q->wchunk = n;
        q->woff = 0;
    }
    zf_rec *r = (zf_rec *)(q->wchunk->data + q->woff);
    q->woff += (uint32_t)need;
    return r;
}

int zf_queue_put(zf_queue *q, const void *data, size_t size, int flags)
{
    zf_rec *r = zf_queue_reserve(q, size);
    if (!r)
        return -1;
    r->size = size;
    r->flags = (uint8_t)flags;
    r->external = 0;
    r->aux = 0;
    if (size)
        memcpy(r + 1, data, size);
    return 0;
}

int zf_queue_put_cmd(zf_queue *q, int aux, const void *data, size_t size)
{
    if (zf_queue_put(q, data, size, ZF_REC_CMD) < 0)
        return -1;
    /* the record just written is the last one: find it again through its size */
    zf_rec *r = (zf_rec *)(q->wchunk->data + q->woff - (sizeof(zf_rec) + ((size + 7) & ~(size_t)7)));
    r->aux = (uint16_t)aux;
    return 0;
}

int zf_queue_put_cmd_ext(zf_queue *q, int aux, zf_buf *buf)
{
    zf_rec *r = zf_queue_reserve(q, sizeof(zf_rec_ext));
    if (!r)
        return -1;
    r->size = buf->size;
    r->flags = ZF_REC_CMD;
    r->external = 1;
    r->aux = (uint16_t)aux;
    zf_rec_ext_of(r)->buf = buf;
    zf_rec_ext_of(r)->data = buf->data;
    return 0;
}

int zf_queue_put_ext(zf_queue *q, zf_buf *buf, uint8_t *data, size_t size, int flags)
{
    zf_rec *r = zf_queue_reserve(q, sizeof(zf_rec_ext));
    if (!r)
        return -1;
    r->size = size;
    r->flags = (uint8_t)flags;
    r->external = 1;
    r->aux = 0;
    zf_rec_ext *e = zf_rec_ext_of(r);
    e->buf = buf;
    e->data = data;
    return 0;
}

void zf_queue_rollback(zf_queue *q)
{
    release_range(q->cchunk, q->coff, q->wchunk, q->woff);
    q->wchunk = q->cchunk;
    q->woff = q->coff;
}

zf_rec *zf_queue_peek_slow(zf_queue *q)
{
    for (;;) {
        uint8_t *p = q->rchunk->data + q->roff;
        if (p == q->rlimit) {
            q->rlimit = atomic_load_explicit(&q->committed, memory_order_acquire);
            if (p == q->rlimit)
                return NULL;
        }
        if (q->roff + sizeof(zf_rec) <= ZF_CHUNK_SIZE && !(((zf_rec *)p)->flags & ZF_REC_SKIP))
            return (zf_rec *)p;
        /* End of this chunk: the writer has moved on (committed lies beyond), so next is set. */
        zf_chunk *old = q->rchunk;
        q->rchunk = old->next;
        q->roff = 0;
        old->next = NULL;
        zf_chunk *prev = atomic_exchange_explicit(&q->spare, old, memory_order_release);
        free(prev);
    }
}

zf_rec *zf_queue_peek_after(zf_queue *q, zf_rec *r)
{
    uint8_t *committed = atomic_load_explicit(&q->committed, memory_order_acquire);
    uint8_t *p = (uint8_t *)r + zf_rec_span(r);
    if (p == committed)
        return NULL;
    /* find r's chunk: the reader's, or one after it */
    zf_chunk *c = q->rchunk;
    while (!((uint8_t *)r >= c->data && (uint8_t *)r < c->data + ZF_CHUNK_SIZE))
        c = c->next;
    size_t off = (size_t)(p - c->data);
    if (off + sizeof(zf_rec) > ZF_CHUNK_SIZE || (((zf_rec *)p)->flags & ZF_REC_SKIP)) {
        c = c->next; /* committed lies beyond this chunk, so the next one is linked */
        p = c->data;
        if (p == committed)
            return NULL;
    }
    return (zf_rec *)p;
}

void zf_queue_drop(zf_queue *q, zf_rec *r)
{
    if (r->external)
        zf_buf_unref(zf_rec_ext_of(r)->buf);
    zf_queue_pop(q, r);
}
