/* platform.h: atomics, cache-line padding, clocks and branch hints shared by the engine.
 * Everything OS-specific that more than one file needs lives here, so the rest stays portable. */
#ifndef ZF_PLATFORM_H
#define ZF_PLATFORM_H

#ifdef _WIN32
/* Windows 10 (1803) or later: AF_UNIX sockets for ipc. These must precede the first Windows
 * header anywhere in a translation unit, which is why they live in the header every engine file
 * includes first; winsock2.h comes before windows.h so that the old winsock.h never does. */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>
#endif

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#ifdef _WIN32
#include <malloc.h>
#endif

#define ZF_CACHELINE 64
#define ZF_ALIGNED __attribute__((aligned(ZF_CACHELINE)))

/* Not exported from the extension. On Windows (PE) nothing leaves a DLL without dllexport, so
 * the attribute, which GCC rejects there, is not needed. */
#ifdef _WIN32
#define ZF_HIDDEN
#else
#define ZF_HIDDEN __attribute__((visibility("hidden")))
#endif

#define zf_likely(x) __builtin_expect(!!(x), 1)
#define zf_unlikely(x) __builtin_expect(!!(x), 0)

/* Monotonic clock in milliseconds; timers and timeouts all use it. */
#ifdef _WIN32
/* QueryPerformanceCounter: monotonic, sub-microsecond, and a plain user-mode read on every
 * Windows 10 machine. Its frequency is fixed at boot, so it is read once. GetTickCount64 would
 * be cheaper but ticks in 15.6 ms steps, too coarse for RCVTIMEO and the heartbeat timers. */
static inline int64_t zf_win_qpc_scaled(int64_t per_second)
{
    static _Atomic int64_t freq; /* 0 until read; every thread would store the same value */
    int64_t f = atomic_load_explicit(&freq, memory_order_relaxed);
    LARGE_INTEGER c;
    if (zf_unlikely(!f)) {
        LARGE_INTEGER q;
        QueryPerformanceFrequency(&q);
        f = q.QuadPart;
        atomic_store_explicit(&freq, f, memory_order_relaxed);
    }
    QueryPerformanceCounter(&c);
    /* split so that counter * per_second cannot overflow for centuries of uptime */
    return c.QuadPart / f * per_second + c.QuadPart % f * per_second / f;
}
static inline int64_t zf_now_ms(void) { return zf_win_qpc_scaled(1000); }
static inline int64_t zf_now_us(void) { return zf_win_qpc_scaled(1000000); }
#else
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
#endif

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
#ifdef _WIN32
    return (int64_t)GetTickCount64(); /* a read of shared memory, 15.6 ms steps */
#else
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

/* Memory aligned to align (a power of two; size a multiple of it), or NULL; released only with
 * zf_aligned_free: Windows' C runtime has no aligned_alloc, and what its _aligned_malloc returns
 * must not go to free(). */
static inline void *zf_aligned_alloc(size_t align, size_t size)
{
#ifdef _WIN32
    return _aligned_malloc(size, align);
#else
    return aligned_alloc(align, size);
#endif
}

static inline void zf_aligned_free(void *p)
{
#ifdef _WIN32
    _aligned_free(p);
#else
    free(p);
#endif
}

/* The full fence used on both sides of every "parked" hand-shake: the writer publishes data then
 * reads the flag, the reader sets the flag then reads the data. Without a StoreLoad barrier on both
 * sides each could miss the other, and a wake-up would be lost. */
static inline void zf_fence(void) { atomic_thread_fence(memory_order_seq_cst); }

#endif
