/* direct_send.c: direct transmit, and the lock that makes it safe.
 *
 * A request/reply round trip through the I/O thread pays, on the sending side, a wake-up (a
 * syscall) and a thread hop before the message reaches the kernel. When the application thread
 * commits to a parked session's pipe right after receiving a message it had waited for (the
 * request/reply rhythm: socket.c's rx_starved), it writes the message to the connection itself,
 * under the pipe's tx_lock, which the I/O thread holds while it handles any event of the
 * session (zf_session_tx_enter .. zf_session_tx_leave around every entry into a session, inline
 * in session.h). Anything short of a complete write (EAGAIN, a partial write, an error, a lock
 * held) falls back to waking the I/O thread, which carries on from the same state.
 * A streaming sender never takes this path: it does not receive between its sends, and batching
 * in the I/O thread is what makes it fast. Nor does a server that finds its requests already
 * queued (busy, behind its peers): its replies go through the I/O thread, which then runs beside
 * it instead of being woken per message, and the write's cost (on loopback the kernel delivers
 * to the receiver inside the sender's sendmsg, about 7 us) stays off the busy thread.
 *
 * THE FUNCTIONS THAT MAY RUN IN THE APPLICATION THREAD, all under tx_lock and only on a session
 * that zf_session_tx_leave published in pipe->direct (connected, S_ACTIVE, not closing):
 *   zf_session_direct           (below; called by zf_waker_kick when the socket commits)
 *   s->engine->fill             (engine_zmtp.c: zmtp_fill, take_ctl, encode_sub, drop_rec;
 *                                engine_raw.c: raw_fill)
 *   s->mech->put, put_big, span (the mechanism's frame encoders: engine_zmtp.c's plain
 *                                framing for NULL and PLAIN, mech_curve.c's boxes for CURVE)
 *   zf_session_write_out, zf_session_wrote (below)
 * None of them may arm the poller, set a timer, bury, destroy the session or report a monitor
 * event: anything that needs the I/O thread is left in the session's state for it to find.
 * A failed CURVE box shuts the fd down (shutdown(2)), which the I/O thread then sees. Pipes a
 * session makes at connection time (accepting side, IMMEDIATE) get the direct hook under ZMTP
 * only; a connecting session's pipe has it whatever the engine. */
#define ZF_SESSION_INTERNAL
#include "session.h"

#include "net.h" /* and sys.h: struct iovec */

/* Called in the application thread from zf_waker_kick; see above. 1: sent, and the session
 * parked again (no wake due); 0: wake the I/O thread as usual. */
int zf_session_direct(zf_pipe *p, int end)
{
    (void)end;
    zf_sock_link *sock = p->end[0].owner; /* the socket: its link is its first member */
    if (!sock || !sock->rx_since_tx)
        return 0;
    sock->rx_since_tx = 0;
    if (!zf_pipe_tx_trylock(p))
        return 0;
    zf_session *s = p->direct;
    int sent = 0;
    if (s && s->pipe == p && s->h.fd >= 0 && s->state == S_ACTIVE && !s->out_armed && !s->tx_done &&
        s->wpos == s->wlen && !s->tx_big) {
        s->engine->fill(s);
        size_t pending = s->wlen - s->wpos;
        if (!s->tx_done && (pending || s->tx_big)) {
            ssize_t n = zf_session_write_out(s, pending);
            if (n > 0)
                zf_session_wrote(s, pending, (size_t)n);
        }
        if (!s->tx_done && s->wpos == s->wlen && !s->tx_big) {
            /* park the session again, then look: we are the only producer */
            atomic_store_explicit(&p->end[1].own_parked, 1, memory_order_relaxed);
            zf_fence();
            if (!zf_queue_peek(&p->q[0]))
                sent = 1;
            else
                atomic_store_explicit(&p->end[1].own_parked, 0, memory_order_relaxed);
        }
    }
    zf_pipe_tx_unlock(p);
    return sent;
}

/* One sendmsg of what is pending: the write buffer, then a large frame's body. */
ssize_t zf_session_write_out(zf_session *s, size_t pending)
{
    struct iovec iov[2];
    int cnt = 0;
    if (pending) {
        iov[cnt].iov_base = s->wbuf + s->wpos;
        iov[cnt++].iov_len = pending;
    }
    if (s->tx_big) {
        iov[cnt].iov_base = (void *)s->tx_big_ptr;
        iov[cnt++].iov_len = s->tx_big_left;
    }
    return zf_net_sendv(s->h.fd, iov, cnt);
}

/* n bytes of what write_out offered went out. */
void zf_session_wrote(zf_session *s, size_t pending, size_t n)
{
    size_t a = n < pending ? n : pending;
    s->wpos += a;
    n -= a;
    if (s->wpos == s->wlen)
        s->wpos = s->wlen = 0;
    if (s->tx_big) {
        s->tx_big_ptr += n;
        s->tx_big_left -= n;
        if (!s->tx_big_left) {
            zf_buf_unref(s->tx_big);
            s->tx_big = NULL;
        }
    }
}
