/* platform.h: atomics, cache-line padding, clocks and branch hints shared by the engine.
 * Everything OS-specific that more than one file needs lives here, so the rest stays portable. */
#ifndef ZF_PLATFORM_H
#define ZF_PLATFORM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ZF_CACHELINE 64
#define ZF_ALIGNED __attribute__((aligned(ZF_CACHELINE)))

#define zf_likely(x) __builtin_expect(!!(x), 1)
#define zf_unlikely(x) __builtin_expect(!!(x), 0)

/* Monotonic clock in milliseconds; timers and timeouts all use it. */
static inline int64_t zf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t zf_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline void zf_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* A cheap clock (a few ns, millisecond-ish resolution) for throttling periodic work. */
static inline int64_t zf_coarse_ms(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The full fence used on both sides of every "parked" hand-shake: the writer publishes data then
 * reads the flag, the reader sets the flag then reads the data. Without a StoreLoad barrier on both
 * sides each could miss the other, and a wake-up would be lost. */
static inline void zf_fence(void) { atomic_thread_fence(memory_order_seq_cst); }

#endif
