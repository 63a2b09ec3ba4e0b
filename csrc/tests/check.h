/* check.h: the few macros the engine's C tests share (csrc/tests/, run by .ci/ctest).
 *
 * A test file is a set of `static void test_x(void)` functions and a main() that runs each with
 * RUN(test_x) and ends with `return check_summary();`. A failed CHECK prints where and what and
 * counts, but the test goes on (one run shows every failure); REQUIRE also returns from the test
 * function, for checks whose failure would make the next lines crash. The binary's exit status
 * is 1 when anything failed, 0 otherwise; SKIP marks a test that cannot run on this platform
 * (printed, never a failure). No allocation, no dependency beyond the C library. */
#ifndef ZF_CHECK_H
#define ZF_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_total; /* failed checks in this binary */
static int check_tests_run, check_tests_failed, check_tests_skipped;
static int check_skipped_now; /* set by SKIP in the running test */

static inline void check_fail_at(const char *file, int line, const char *func, const char *what)
{
    fprintf(stderr, "%s:%d: in %s: %s\n", file, line, func, what);
    check_failed_total++;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            check_fail_at(__FILE__, __LINE__, __func__, "CHECK(" #cond ") failed");                \
    } while (0)

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            check_fail_at(__FILE__, __LINE__, __func__, "REQUIRE(" #cond ") failed");              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Integers compared as long long, both values printed on failure. */
#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_) {                                                                \
            char check_msg_[512];                                                                  \
            snprintf(check_msg_, sizeof check_msg_, "CHECK_EQ(%s, %s) failed: %lld != %lld", #a,  \
                     #b, check_a_, check_b_);                                                      \
            check_fail_at(__FILE__, __LINE__, __func__, check_msg_);                               \
        }                                                                                          \
    } while (0)

static inline void check_hexdump(const char *label, const uint8_t *p, size_t n)
{
    fprintf(stderr, "    %s:", label);
    for (size_t i = 0; i < n && i < 64; i++)
        fprintf(stderr, "%s%02x", i % 32 ? "" : "\n      ", p[i]);
    fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

/* n bytes at a and at b are equal; both printed (64 bytes at most) when not. */
#define CHECK_MEM(a, b, n)                                                                         \
    do {                                                                                           \
        const uint8_t *check_pa_ = (const uint8_t *)(a), *check_pb_ = (const uint8_t *)(b);       \
        size_t check_n_ = (size_t)(n);                                                             \
        if (memcmp(check_pa_, check_pb_, check_n_) != 0) {                                         \
            check_fail_at(__FILE__, __LINE__, __func__, "CHECK_MEM(" #a ", " #b ") differ");       \
            check_hexdump(#a, check_pa_, check_n_);                                                \
            check_hexdump(#b, check_pb_, check_n_);                                                \
        }                                                                                          \
    } while (0)

/* This test cannot run here (say why); it counts as skipped, not passed. */
#define SKIP(why)                                                                                  \
    do {                                                                                           \
        printf("  skip %s: %s\n", __func__, why);                                                  \
        check_skipped_now = 1;                                                                     \
        return;                                                                                    \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int check_before_ = check_failed_total;                                                    \
        check_skipped_now = 0;                                                                     \
        fn();                                                                                      \
        check_tests_run++;                                                                         \
        if (check_failed_total != check_before_) {                                                 \
            check_tests_failed++;                                                                  \
            printf("  FAIL %s\n", #fn);                                                            \
        } else if (check_skipped_now) {                                                            \
            check_tests_skipped++;                                                                 \
        } else {                                                                                   \
            printf("  ok   %s\n", #fn);                                                            \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

/* The binary's exit status, after a one-line summary .ci/ctest collects. */
static inline int check_summary(const char *name)
{
    printf("%s: %d tests, %d failed, %d skipped\n", name, check_tests_run, check_tests_failed,
           check_tests_skipped);
    return check_tests_failed ? 1 : 0;
}

/* Hex text (as published vectors are typed) into bytes; returns the byte count. The text must
 * be well formed: a malformed vector is the test's own bug, so it aborts loudly. */
static inline size_t check_unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ' || *p == '\n') {
            p++;
            continue;
        }
        unsigned v;
        if (n >= cap || sscanf(p, "%2x", &v) != 1) {
            fprintf(stderr, "check_unhex: bad vector text near \"%.10s\"\n", p);
            abort();
        }
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

#endif
