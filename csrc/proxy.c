/* proxy.c: zmq_proxy / zmq_proxy_steerable. Moves whole messages between two sockets (and a
 * copy to an optional capture socket) without ever touching Python: the binding runs it with the
 * GIL released and re-enters it after a signal (-EINTR). Large frames change sockets without a
 * copy: their buffer reference moves from the received frame to the sent one. */
#include <errno.h>
#include <string.h>

#include "socket.h"

/* Send one frame, waiting (for ever, or until ETERM) while the destination is at HWM. A signal
 * does not interrupt a message half-forwarded; it is seen once the message is through. */
static int send_frame(zf_sock *to, zf_frame *f, int flags)
{
    for (;;) {
        int rc;
        if (f->buf) {
            zf_buf_ref(f->buf); /* send_buf consumes one reference, also on failure */
            rc = zf_sock_send_buf(to, f->buf, f->data, f->size, flags);
        } else {
            rc = zf_sock_send(to, f->data, f->size, flags);
        }
        if (rc != -EAGAIN)
            return rc;
        rc = zf_sock_wait(to, ZF_POLLOUT, -1);
        if (rc == -ZF_ETERM)
            return rc;
    }
}

/* Forward one whole message from `from` to `to`. stats: in[0] msgs, in[1] bytes of `from`;
 * out[2], out[3] of `to`. */
static int forward(zf_sock *from, zf_sock *to, zf_sock *capture, uint64_t *in, uint64_t *out)
{
    for (;;) {
        zf_frame f;
        int rc = zf_sock_recv(from, &f);
        if (rc < 0)
            return rc == -EAGAIN ? 0 : rc;
        int flags = f.more ? ZF_SNDMORE : 0;
        in[0]++;
        in[1] += f.size;
        /* The capture copy waits at HWM as libzmq's does, so a capture socket sees every
         * message whole; a PUB capture never waits (it drops). */
        rc = capture ? send_frame(capture, &f, flags) : 0;
        if (rc >= 0)
            rc = send_frame(to, &f, flags);
        if (f.buf)
            zf_buf_unref(f.buf);
        if (rc < 0)
            return rc;
        out[2]++;
        out[3] += f.size;
        if (!flags)
            return 0;
    }
}

static int is_cmd(const zf_frame *f, const char *name)
{
    return f->size == strlen(name) && memcmp(f->data, name, f->size) == 0;
}

/* A control message: PAUSE, RESUME, TERMINATE or STATISTICS. 1 when told to terminate. */
static int control(zf_proxy *px)
{
    zf_frame f;
    int rc = zf_sock_recv(px->control, &f);
    if (rc < 0)
        return rc == -EAGAIN ? 0 : rc;
    int more = f.more, result = 0;
    if (is_cmd(&f, "PAUSE"))
        px->paused = 1;
    else if (is_cmd(&f, "RESUME"))
        px->paused = 0;
    else if (is_cmd(&f, "TERMINATE"))
        result = 1;
    else if (is_cmd(&f, "STATISTICS")) {
        for (int i = 0; i < 8; i++)
            zf_sock_send(px->control, &px->stats[i], sizeof(uint64_t), i < 7 ? ZF_SNDMORE : 0);
    }
    if (f.buf)
        zf_buf_unref(f.buf);
    while (more) { /* ignore the rest of a multipart control message */
        if (zf_sock_recv(px->control, &f) < 0)
            break;
        more = f.more;
        if (f.buf)
            zf_buf_unref(f.buf);
    }
    return result;
}

int zf_proxy_run(zf_proxy *px)
{
    for (;;) {
        zf_pollitem it[3];
        int n = 0, ic = -1, ifr = -1, ib = -1;
        if (px->control) {
            ic = n;
            it[n++] = (zf_pollitem){.sock = px->control, .fd = -1, .events = ZF_POLLIN};
        }
        if (!px->paused) {
            ifr = n;
            it[n++] = (zf_pollitem){.sock = px->front, .fd = -1, .events = ZF_POLLIN};
            if (px->back != px->front) {
                ib = n;
                it[n++] = (zf_pollitem){.sock = px->back, .fd = -1, .events = ZF_POLLIN};
            }
        }
        int rc = zf_poll_scan(it, n, 0);
        if (rc == 0)
            rc = zf_poll_scan(it, n, 1); /* armed before sleeping */
        if (rc < 0)
            return rc;
        if (rc == 0) {
            rc = zf_poll_wait(it, n, px->wait_ms);
            if (rc == -EINTR || rc == -EAGAIN)
                return -EINTR; /* a signal, or the slice is over: the caller looks for signals
                                * and calls again (costs one wake-up per slice when idle) */
            continue;
        }
        if (ic >= 0 && it[ic].revents) {
            rc = control(px);
            if (rc != 0)
                return rc;
        }
        if (ifr >= 0 && it[ifr].revents) {
            rc = forward(px->front, px->back, px->capture, &px->stats[0], &px->stats[4]);
            if (rc < 0)
                return rc;
        }
        if (ib >= 0 && it[ib].revents) {
            rc = forward(px->back, px->front, px->capture, &px->stats[4], &px->stats[0]);
            if (rc < 0)
                return rc;
        }
    }
}
