/* queue.h: chunked lock-free single-producer/single-consumer queue of frame records.
 *
 * Records are variable-sized (a 16-byte header, then the payload inline or a zf_buf pointer) and
 * never straddle a chunk. The writer publishes a single pointer, `committed`, and moves it only at
 * message boundaries, so a reader can never see part of a multipart message: atomic delivery is a
 * property of the queue, not of its users. The reader keeps one spare chunk for the writer to
 * reuse, so a queue in steady state allocates nothing.
 *
 * Ownership: the writer thread owns the w* fields, the reader thread the r* fields; `committed`
 * and `spare` are the only shared words. */
#ifndef ZF_QUEUE_H
#define ZF_QUEUE_H

#include "msg.h"

#define ZF_CHUNK_SIZE (64 * 1024)
#define ZF_INLINE_MAX (8 * 1024) /* larger payloads go out of line in a zf_buf */

enum {
    ZF_REC_MORE = 1,  /* another frame of the same message follows */
    ZF_REC_CMD = 2,   /* a control record (subscription etc.), not application data */
    ZF_REC_DELIM = 4, /* the writer closed its end: nothing follows */
    ZF_REC_SKIP = 8,  /* filler: the rest of this chunk is unused */
};

/* What a ZF_REC_CMD record carries (zf_rec.aux). */
enum {
    ZF_AUX_PEER = 1,      /* session to socket: a connection is up; payload = its metadata (meta.h) */
    ZF_AUX_SUBSCRIBE = 2, /* payload = topic prefix */
    ZF_AUX_CANCEL = 3,
};

typedef struct zf_rec {
    uint64_t size;
    uint8_t flags;
    uint8_t external; /* payload is a zf_rec_ext, not inline bytes */
    uint16_t aux;     /* meaning set by the record's user (e.g. a command code) */
    uint32_t _pad;
} zf_rec;

typedef struct zf_rec_ext {
    zf_buf *buf;   /* one reference, owned by the record */
    uint8_t *data; /* where the payload starts (inside buf) */
} zf_rec_ext;

typedef struct zf_chunk {
    struct zf_chunk *next;
    uint64_t _pad;
    uint8_t data[ZF_CHUNK_SIZE];
} zf_chunk;

typedef struct zf_queue {
    /* writer */
    zf_chunk *wchunk;
    uint32_t woff;
    zf_chunk *cchunk; /* last committed position, for rollback */
    uint32_t coff;
    char _pad1[ZF_CACHELINE];
    _Atomic(uint8_t *) committed;
    _Atomic(zf_chunk *) spare;
    char _pad2[ZF_CACHELINE];
    /* reader */
    zf_chunk *rchunk;
    uint32_t roff;
    uint8_t *rlimit; /* cached copy of committed */
} zf_queue;

int zf_queue_init(zf_queue *q);
/* Releases every chunk and the buffers of records never read. No concurrent user allowed. */
void zf_queue_destroy(zf_queue *q);

static inline size_t zf_rec_span(const zf_rec *r)
{
    return sizeof(zf_rec) + (r->external ? sizeof(zf_rec_ext) : ((r->size + 7) & ~(uint64_t)7));
}
static inline uint8_t *zf_rec_data(zf_rec *r)
{
    return r->external ? ((zf_rec_ext *)(r + 1))->data : (uint8_t *)(r + 1);
}
static inline zf_rec_ext *zf_rec_ext_of(zf_rec *r) { return (zf_rec_ext *)(r + 1); }

/* Writer: room for a record whose body takes `body` bytes (inline payload or sizeof(zf_rec_ext)).
 * NULL on allocation failure. The record is invisible until zf_queue_commit. */
zf_rec *zf_queue_reserve(zf_queue *q, size_t body);
/* Writer: append an inline frame / an external frame (takes over the caller's buffer reference). */
int zf_queue_put(zf_queue *q, const void *data, size_t size, int flags);
/* Writer: append a one-record command (ZF_REC_CMD with aux). */
int zf_queue_put_cmd(zf_queue *q, int aux, const void *data, size_t size);
/* The same with an out-of-line payload (takes over the buffer reference). */
int zf_queue_put_cmd_ext(zf_queue *q, int aux, zf_buf *buf);
int zf_queue_put_ext(zf_queue *q, zf_buf *buf, uint8_t *data, size_t size, int flags);
/* Writer: publish everything written so far. */
static inline void zf_queue_commit(zf_queue *q)
{
    q->cchunk = q->wchunk;
    q->coff = q->woff;
    atomic_store_explicit(&q->committed, q->wchunk->data + q->woff, memory_order_release);
}
/* Writer: drop records written since the last commit. */
void zf_queue_rollback(zf_queue *q);
static inline int zf_queue_dirty(const zf_queue *q)
{
    return q->wchunk != q->cchunk || q->woff != q->coff;
}

/* Reader: the next committed record, or NULL. */
zf_rec *zf_queue_peek_slow(zf_queue *q);
static inline zf_rec *zf_queue_peek(zf_queue *q)
{
    uint8_t *p = q->rchunk->data + q->roff;
    if (zf_likely(p != q->rlimit) && q->roff + sizeof(zf_rec) <= ZF_CHUNK_SIZE &&
        !(((zf_rec *)p)->flags & ZF_REC_SKIP))
        return (zf_rec *)p;
    return zf_queue_peek_slow(q);
}
/* Reader: the committed record after r (r from peek or from this), or NULL. Moves nothing. */
zf_rec *zf_queue_peek_after(zf_queue *q, zf_rec *r);
/* Reader: move past the record returned by peek (its buffer, if any, now belongs to the caller
 * or must be released by it). */
static inline void zf_queue_pop(zf_queue *q, zf_rec *r) { q->roff += (uint32_t)zf_rec_span(r); }
/* Reader: pop and release the record's buffer. */
void zf_queue_drop(zf_queue *q, zf_rec *r);

#endif
