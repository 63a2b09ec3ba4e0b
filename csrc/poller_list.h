/* poller_list.h: the registered-handler list that the poll and select backends rebuild their
 * wait set from (epoll keeps its set in the kernel). Internal to poller_list.c (adding, setting,
 * deleting: poller.h's calls, the same for both) and poller_poll.c/poller_select.c (the wait). */
#ifndef ZF_POLLER_LIST_H
#define ZF_POLLER_LIST_H

#include <errno.h>
#include <stdlib.h>

#include "poller.h"

/* Copy the handler list to p->batch, so that handlers added or deleted while a batch is
 * dispatched do not disturb its walk; 0, or -ENOMEM when the scratch could not grow (the caller
 * then skips this wait and retries on the next). grow(p, cap) resizes the backend's own
 * per-entry scratch to cap entries. */
static inline int zf_poller_list_snapshot(zf_poller *p, int (*grow)(zf_poller *p, int cap))
{
    if (p->nhs > p->batch_cap) {
        int cap = p->hs_cap;
        zf_handler **b = realloc(p->batch, (size_t)cap * sizeof *b);
        if (!b)
            return -ENOMEM;
        p->batch = b;
        if (grow(p, cap) < 0)
            return -ENOMEM;
        p->batch_cap = cap;
    }
    for (int i = 0; i < p->nhs; i++)
        p->batch[i] = p->hs[i];
    return 0;
}

#endif
