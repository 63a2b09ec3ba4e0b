/* test_queue.c: the SPSC frame queue (queue.h) and the buffers it carries (msg.h): records in
 * order, nothing visible before commit, rollback, chunk boundaries, out-of-line buffers handed
 * over and released, and a two-thread stress that checks every byte and that a multipart message
 * is never seen in part. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "check.h"
#include "queue.h"

/* A deterministic byte for message m, frame f, offset i: what the reader expects. */
static uint8_t pattern(uint64_t m, int f, size_t i) { return (uint8_t)(m * 31 + (uint64_t)f * 7 + i); }

static void test_empty_queue_has_nothing_to_read(void)
{
    zf_queue q;
    REQUIRE(zf_queue_init(&q) == 0);
    CHECK(zf_queue_peek(&q) == NULL);
    CHECK(!zf_queue_dirty(&q));
    zf_queue_destroy(&q);
}

static void test_records_visible_only_after_commit_in_order(void)
{
    zf_queue q;
    REQUIRE(zf_queue_init(&q) == 0);
    CHECK_EQ(zf_queue_put(&q, "one", 3, ZF_REC_MORE), 0);
    CHECK_EQ(zf_queue_put(&q, "two!", 4, 0), 0);
    CHECK(zf_queue_dirty(&q));
    CHECK(zf_queue_peek(&q) == NULL); /* written, not committed */
    zf_queue_commit(&q);
    CHECK(!zf_queue_dirty(&q));
    zf_rec *r = zf_queue_peek(&q);
    REQUIRE(r != NULL);
    CHECK_EQ(r->size, 3);
    CHECK_EQ(r->flags, ZF_REC_MORE);
    CHECK_MEM(zf_rec_data(r), "one", 3);
    zf_rec *n = zf_queue_peek_after(&q, r); /* looks ahead without moving */
    REQUIRE(n != NULL);
    CHECK_EQ(n->size, 4);
    CHECK(zf_queue_peek_after(&q, n) == NULL);
    CHECK(zf_queue_peek(&q) == r);
    zf_queue_pop(&q, r);
    r = zf_queue_peek(&q);
    REQUIRE(r == n);
    CHECK_EQ(r->flags, 0);
    CHECK_MEM(zf_rec_data(r), "two!", 4);
    zf_queue_pop(&q, r);
    CHECK(zf_queue_peek(&q) == NULL);
    zf_queue_destroy(&q);
}

static void test_empty_frames_and_commands(void)
{
    zf_queue q;
    REQUIRE(zf_queue_init(&q) == 0);
    CHECK_EQ(zf_queue_put(&q, NULL, 0, 0), 0);
    CHECK_EQ(zf_queue_put_cmd(&q, ZF_AUX_SUBSCRIBE, "topic", 5), 0);
    zf_queue_commit(&q);
    zf_rec *r = zf_queue_peek(&q);
    REQUIRE(r != NULL);
    CHECK_EQ(r->size, 0);
    CHECK_EQ(zf_rec_span(r), sizeof(zf_rec));
    zf_queue_pop(&q, r);
    r = zf_queue_peek(&q);
    REQUIRE(r != NULL);
    CHECK_EQ(r->flags, ZF_REC_CMD);
    CHECK_EQ(r->aux, ZF_AUX_SUBSCRIBE);
    CHECK_EQ(r->size, 5);
    CHECK_MEM(zf_rec_data(r), "topic", 5);
    zf_queue_pop(&q, r);
    CHECK(zf_queue_peek(&q) == NULL);
    zf_queue_destroy(&q);
}

static void test_rollback_drops_uncommitted_records_and_their_buffers(void)
{
    zf_queue q;
    zf_release_stack st;
    atomic_init(&st.head, NULL);
    REQUIRE(zf_queue_init(&q) == 0);
    CHECK_EQ(zf_queue_put(&q, "kept", 4, 0), 0);
    zf_queue_commit(&q);
    static uint8_t payload[100];
    zf_buf *b = zf_buf_external(payload, sizeof payload, &st, (void *)0x1234);
    REQUIRE(b != NULL);
    CHECK_EQ(zf_queue_put(&q, "gone", 4, ZF_REC_MORE), 0);
    CHECK_EQ(zf_queue_put_ext(&q, b, b->data, b->size, 0), 0);
    /* enough to spill into a second chunk, which a rollback must also undo */
    static uint8_t big[ZF_INLINE_MAX];
    for (int i = 0; i < (int)(ZF_CHUNK_SIZE / sizeof big) + 2; i++)
        CHECK_EQ(zf_queue_put(&q, big, sizeof big, ZF_REC_MORE), 0);
    zf_queue_rollback(&q);
    CHECK(!zf_queue_dirty(&q));
    /* the external buffer went back to its owner's stack */
    zf_buf *back = zf_release_stack_take(&st);
    CHECK(back == b);
    if (back) {
        CHECK(back->hint == (void *)0x1234);
        CHECK(back->next == NULL);
        zf_buf_free_external(back);
    }
    /* and the queue goes on from the commit point */
    CHECK_EQ(zf_queue_put(&q, "after", 5, 0), 0);
    zf_queue_commit(&q);
    zf_rec *r = zf_queue_peek(&q);
    REQUIRE(r != NULL);
    CHECK_MEM(zf_rec_data(r), "kept", 4);
    zf_queue_pop(&q, r);
    r = zf_queue_peek(&q);
    REQUIRE(r != NULL);
    CHECK_EQ(r->size, 5);
    CHECK_MEM(zf_rec_data(r), "after", 5);
    zf_queue_pop(&q, r);
    CHECK(zf_queue_peek(&q) == NULL);
    zf_queue_destroy(&q);
}

