/* test_idmap.c: the I/O thread's two lookup structures. The id -> pointer map (idmap.h) it
 * finds its sessions by: empty lookups, growth keeping every entry, and a random model check of
 * puts and takes (takes shift later members of a probe run back, which a wrong rule would
 * lose). Its timers (io.h, a min-heap): a random model check of arming, re-arming and
 * cancelling, the heap order and every timer's slot verified after each step. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "idmap.h"
#include "io.h"

static void test_empty_map_finds_nothing(void)
{
    zf_idmap m = {0};
    CHECK(zf_idmap_find(&m, 1) == NULL);
    zf_idmap_take(&m, 1); /* absent: nothing happens */
    CHECK_EQ(m.n, 0);
    CHECK_EQ(zf_idmap_put(&m, 0, &m), -EINVAL); /* 0 marks an empty slot */
    zf_idmap_free(&m);
}

static void test_growth_keeps_every_entry(void)
{
    zf_idmap m = {0};
    static int vals[10000];
    for (int i = 0; i < 10000; i++)
        REQUIRE(zf_idmap_put(&m, (uint64_t)i + 1, &vals[i]) == 0);
    CHECK_EQ(m.n, 10000);
    CHECK(m.cap >= 20000);
    int wrong = 0;
    for (int i = 0; i < 10000; i++)
        wrong += zf_idmap_find(&m, (uint64_t)i + 1) != &vals[i];
    CHECK_EQ(wrong, 0);
    CHECK(zf_idmap_find(&m, 10001) == NULL);
    zf_idmap_free(&m);
}

/* Random puts and takes over a pool of range random ids, checked against a model. Random ids
 * (not the sequence sessions get, which Fibonacci hashing spreads evenly) collide, and a small
 * pool keeps the table small, so probe runs form and wrap around its end often. */
static int model_run(size_t range, int steps, uint64_t seed)
{
    char *present = calloc(range, 1);
    uint64_t *ids = calloc(range, sizeof *ids);
    zf_idmap m = {0};
    uint64_t rng = seed;
    int wrong = 0;
    size_t n = 0;
    if (!present || !ids) {
        free(present);
        free(ids);
        return 1;
    }
    for (size_t k = 0; k < range; k++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* random high bits, the index (below 65,535) in the low 16: distinct and nonzero */
        ids[k] = ((rng ^ (rng >> 29)) & ~(uint64_t)0xffff) | (uint64_t)(k + 1);
    }
    for (int step = 0; step < steps; step++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t k = (size_t)((rng >> 33) % range);
        if (present[k]) {
            zf_idmap_take(&m, ids[k]);
            present[k] = 0;
            n--;
        } else {
            if (zf_idmap_put(&m, ids[k], &ids[k]) < 0) {
                wrong++;
                break;
            }
            present[k] = 1;
            n++;
        }
        if (range < 100 || step % 997 == 0) /* every id, now and then */
            for (size_t j = 0; j < range; j++)
                wrong += zf_idmap_find(&m, ids[j]) != (present[j] ? &ids[j] : NULL);
    }
    wrong += m.n != n;
    zf_idmap_free(&m);
    free(present);
    free(ids);
    return wrong;
}

static void test_random_puts_and_takes_match_a_model(void)
{
    CHECK_EQ(model_run(3000, 200000, 0x12345678), 0);
    for (uint64_t seed = 1; seed <= 50; seed++) /* tables of 16 and 32 slots */
        CHECK_EQ(model_run(12, 2000, seed), 0);
}

static void no_fire(zf_timer *t) { (void)t; }

/* 0 if io's heap holds exactly the timers with armed[i] set, in heap order, slots right. */
static int heap_ok(const zf_io *io, const zf_timer *ts, const int *armed, int n)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (armed[i] != (ts[i].slot >= 0))
            return 1;
        if (armed[i]) {
            count++;
            if (ts[i].slot >= io->ntimers || io->timers[ts[i].slot] != &ts[i])
                return 2;
        }
    }
    if (count != io->ntimers)
        return 3;
    for (int i = 1; i < io->ntimers; i++)
        if (io->timers[(i - 1) / 2]->when > io->timers[i]->when)
            return 4; /* a parent later than its child: the earliest is not at the top */
    return 0;
}

static void test_timer_heap_matches_a_model(void)
{
    enum { N = 300, STEPS = 60000 };
    static zf_timer ts[N];
    static int armed[N];
    zf_io io;
    memset(&io, 0, sizeof io);
    for (int i = 0; i < N; i++) {
        ts[i].slot = -1;
        ts[i].fire = no_fire;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int bad = 0;
    for (int step = 0; step < STEPS && !bad; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int i = (int)(x % N);
        int64_t delay = (int64_t)((x >> 20) % 100000); /* ties too: many equal whens */
        if ((x >> 40) % 3 == 0) {
            zf_io_timer_cancel(&io, &ts[i]);
            armed[i] = 0;
        } else {
            zf_io_timer_set(&io, &ts[i], (x >> 50) % 4 == 0 ? 5 : delay); /* re-arms move both ways */
            armed[i] = 1;
        }
        bad = heap_ok(&io, ts, armed, N);
    }
    CHECK_EQ(bad, 0);
    /* taking the top until empty gives the whens in order */
    int64_t last = INT64_MIN;
    int disorder = 0;
    while (io.ntimers > 0) {
        zf_timer *t = io.timers[0];
        disorder += t->when < last;
        last = t->when;
        zf_io_timer_cancel(&io, t);
    }
    CHECK_EQ(disorder, 0);
    free(io.timers);
}

int main(void)
{
    RUN(test_empty_map_finds_nothing);
    RUN(test_growth_keeps_every_entry);
    RUN(test_random_puts_and_takes_match_a_model);
    RUN(test_timer_heap_matches_a_model);
    return check_summary("test_idmap");
}
