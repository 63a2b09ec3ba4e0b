/* mech_plain.c: PLAIN's HELLO and the ERROR command (see mech_plain.h). */
#include "mech_plain.h"

#include <errno.h>
#include <string.h>

#include "zmtp.h"

long zf_plain_hello(uint8_t *out, size_t cap, const uint8_t *user, size_t ul, const uint8_t *pass,
                    size_t pl)
{
    uint8_t body[2 + 255 + 255];
    if (ul > 255 || pl > 255)
        return -EINVAL;
    body[0] = (uint8_t)ul;
    memcpy(body + 1, user, ul);
    body[1 + ul] = (uint8_t)pl;
    memcpy(body + 2 + ul, pass, pl);
    return zf_zmtp_command_frame(out, cap, "HELLO", body, 2 + ul + pl);
}

int zf_plain_parse_hello(const uint8_t *body, size_t len, const uint8_t **user, size_t *ul,
                         const uint8_t **pass, size_t *pl)
{
    /* Exactly [len][name][len][password]: trailing bytes are as wrong as missing ones. */
    if (len < 2 || (size_t)body[0] + 2 > len)
        return -EPROTO;
    *ul = body[0];
    *user = body + 1;
    *pl = body[1 + *ul];
    *pass = body + 2 + *ul;
    if (2 + *ul + *pl != len)
        return -EPROTO;
    return 0;
}

long zf_zmtp_error(uint8_t *out, size_t cap, const char *reason)
{
    size_t rl = strlen(reason);
    uint8_t body[256];
    if (rl > 255)
        rl = 255;
    body[0] = (uint8_t)rl;
    memcpy(body + 1, reason, rl);
    return zf_zmtp_command_frame(out, cap, "ERROR", body, 1 + rl);
}

int zf_zmtp_error_status(const uint8_t *body, size_t len)
{
    if (len != 4 || body[0] != 3)
        return 0;
    const uint8_t *c = body + 1;
    if (c[0] < '3' || c[0] > '5' || c[1] < '0' || c[1] > '9' || c[2] < '0' || c[2] > '9')
        return 0;
    return (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
}
