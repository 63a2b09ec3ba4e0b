/* curve.h: the CurveZMQ handshake and MESSAGE boxes (RFC 26, ZMTP-CURVE RFC 25) as pure
 * functions over byte buffers and one per-connection struct: no I/O, no sockets, no allocation.
 *
 * Every "command" here is a ZMTP frame's payload: name size, name, fields. The frame header
 * around it is the caller's (zf_zmtp_put_header). What libzmq 4.3 does on the wire (checked
 * by tests/test_curve_handshake.py against pyzmq): HELLO, WELCOME, INITIATE and READY travel
 * in command frames; every MESSAGE travels in a data frame with no MORE flag outside, MORE
 * and COMMAND being inside the box; ZMTP commands after the handshake (PING, PONG...) are
 * boxed in MESSAGEs with ZF_CURVE_COMMAND; and its CURVE server's greeting says as-server 0,
 * so roles come from the configuration, not from that byte.
 *
 *   client                              server
 *   zf_curve_client_init                zf_curve_server_init
 *   zf_curve_hello         -- HELLO --> zf_curve_server_hello
 *   zf_curve_client_welcome <- WELCOME - zf_curve_welcome
 *   zf_curve_initiate      - INITIATE -> zf_curve_server_initiate   (then authenticate C)
 *   zf_curve_client_ready  <-- READY -- zf_curve_ready
 *   zf_curve_encode / zf_curve_decode: MESSAGE both ways
 *
 * Builders return the command's length or a negative errno (-ENOBUFS: cap too small; -EPROTO:
 * called out of order). Parsers return 0, -EPROTO for a malformed or out-of-order command or
 * a reused short nonce, -EBADMSG for a box that does not open (forged or altered), -EACCES for
 * keys that do not match what the handshake promised (and -EBADMSG for an INITIATE more than
 * ZF_CURVE_COOKIE_MS after WELCOME: its cookie's key is gone). Errors are fatal to the connection
 * (the struct is then only good for zf_curve_wipe), except a builder's -ENOBUFS and -EINVAL
 * and zf_curve_encode's -EPROTO before the handshake is done, which change nothing.
 *
 * Parsers of boxed commands decrypt in place: cmd is overwritten and the metadata or message
 * data they hand back point into it.
 *
 * Once READY has been built or parsed, the struct holds no secret but the session keys (the two
 * MESSAGE subkeys): the permanent and transient secret keys, the box key they made, the cookie
 * and the cookie key are wiped (zf_crypto_wipe). */
#ifndef ZF_CURVE_H
#define ZF_CURVE_H

#include <stddef.h>
#include <stdint.h>

#define ZF_CURVE_HELLO_SIZE 200
#define ZF_CURVE_WELCOME_SIZE 168
#define ZF_CURVE_INITIATE_MIN 257 /* plus metadata */
#define ZF_CURVE_READY_MIN 30     /* plus metadata */
#define ZF_CURVE_MESSAGE_MIN 33   /* plus data */
#define ZF_CURVE_COOKIE_MS 60000  /* RFC 26: a server's cookie key lasts at most 60 seconds */

/* MESSAGE payload flags (RFC 26 bit 0; bit 1 is ZMTP 3.1's command flag, as libzmq sends) */
enum { ZF_CURVE_MORE = 1, ZF_CURVE_COMMAND = 2 };

enum zf_curve_state {
    ZF_CURVE_START,       /* client: send HELLO. server: expect HELLO */
    ZF_CURVE_WELCOME,     /* client: expect WELCOME. server: send WELCOME */
    ZF_CURVE_INITIATE,    /* client: send INITIATE. server: expect INITIATE */
    ZF_CURVE_READY,       /* client: expect READY. server: send READY */
    ZF_CURVE_ESTABLISHED, /* MESSAGE both ways */
    ZF_CURVE_BROKEN,      /* a command failed: the connection must go */
};

typedef struct zf_curve {
    int as_server;
    int state;
    uint8_t pk[32], sk[32];        /* our permanent pair: C/c on a client, S/s on a server */
    uint8_t peer_pk[32];           /* client: S, configured. server: C, from INITIATE */
    uint8_t tpk[32], tsk[32];      /* our transient pair, C'/c' or S'/s' */
    uint8_t peer_tpk[32];          /* the peer's transient public key */
    uint8_t precom[32];            /* box key between the two transient pairs (handshake) */
    uint8_t msg_tx[32], msg_rx[32];/* after READY: XSalsa20 subkeys of precom for the MESSAGE
                                    * prefixes we send and receive (zf_crypto_xsalsa20_subkey) */
    uint8_t cookie[96];            /* client: from WELCOME, for INITIATE */
    uint8_t cookie_key[32];        /* server: from WELCOME until INITIATE */
    int64_t cookie_deadline;       /* server: zf_now_ms() past which cookie_key is refused */
    uint64_t send_nonce;           /* short nonce of our next command */
    uint64_t recv_nonce;           /* short nonce of the peer's last command */
} zf_curve;

/* Set up a connection (the client's transient key pair made here, the server's on HELLO).
 * 0 or a negative errno (no randomness from the OS). */
int zf_curve_client_init(zf_curve *c, const uint8_t server_pk[32], const uint8_t pk[32],
                         const uint8_t sk[32]);
int zf_curve_server_init(zf_curve *c, const uint8_t pk[32], const uint8_t sk[32]);
/* Forget every key (on close, or after an error). */
void zf_curve_wipe(zf_curve *c);

long zf_curve_hello(zf_curve *c, uint8_t *out, size_t cap);
int zf_curve_server_hello(zf_curve *c, const uint8_t *cmd, size_t len);

long zf_curve_welcome(zf_curve *c, uint8_t *out, size_t cap);
int zf_curve_client_welcome(zf_curve *c, const uint8_t *cmd, size_t len);

/* meta: the client's ZMTP metadata properties (as in a NULL READY), sent encrypted. */
long zf_curve_initiate(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *meta,
                       size_t metalen);
/* On success the client's permanent key is in c->peer_pk, for the caller to authenticate
 * (ZAP) before answering with zf_curve_ready; *meta is the client's metadata, unchecked
 * (zf_zmtp_parse_metadata). */
int zf_curve_server_initiate(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **meta,
                             size_t *metalen);

long zf_curve_ready(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *meta, size_t metalen);
int zf_curve_client_ready(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **meta,
                          size_t *metalen);

/* One message frame as a MESSAGE command: ZF_CURVE_MESSAGE_MIN + len bytes. data is encrypted
 * from where it lies, and must not overlap out. */
long zf_curve_encode(zf_curve *c, uint8_t *out, size_t cap, const uint8_t *data, size_t len,
                     int flags);
int zf_curve_decode(zf_curve *c, uint8_t *cmd, size_t len, const uint8_t **data,
                    size_t *datalen, int *flags);

/* ERROR (server to client, unencrypted): reason is at most 255 bytes. */
long zf_curve_error(uint8_t *out, size_t cap, const char *reason);
int zf_curve_parse_error(const uint8_t *cmd, size_t len, const uint8_t **reason,
                         size_t *reasonlen);

#endif