static void test_external_buffer_ownership(void)
{
    zf_queue q;
    zf_release_stack st;
    atomic_init(&st.head, NULL);
    static uint8_t data[3][64];
    REQUIRE(zf_queue_init(&q) == 0);
    for (int i = 0; i < 3; i++) {
        memset(data[i], 'a' + i, sizeof data[i]);
        zf_buf *b = zf_buf_external(data[i], sizeof data[i], &st, (void *)(intptr_t)(i + 1));
        REQUIRE(b != NULL);
        /* an offset into the buffer: the record carries its own data pointer */
        CHECK_EQ(zf_queue_put_ext(&q, b, b->data + 8, 40, 0), 0);
    }
    zf_queue_commit(&q);
    /* 1: the reader takes the buffer over (pop) and releases it itself */
    zf_rec *r = zf_queue_peek(&q);
    REQUIRE(r && r->external);
    CHECK_EQ(r->size, 40);
    CHECK(zf_rec_data(r) == data[0] + 8);
    zf_buf *taken = zf_rec_ext_of(r)->buf;
    zf_queue_pop(&q, r);
    CHECK(zf_release_stack_take(&st) == NULL); /* still referenced by us */
    zf_buf_unref(taken);
    zf_buf *back = zf_release_stack_take(&st);
    CHECK(back == taken);
    if (back)
        zf_buf_free_external(back);
    /* 2: drop releases it */
    r = zf_queue_peek(&q);
    REQUIRE(r && r->external);
    zf_queue_drop(&q, r);
    back = zf_release_stack_take(&st);
    CHECK(back && back->hint == (void *)2);
    if (back)
        zf_buf_free_external(back);
    /* 3: destroy releases what was never read */
    zf_queue_destroy(&q);
    back = zf_release_stack_take(&st);
    CHECK(back && back->hint == (void *)3);
    if (back)
        zf_buf_free_external(back);
}

static void test_owned_buffer_refcount(void)
{
    zf_buf *b = zf_buf_new(1000);
    REQUIRE(b != NULL);
    CHECK_EQ(b->size, 1000);
    CHECK(b->stack == NULL);
    memset(b->data, 7, 1000); /* the whole size is writable (ASan would say otherwise) */
    zf_buf_ref(b);
    CHECK_EQ(atomic_load(&b->refs), 2);
    zf_buf_unref(b);
    CHECK_EQ(atomic_load(&b->refs), 1);
    zf_buf_unref(b); /* freed: a leak checker would see it otherwise */
}

static void test_records_cross_chunks_in_order(void)
{
    /* sizes that leave every kind of tail at a chunk's end: room for a SKIP header or not */
    zf_queue q;
    REQUIRE(zf_queue_init(&q) == 0);
    static uint8_t buf[ZF_INLINE_MAX];
    uint64_t written = 0, read = 0;
    size_t sizes[] = {0, 1, 7, 8, 9, 100, 4095, ZF_INLINE_MAX, 3, 8000, 17};
    int nsizes = (int)(sizeof sizes / sizeof sizes[0]);
    for (int round = 0; round < 40; round++) {
        for (int k = 0; k < 50; k++, written++) {
            size_t n = sizes[(written * 7) % (uint64_t)nsizes];
            for (size_t i = 0; i < n; i++)
                buf[i] = pattern(written, 0, i);
            REQUIRE(zf_queue_put(&q, buf, n, 0) == 0);
            zf_queue_commit(&q);
        }
        /* read all but a few, so the reader trails the writer across chunk changes */
        zf_rec *r;
        while (read + 3 < written && (r = zf_queue_peek(&q)) != NULL) {
            size_t n = sizes[(read * 7) % (uint64_t)nsizes];
            if (r->size != n) {
                CHECK_EQ(r->size, n);
                break;
            }
            uint8_t *d = zf_rec_data(r);
            for (size_t i = 0; i < n; i++)
                if (d[i] != pattern(read, 0, i)) {
                    CHECK_EQ(d[i], pattern(read, 0, i));
                    break;
                }
            zf_queue_pop(&q, r);
            read++;
        }
    }
    CHECK(written - read == 3);
    zf_queue_destroy(&q);
}

