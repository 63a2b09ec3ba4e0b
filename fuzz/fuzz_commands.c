/* fuzz_commands: one command frame's payload as a peer sends it during and after the handshake:
 * the name and body (zf_zmtp_command), READY's metadata (zf_zmtp_parse_metadata with what
 * mech.c's zf_mech_take_metadata reads: Socket-Type, Identity), ERROR's status (zf_zmtp_error_status),
 * PING, and the metadata kept for Frame.get (zf_meta_new, zf_meta_get). */
#include "fuzz.h"
#include "meta.h"
#include "mech_plain.h"
#include "zmtp.h"

#include <errno.h>
#include <strings.h>

struct walk {
    const uint8_t *base;
    size_t len;
    int type, props;
    const uint8_t *id;
    size_t idlen;
    const uint8_t *last; /* the last name seen, to be looked up again through zf_meta_get */
    size_t lastlen;
};

static int prop(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    struct walk *w = arg;
    CHECK(nl >= 1 && nl <= 255);
    CHECK(fuzz_within(w->base, w->len, name, nl) && fuzz_within(w->base, w->len, val, vl));
    if (nl == 11 && strncasecmp((const char *)name, "Socket-Type", 11) == 0)
        w->type = zf_zmtp_type_from_name(val, vl);
    else if (nl == 8 && strncasecmp((const char *)name, "Identity", 8) == 0) {
        w->id = val;
        w->idlen = vl;
    }
    w->last = name;
    w->lastlen = nl;
    w->props++;
    return 0;
}

static void metadata(const uint8_t *data, size_t dl)
{
    struct walk w = {.base = data, .len = dl, .type = -1};
    int rc = zf_zmtp_parse_metadata(data, dl, prop, &w);
    CHECK(rc == 0 || rc == -EPROTO);
    if (w.type >= 0) {
        CHECK(w.type < ZF_NTYPES);
        for (int ours = 0; ours < ZF_NTYPES; ours++)
            CHECK(zf_zmtp_compatible(ours, w.type) == zf_zmtp_compatible(w.type, ours));
    }
    if (rc < 0)
        return;
    /* accepted: the session keeps the properties for Frame.get */
    zf_buf *m = zf_meta_new("192.0.2.1", data, dl);
    CHECK(m != NULL);
    const uint8_t *val;
    size_t vl;
    CHECK(zf_meta_get(m, "Peer-Address", &val, &vl) == 0 && vl == 9);
    const char *names[] = {"Socket-Type", "Identity", "User-Id", "X-Custom", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (zf_meta_get(m, names[i], &val, &vl) == 0)
            CHECK(fuzz_within(m->data, m->size, val, vl));
    if (w.last && memchr(w.last, 0, w.lastlen) == NULL) {
        char name[256];
        memcpy(name, w.last, w.lastlen);
        name[w.lastlen] = 0;
        if (strcmp(name, "Peer-Address") != 0)
            CHECK(zf_meta_get(m, name, &val, &vl) == 0 && fuzz_within(m->data, m->size, val, vl));
    }
    zf_buf_unref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    uint8_t *p = fuzz_dup(d, n);
    const uint8_t *name, *data;
    size_t nl, dl;
    if (zf_zmtp_command(p, n, &name, &nl, &data, &dl) == 0) {
        CHECK(fuzz_within(p, n, data, dl));
        /* the body alone, in a buffer of its own size, as the parsers below may be given it */
        uint8_t *body = fuzz_dup(data, dl);
        if (zf_zmtp_is_command(name, nl, "ERROR")) {
            int st = zf_zmtp_error_status(body, dl);
            CHECK(st == 0 || (st >= 300 && st <= 599));
        } else if (zf_zmtp_is_command(name, nl, "PING")) {
            uint8_t pong[32];
            CHECK(zf_zmtp_pong(pong, body, dl) <= sizeof pong);
        } else {
            /* READY, PLAIN's INITIATE, and whatever else: the metadata walk must hold up */
            metadata(body, dl);
        }
        free(body);
    }
    free(p);
    return 0;
}
