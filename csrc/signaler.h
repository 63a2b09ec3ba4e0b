/* signaler.h (not signal.h, which would shadow the system header): the wake-up primitive a thread parks on.
 * A notify costs a syscall only when the other side has declared itself parked. */
#ifndef ZF_SIGNAL_H
#define ZF_SIGNAL_H

#include "platform.h"

typedef struct zf_signal {
    _Atomic int parked; /* set by the owner before it sleeps; cleared by the one notifier that wakes it */
    int rfd;            /* readable when notified (eventfd on Linux, pipe read end elsewhere, a socket on Windows) */
    int wfd;            /* where notifications are written (same as rfd for eventfd) */
} zf_signal;

int zf_signal_init(zf_signal *s);
void zf_signal_close(zf_signal *s);
/* Unconditional wake-up (term, mailbox posts that must not be lost). */
void zf_signal_raise(zf_signal *s);
/* Wake the owner only if it is parked: the cheap path for data hand-offs. */
static inline void zf_signal_kick(zf_signal *s)
{
    zf_fence();
    if (atomic_load_explicit(&s->parked, memory_order_relaxed) &&
        atomic_exchange_explicit(&s->parked, 0, memory_order_acq_rel))
        zf_signal_raise(s);
}
/* Owner side: announce the intent to sleep. The caller must re-check its queues afterwards. */
static inline void zf_signal_park(zf_signal *s)
{
    atomic_store_explicit(&s->parked, 1, memory_order_relaxed);
    zf_fence();
}
/* Drain pending notifications without blocking. */
void zf_signal_drain(zf_signal *s);
/* Sleep until notified or timeout (ms, -1 forever), then drain. 0 notified, -EAGAIN timeout,
 * -EINTR. For a signal only one thread sleeps on. */
int zf_signal_wait(zf_signal *s, int timeout_ms);
/* The same without the drain: the notification stays for every other thread asleep on s (the
 * next zf_signal_drain, made before a look at what it announces, clears it). For a signal
 * several threads may sleep on: one that drained as it woke could take the wake-up from a
 * thread whose poll had not yet seen the fd readable, and that thread would sleep on. */
int zf_signal_sleep(zf_signal *s, int timeout_ms);

#endif
