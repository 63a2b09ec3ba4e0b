/* socks.c: parsing a SOCKS5 proxy's replies (see socks.h). */
#include "socks.h"

#include <errno.h>

long zf_socks_reply(int step, int method, const uint8_t *in, size_t len)
{
    if (step == ZF_SOCKS_METHOD) { /* version, chosen method */
        if (len < 2)
            return 0;
        return in[0] == 5 && in[1] == method ? 2 : -EPROTO;
    }
    if (step == ZF_SOCKS_AUTH) { /* RFC 1929: subnegotiation version, status (0: accepted) */
        if (len < 2)
            return 0;
        return in[1] == 0 ? 2 : -EPROTO;
    }
    if (step != ZF_SOCKS_CONNECT)
        return -EPROTO;
    /* version, status, reserved, address type, the bound address by type, port: the fifth
     * byte is the first that tells the length (a name's length byte) */
    if (len < 5)
        return 0;
    size_t total = in[3] == 1 ? 10 : in[3] == 4 ? 22 : in[3] == 3 ? 7 + (size_t)in[4] : 0;
    if (in[0] != 5 || in[1] != 0 || !total)
        return -EPROTO;
    return len < total ? 0 : (long)total;
}
