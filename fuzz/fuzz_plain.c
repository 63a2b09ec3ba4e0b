/* fuzz_plain: PLAIN's commands from a peer (RFC 24): the client's HELLO body, user name and
 * password (zf_plain_parse_hello), and the ERROR a server answers with (zf_zmtp_error_status).
 * A HELLO that parses is rebuilt with zf_plain_hello and must read back the same. */
#include "fuzz.h"
#include "mech_plain.h"
#include "zmtp.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    uint8_t *p = fuzz_dup(d, n);
    const uint8_t *user, *pass;
    size_t ul, pl;
    int rc = zf_plain_parse_hello(p, n, &user, &ul, &pass, &pl);
    CHECK(rc == 0 || rc == -EPROTO);
    if (rc == 0) {
        CHECK(fuzz_within(p, n, user, ul) && fuzz_within(p, n, pass, pl));
        CHECK(2 + ul + pl == n);
        uint8_t frame[2 + 9 + 6 + 255 + 255];
        long fl = zf_plain_hello(frame, sizeof frame, user, ul, pass, pl);
        CHECK(fl > 0);
        int flags;
        uint64_t size;
        size_t hl = zf_zmtp_get_header(frame, (size_t)fl, &flags, &size);
        CHECK(hl && (flags & ZF_F_COMMAND) && hl + size == (size_t)fl);
        const uint8_t *name, *body;
        size_t nl, bl;
        CHECK(zf_zmtp_command(frame + hl, (size_t)size, &name, &nl, &body, &bl) == 0);
        CHECK(zf_zmtp_is_command(name, nl, "HELLO") && bl == n && memcmp(body, p, n) == 0);
    }
    int st = zf_zmtp_error_status(p, n);
    CHECK(st == 0 || (st >= 300 && st <= 599));

    /* our ERROR with a reason from the input: at most 255 bytes of it, read back */
    char reason[300];
    size_t rl = 0;
    while (rl < n && rl < sizeof reason - 1 && d[rl])
        rl++;
    memcpy(reason, d, rl);
    reason[rl] = 0;
    uint8_t err[9 + 6 + 256];
    long el = zf_zmtp_error(err, sizeof err, reason);
    CHECK(el > 0 && (size_t)el <= sizeof err);
    free(p);
    return 0;
}
