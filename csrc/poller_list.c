/* poller_list.c: poller.h's add, set and del for the backends that keep the handlers in a list
 * (poller_poll.c, poller_select.c; poller_list.h) and rebuild their wait set from it at each
 * wait. Adding is amortised O(1), deleting O(n): sessions come and go far less often than
 * events. Setting only records the events: the next wait reads them. */
#include "poller.h"

#if defined(ZF_POLLER_POLL) || defined(ZF_POLLER_SELECT)

#include "poller_list.h"

int zf_poller_add(zf_poller *p, zf_handler *h, uint32_t events)
{
    if (p->nhs == p->hs_cap) {
        int cap = p->hs_cap ? p->hs_cap * 2 : 16;
        zf_handler **n = realloc(p->hs, (size_t)cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        p->hs = n;
        p->hs_cap = cap;
    }
    p->hs[p->nhs++] = h;
    h->events = events;
    return 0;
}

int zf_poller_set(zf_poller *p, zf_handler *h, uint32_t events)
{
    (void)p;
    h->events = events;
    return 0;
}

void zf_poller_del(zf_poller *p, zf_handler *h)
{
    for (int i = 0; i < p->nhs; i++)
        if (p->hs[i] == h) {
            p->hs[i] = p->hs[--p->nhs];
            break;
        }
    h->events = 0;
}

#endif
