/* fuzz_socks: what a SOCKS5 proxy answers (RFC 1928, 1929), fed to zf_socks_reply as socks.c
 * does: the method reply, then (when a user name is set) the authentication reply, then
 * CONNECT's, each taken off the front of what has arrived. The first input byte says whether
 * we offered user/password. Each reply is also parsed from every shorter prefix: until it is
 * whole the answer is "more" or a refusal, never a different length. */
#include "fuzz.h"
#include "socks.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    int method = d[0] & 1 ? 2 : 0;
    d++, n--;
    int step = ZF_SOCKS_METHOD;
    size_t pos = 0;
    while (step) {
        uint8_t *p = fuzz_dup(d + pos, n - pos);
        long r = zf_socks_reply(step, method, p, n - pos);
        CHECK(r == 0 || r == -EPROTO || (r >= 2 && (size_t)r <= n - pos));
        for (size_t k = 0; k < n - pos && k < 300; k++) {
            uint8_t *q = fuzz_dup(p, k);
            long rk = zf_socks_reply(step, method, q, k);
            free(q);
            if (r > 0 && k < (size_t)r)
                CHECK(rk == 0);
            else if (r > 0)
                CHECK(rk == r);
            else if (r == 0)
                CHECK(rk == 0);
            else
                CHECK(rk == 0 || rk == r);
        }
        free(p);
        if (r <= 0)
            break;
        pos += (size_t)r;
        step = step == ZF_SOCKS_METHOD ? (method ? ZF_SOCKS_AUTH : ZF_SOCKS_CONNECT)
             : step == ZF_SOCKS_AUTH   ? ZF_SOCKS_CONNECT
                                       : 0;
    }
    CHECK(zf_socks_reply(0, method, d, n) == -EPROTO); /* no step: nothing is awaited */
    return 0;
}
