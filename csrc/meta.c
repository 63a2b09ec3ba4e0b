/* meta.c: building and reading connection metadata (see meta.h). */
#include "meta.h"

#include <errno.h>
#include <string.h>

#include "zmtp.h"

zf_buf *zf_meta_new(const char *peer_addr, const uint8_t *props, size_t len)
{
    size_t al = peer_addr ? strlen(peer_addr) : 0;
    if (al > 255)
        al = 255;
    zf_buf *b = zf_buf_new(1 + al + len);
    if (!b)
        return NULL;
    b->data[0] = (uint8_t)al;
    memcpy(b->data + 1, peer_addr, al);
    if (len)
        memcpy(b->data + 1 + al, props, len);
    return b;
}

struct lookup {
    const char *name;
    const uint8_t *val;
    size_t len;
    int found;
};

/* Names are compared exactly, as libzmq's zmq_msg_gets does (ZMTP calls them case-insensitive,
 * but a lookup is not). */
static int match(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    struct lookup *l = arg;
    if (strlen(l->name) != nl || strncmp(l->name, (const char *)name, nl) != 0)
        return 0;
    l->val = val;
    l->len = vl;
    l->found = 1;
    return 1;
}

int zf_meta_get(const zf_buf *m, const char *name, const uint8_t **val, size_t *len)
{
    if (!m || m->size < 1)
        return -EINVAL;
    size_t al = m->data[0];
    if (strcmp(name, "Peer-Address") == 0) {
        if (!al)
            return -EINVAL;
        *val = m->data + 1;
        *len = al;
        return 0;
    }
    struct lookup l = {name, NULL, 0, 0};
    zf_zmtp_parse_metadata(m->data + 1 + al, m->size - 1 - al, match, &l);
    if (!l.found)
        return -EINVAL;
    *val = l.val;
    *len = l.len;
    return 0;
}
