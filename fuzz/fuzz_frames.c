/* fuzz_frames: a byte stream after the greeting, cut into frames as engine_zmtp.c's decoder does
 * with zf_zmtp_get_header: short and long headers, flags, sizes up to 2^64 - 1, commands
 * (zf_zmtp_command) and the PONG a PING gets (zf_zmtp_pong into engine_zmtp.c's 32-byte buffer).
 * Every header is also parsed from each shorter prefix (bytes arrive in pieces) and
 * re-encoded with zf_zmtp_put_header, which must read back the same. */
#include "fuzz.h"
#include "zmtp.h"

#define CMD_MAX (64 * 1024 - 16) /* session.h's ZF_CMD_MAX: a command must fit in the read buffer */

static void command(const uint8_t *body, size_t len)
{
    uint8_t *p = fuzz_dup(body, len);
    const uint8_t *name, *data;
    size_t nl, dl;
    if (zf_zmtp_command(p, len, &name, &nl, &data, &dl) == 0) {
        CHECK(fuzz_within(p, len, name, nl) && fuzz_within(p, len, data, dl));
        CHECK(1 + nl + dl == len);
        if (zf_zmtp_is_command(name, nl, "PING")) {
            uint8_t *pong = malloc(32);
            size_t pn = zf_zmtp_pong(pong, data, dl);
            CHECK(pn <= 32);
            int flags;
            uint64_t size;
            size_t hl = zf_zmtp_get_header(pong, pn, &flags, &size);
            CHECK(hl == 2 && flags == ZF_F_COMMAND && hl + size == pn);
            free(pong);
        }
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    size_t pos = 0;
    int frames = 0;
    while (pos < n && frames < 4096) {
        int flags;
        uint64_t size;
        size_t avail = n - pos;
        uint8_t *p = fuzz_dup(d + pos, avail < 9 ? avail : 9);
        size_t hl = zf_zmtp_get_header(p, avail < 9 ? avail : 9, &flags, &size);
        for (size_t k = 0; k < (avail < 9 ? avail : 9); k++) {
            int f2;
            uint64_t s2;
            size_t h2 = zf_zmtp_get_header(p, k, &f2, &s2);
            CHECK(h2 == 0 || (h2 == hl && f2 == flags && s2 == size));
        }
        free(p);
        if (!hl)
            break;
        CHECK(hl == 2 || hl == 9);
        CHECK((hl == 9) == !!(flags & ZF_F_LONG));
        uint8_t h[9];
        size_t eh = zf_zmtp_put_header(h, size, flags & ~ZF_F_LONG);
        int f3;
        uint64_t s3;
        CHECK(zf_zmtp_get_header(h, eh, &f3, &s3) == eh && s3 == size);
        CHECK((f3 & ~ZF_F_LONG) == (flags & ~ZF_F_LONG));
        if (size > avail - hl)
            break; /* the session waits for the rest (or reads a large frame into its own buffer) */
        if ((flags & ZF_F_COMMAND) && size <= CMD_MAX)
            command(d + pos + hl, (size_t)size);
        pos += hl + (size_t)size;
        frames++;
    }
    return 0;
}
