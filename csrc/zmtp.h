/* zmtp.h: the ZMTP 3.x codec as pure functions over byte buffers (no I/O, no state).
 * Everything a peer can send us is parsed here, which makes this file the fuzz target. */
#ifndef ZF_ZMTP_H
#define ZF_ZMTP_H

#include <stddef.h>
#include <stdint.h>

#define ZF_GREETING_SIZE 64

enum { ZF_F_MORE = 1, ZF_F_LONG = 2, ZF_F_COMMAND = 4 };

/* libzmq's socket type numbers, which are also the public constants. */
enum {
    ZF_PAIR = 0, ZF_PUB = 1, ZF_SUB = 2, ZF_REQ = 3, ZF_REP = 4, ZF_DEALER = 5, ZF_ROUTER = 6,
    ZF_PULL = 7, ZF_PUSH = 8, ZF_XPUB = 9, ZF_XSUB = 10, ZF_STREAM = 11, ZF_NTYPES = 12
};

const char *zf_zmtp_type_name(int type);
int zf_zmtp_type_from_name(const uint8_t *name, size_t len); /* -1 if unknown */
int zf_zmtp_compatible(int ours, int theirs);

/* Our full greeting (3.1, NULL mechanism unless told otherwise). */
void zf_zmtp_greeting(uint8_t out[ZF_GREETING_SIZE], const char *mechanism, int as_server);
/* Parse a peer greeting. Needs 11 bytes to decide the version, 64 for the rest.
 * Returns 0 when complete, the number of bytes still needed (>0), or -EPROTO. */
int zf_zmtp_parse_greeting(const uint8_t *in, size_t len, int *major, int *minor, char mechanism[21]);

/* Encode a frame header: 2 bytes (short) or 9 (long). */
static inline size_t zf_zmtp_put_header(uint8_t *out, uint64_t size, int flags)
{
    if (size <= 255) {
        out[0] = (uint8_t)flags;
        out[1] = (uint8_t)size;
        return 2;
    }
    out[0] = (uint8_t)(flags | ZF_F_LONG);
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)(size >> (56 - 8 * i));
    return 9;
}
/* Decode a frame header: its length, or 0 when more bytes are needed. Reserved flag bits are
 * ignored, as libzmq does. */
size_t zf_zmtp_get_header(const uint8_t *in, size_t avail, int *flags, uint64_t *size);

/* A command's name and body from a command frame's payload. -EPROTO when malformed. */
int zf_zmtp_command(const uint8_t *frame, size_t len, const uint8_t **name, size_t *namelen,
                    const uint8_t **body, size_t *bodylen);
int zf_zmtp_is_command(const uint8_t *name, size_t namelen, const char *want);

/* Build a metadata command frame (header included) into out: READY, or PLAIN's INITIATE, which
 * carries the same properties. Returns its length, or -ENOBUFS. */
long zf_zmtp_ready(uint8_t *out, size_t cap, const char *command, int socket_type,
                   const uint8_t *identity, size_t idlen, int with_identity);
/* Any command frame: name, then body as given. Returns its length, or -ENOBUFS. */
long zf_zmtp_command_frame(uint8_t *out, size_t cap, const char *name, const uint8_t *body, size_t len);
/* One metadata property (name, 4-byte length, value) into out; returns its length. */
size_t zf_zmtp_put_prop(uint8_t *out, const char *name, const uint8_t *val, size_t vlen);

/* Walk metadata properties; cb returns nonzero to stop. -EPROTO when malformed. */
typedef int (*zf_zmtp_prop_cb)(void *arg, const uint8_t *name, size_t namelen,
                               const uint8_t *value, size_t valuelen);
int zf_zmtp_parse_metadata(const uint8_t *p, size_t len, zf_zmtp_prop_cb cb, void *arg);

/* PONG for a PING command body (ttl + context). Returns the frame length written. */
size_t zf_zmtp_pong(uint8_t *out, const uint8_t *ping_body, size_t ping_len);

#endif
