/* fuzz.h: what the libFuzzer harnesses share. Each harness but fuzz_session drives one of the
 * engine's parsers of peer bytes (csrc/) directly: they are pure functions, so those harnesses
 * need no socket or thread. */
#ifndef ZF_FUZZ_H
#define ZF_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the parser broke: libFuzzer records the input as a crash. */
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* A copy of exactly n bytes on the heap: ASan then catches a read even one byte past what
 * the parser was given (libFuzzer's own buffer is exact only for the whole input). */
static inline uint8_t *fuzz_dup(const uint8_t *d, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        abort();
    if (n)
        memcpy(p, d, n);
    return p;
}

/* [p, p + n) lies inside [base, base + len) */
static inline int fuzz_within(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
    return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

#endif
