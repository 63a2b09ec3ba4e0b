/* fuzz_greeting: the 64-byte ZMTP greeting a peer sends first (zf_zmtp_parse_greeting), as it
 * arrives: whole and in every shorter prefix, since the session asks again as bytes come in. */
#include "fuzz.h"
#include "zmtp.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    int prev = 1; /* the previous prefix's answer */
    size_t upto = n < ZF_GREETING_SIZE + 1 ? n : ZF_GREETING_SIZE + 1;
    for (size_t k = 0; k <= upto; k++) {
        uint8_t *p = fuzz_dup(d, k);
        int major = -1, minor = -1;
        char mech[21];
        memset(mech, 'x', sizeof mech);
        int rc = zf_zmtp_parse_greeting(p, k, &major, &minor, mech);
        free(p);
        CHECK(rc == 0 || rc == -EPROTO || rc > 0);
        /* more bytes never turn a refusal into acceptance, nor need more than 64 in all */
        if (prev < 0)
            CHECK(rc < 0);
        if (rc > 0)
            CHECK(k + (size_t)rc == 11 || k + (size_t)rc == ZF_GREETING_SIZE);
        if (rc == 0) {
            CHECK(k >= ZF_GREETING_SIZE);
            CHECK(major >= 3 && minor >= 0 && minor <= 255);
            CHECK(memchr(mech, 0, sizeof mech) != NULL); /* always a C string */
        }
        prev = rc;
    }

    /* our own greeting with a mechanism name taken from the input reads back the same */
    char name[21] = {0};
    size_t nl = n < 20 ? n : 20;
    for (size_t i = 0; i < nl && d[i]; i++)
        name[i] = (char)d[i];
    uint8_t g[ZF_GREETING_SIZE];
    zf_zmtp_greeting(g, name, n & 1);
    int major, minor;
    char back[21];
    CHECK(zf_zmtp_parse_greeting(g, sizeof g, &major, &minor, back) == 0);
    CHECK(major == 3 && minor == 1 && strcmp(back, name) == 0 && g[32] == (n & 1));
    return 0;
}