/* ---- two threads: one writer, one reader, as a pipe uses the queue ------------------------- */

#define STRESS_MSGS 100000

typedef struct stress {
    zf_queue q;
    zf_release_stack st;
    _Atomic int reader_done;
    int errors;
} stress;

/* Message m has 1 + m % 3 frames; frame sizes cycle through small, medium and out-of-line. */
static int stress_frames(uint64_t m) { return 1 + (int)(m % 3); }
static size_t stress_size(uint64_t m, int f)
{
    static const size_t sz[] = {0, 1, 13, 64, 300, 2048, ZF_INLINE_MAX, ZF_INLINE_MAX + 1, 20000};
    return sz[(m + (uint64_t)f * 5) % 9];
}

static void *stress_writer(void *arg)
{
    stress *s = arg;
    static uint8_t buf[20000];
    for (uint64_t m = 0; m < STRESS_MSGS; m++) {
        int nf = stress_frames(m);
        for (int f = 0; f < nf; f++) {
            size_t n = stress_size(m, f);
            int flags = f + 1 < nf ? ZF_REC_MORE : 0;
            int rc;
            if (n > ZF_INLINE_MAX) {
                zf_buf *b = zf_buf_new(n);
                if (!b)
                    abort();
                for (size_t i = 0; i < n; i++)
                    b->data[i] = pattern(m, f, i);
                rc = zf_queue_put_ext(&s->q, b, b->data, n, flags);
            } else {
                for (size_t i = 0; i < n; i++)
                    buf[i] = pattern(m, f, i);
                rc = zf_queue_put(&s->q, buf, n, flags);
            }
            if (rc != 0)
                abort();
        }
        zf_queue_commit(&s->q); /* at message boundaries only, as a pipe does */
    }
    return NULL;
}

static void *stress_reader(void *arg)
{
    stress *s = arg;
    uint64_t m = 0;
    int f = 0;
    while (m < STRESS_MSGS && s->errors < 5) {
        zf_rec *r = zf_queue_peek(&s->q);
        if (!r) {
            sched_yield(); /* not a spin: on a loaded machine the writer needs the core */
            continue;
        }
        if (f == 0) {
            /* the whole message must be there already: walk it without popping */
            zf_rec *x = r;
            for (int k = 1; k < stress_frames(m); k++) {
                x = zf_queue_peek_after(&s->q, x);
                if (!x) {
                    fprintf(stderr, "message %llu: frame %d not visible with frame 0\n",
                            (unsigned long long)m, k);
                    s->errors++;
                    break;
                }
            }
        }
        size_t n = stress_size(m, f);
        int want_more = f + 1 < stress_frames(m);
        if (r->size != n || !!(r->flags & ZF_REC_MORE) != want_more ||
            (r->external != 0) != (n > ZF_INLINE_MAX)) {
            fprintf(stderr, "message %llu frame %d: size %llu flags %d external %d\n",
                    (unsigned long long)m, f, (unsigned long long)r->size, r->flags, r->external);
            s->errors++;
        } else {
            const uint8_t *d = zf_rec_data(r);
            for (size_t i = 0; i < n; i++)
                if (d[i] != pattern(m, f, i)) {
                    fprintf(stderr, "message %llu frame %d: byte %zu wrong\n", (unsigned long long)m,
                            f, i);
                    s->errors++;
                    break;
                }
        }
        zf_queue_drop(&s->q, r);
        if (++f == stress_frames(m)) {
            f = 0;
            m++;
        }
    }
    atomic_store(&s->reader_done, 1);
    return NULL;
}

static void test_two_thread_stress_every_byte_whole_messages(void)
{
    stress *s = calloc(1, sizeof *s);
    REQUIRE(s != NULL);
    REQUIRE(zf_queue_init(&s->q) == 0);
    pthread_t w, r;
    REQUIRE(pthread_create(&r, NULL, stress_reader, s) == 0);
    REQUIRE(pthread_create(&w, NULL, stress_writer, s) == 0);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    CHECK_EQ(s->errors, 0);
    CHECK(atomic_load(&s->reader_done));
    CHECK(zf_queue_peek(&s->q) == NULL);
    zf_queue_destroy(&s->q);
    free(s);
}

int main(void)
{
    RUN(test_empty_queue_has_nothing_to_read);
    RUN(test_records_visible_only_after_commit_in_order);
    RUN(test_empty_frames_and_commands);
    RUN(test_rollback_drops_uncommitted_records_and_their_buffers);
    RUN(test_external_buffer_ownership);
    RUN(test_owned_buffer_refcount);
    RUN(test_records_cross_chunks_in_order);
    RUN(test_two_thread_stress_every_byte_whole_messages);
    return check_summary("test_queue");
}
