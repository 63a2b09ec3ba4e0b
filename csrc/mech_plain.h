/* mech_plain.h: the PLAIN mechanism's own commands (ZMTP 3.1, RFC 24 and 23): the client's HELLO
 * carries a user name and a password in clear text, the server answers WELCOME (or ERROR), then
 * INITIATE and READY carry the metadata as READY does under NULL. Pure functions, like zmtp.c:
 * everything a peer can send us is parsed here. The mechanism built on them (zf_mech_plain,
 * mech.h) is in mech_plain.c too. */
#ifndef ZF_MECH_PLAIN_H
#define ZF_MECH_PLAIN_H

#include <stddef.h>
#include <stdint.h>

/* A HELLO command frame (header included). Returns its length, or -ENOBUFS. */
long zf_plain_hello(uint8_t *out, size_t cap, const uint8_t *user, size_t ul, const uint8_t *pass,
                    size_t pl);
/* The user name and password of a HELLO command's body. 0, or -EPROTO when malformed. */
int zf_plain_parse_hello(const uint8_t *body, size_t len, const uint8_t **user, size_t *ul,
                         const uint8_t **pass, size_t *pl);
/* An ERROR command frame with its reason (at most 255 bytes kept). Returns its length. */
long zf_zmtp_error(uint8_t *out, size_t cap, const char *reason);
/* The ZAP status code (300, 400, 500) an ERROR's reason carries, or 0 if it is not one. */
int zf_zmtp_error_status(const uint8_t *body, size_t len);

#endif
