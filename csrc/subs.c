/* subs.c: counted prefix set (see subs.h). A flat array: subscription counts per socket are
 * small in practice, and matching a few prefixes with memcmp beats pointer-chasing a trie. */
#include "subs.h"

#include <stdlib.h>
#include <string.h>

static int find(const zf_subs *s, const uint8_t *p, size_t len)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].len == len && memcmp(s->v[i].prefix, p, len) == 0)
            return i;
    return -1;
}

int zf_subs_add(zf_subs *s, const uint8_t *p, size_t len)
{
    if (len == 0)
        return s->all++ == 0;
    int i = find(s, p, len);
    if (i >= 0) {
        s->v[i].count++;
        return 0;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        zf_sub_entry *v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, p, len);
    s->v[s->n].prefix = copy;
    s->v[s->n].len = len;
    s->v[s->n].count = 1;
    s->n++;
    return 1;
}

int zf_subs_remove(zf_subs *s, const uint8_t *p, size_t len)
{
    if (len == 0) {
        if (!s->all)
            return 0;
        return --s->all == 0;
    }
    int i = find(s, p, len);
    if (i < 0)
        return 0;
    if (--s->v[i].count)
        return 0;
    free(s->v[i].prefix);
    s->v[i] = s->v[--s->n];
    return 1;
}

int zf_subs_has(const zf_subs *s, const uint8_t *p, size_t len)
{
    return len == 0 ? s->all > 0 : find(s, p, len) >= 0;
}

int zf_subs_match(const zf_subs *s, const uint8_t *data, size_t len)
{
    if (s->all)
        return 1;
    for (int i = 0; i < s->n; i++)
        if (s->v[i].len <= len && memcmp(s->v[i].prefix, data, s->v[i].len) == 0)
            return 1;
    return 0;
}

void zf_subs_clear(zf_subs *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i].prefix);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
    s->all = 0;
}

void zf_subs_each(const zf_subs *s, void (*fn)(void *arg, const uint8_t *p, size_t len), void *arg)
{
    if (s->all)
        fn(arg, (const uint8_t *)"", 0);
    for (int i = 0; i < s->n; i++)
        fn(arg, s->v[i].prefix, s->v[i].len);
}
