/* sock_pipeline.c: PUSH, PULL and PAIR. PUSH load-balances and never reads; PULL fair-queues and
 * never writes; PAIR talks to exactly one peer at a time. */
#include "socket.h"

static int pair_attach(zf_sock *s, zf_pipe *p)
{
    /* libzmq keeps the first peer; a second one is turned away until the first is gone. */
    for (int i = 0; i < s->npipes; i++) {
        zf_pipe *q = s->pipes[i];
        if (!q->end[zf_sock_end(s, q)].peer_gone)
            return -1;
    }
    (void)p;
    return 0;
}

const zf_sock_ops zf_push_ops = {
    .reads = 0, .writes = 1,
    .send = zf_lb_send,
    .has_out = zf_lb_has_out,
};

const zf_sock_ops zf_pull_ops = {
    .reads = 1, .writes = 0,
    .recv = zf_fq_recv,
    .has_in = zf_fq_has_in,
};

const zf_sock_ops zf_pair_ops = {
    .reads = 1, .writes = 1,
    .attach = pair_attach,
    .send = zf_lb_send,
    .recv = zf_fq_recv,
    .has_in = zf_fq_has_in,
    .has_out = zf_lb_has_out,
};
