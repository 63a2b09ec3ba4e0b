/* monitor.c: emitting socket events to the monitor's pipe. Binding the monitor's inproc address
 * is the context's (ctx.c, zf_sock_monitor): this file knows a socket's link (sock_link.h, where
 * the monitor hangs) and pipes only, so sessions below the socket can report events. */
#include "monitor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sock_link.h"

static void noop_wake(void *arg, zf_pipe *p, int end) { (void)arg; (void)p; (void)end; }

void zf_monitor_take_pipe(zf_monitor *m, zf_pipe *p)
{
    p->end[1].owner = m;
    p->end[1].waker.parked = &p->end[1].own_parked;
    p->end[1].waker.wake = noop_wake; /* the monitor never waits for anything */
    pthread_mutex_lock(&m->lock);
    zf_pipe *old = m->pipe;
    m->pipe = p;
    pthread_mutex_unlock(&m->lock);
    if (old) {
        zf_pipe_close_end(old, 1);
        zf_pipe_unref(old);
    }
}

static void put(zf_pipe *p, int event, int64_t value, const char *endpoint)
{
    /* libzmq's format: a 16-bit event and a 32-bit value in native byte order, then the
     * endpoint */
    uint8_t head[6];
    uint16_t ev = (uint16_t)event;
    uint32_t val = (uint32_t)value;
    memcpy(head, &ev, 2);
    memcpy(head + 2, &val, 4);
    zf_queue_put(&p->q[1], head, sizeof head, ZF_REC_MORE);
    zf_queue_put(&p->q[1], endpoint, strlen(endpoint), 0);
    zf_pipe_commit(p, 1);
    zf_pipe_wake_peer(p, 1);
}

void zf_monitor_event(zf_sock_link *s, int event, int64_t value, const char *endpoint)
{
    zf_monitor *m = atomic_load_explicit(&s->monitor, memory_order_acquire);
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    zf_pipe *p = m->pipe;
    if (p && (m->events & event)) {
        if (atomic_load(&p->end[0].closed)) {
            m->pipe = NULL; /* the application closed its end */
            zf_pipe_close_end(p, 1);
            zf_pipe_unref(p);
        } else if (zf_pipe_writable(p, 1)) {
            put(p, event, value, endpoint ? endpoint : "");
        }
    }
    pthread_mutex_unlock(&m->lock);
}

/* Stop: a last MONITOR_STOPPED if asked for, then no more events. The pipe, if any, is
 * returned for the caller to close (it is the context's inproc table that let it in). */
zf_pipe *zf_monitor_stop(zf_monitor *m)
{
    pthread_mutex_lock(&m->lock);
    zf_pipe *p = m->pipe;
    if (p && (m->events & ZF_EVENT_MONITOR_STOPPED))
        put(p, ZF_EVENT_MONITOR_STOPPED, 0, "");
    m->events = 0;
    m->pipe = NULL;
    pthread_mutex_unlock(&m->lock);
    return p;
}

zf_monitor *zf_monitor_new(void)
{
    zf_monitor *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void zf_monitor_set_events(zf_monitor *m, int events)
{
    pthread_mutex_lock(&m->lock);
    m->events = events;
    pthread_mutex_unlock(&m->lock);
}

void zf_monitor_free(zf_monitor *m)
{
    if (!m)
        return;
    if (m->pipe) {
        zf_pipe_close_end(m->pipe, 1);
        zf_pipe_unref(m->pipe);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}
