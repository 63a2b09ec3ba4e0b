/* mech.h: the security mechanism of a ZMTP session, as an ops table (RFC 23, 24, 25/26).
 *
 * A mechanism owns two things: the handshake after the greeting (its commands, and when to ask
 * ZAP), and how each traffic frame is encoded and decoded afterwards. NULL and PLAIN send
 * frames as they are (ZMTP framing, engine_zmtp.c); CURVE boxes every frame (mech_curve.c).
 * The ZMTP engine (engine_zmtp.c) does everything else: the greeting, cutting the byte stream
 * into frames, queues, HWM, large frames, PING/PONG and subscriptions. A new mechanism is one
 * new file and one line in zf_mech_of.
 *
 * Cost: put and decode are called once per frame. When they are the plain framing
 * (zf_zmtp_frame_put, zf_zmtp_frame_decode) the engine recognises the pointer and runs its
 * inline copy, so NULL and PLAIN traffic pays no indirect call.
 *
 * All ops run in the I/O thread, except span, put and put_big, which direct transmit also calls
 * in the application thread (direct_send.c lists the rules). */
#ifndef ZF_MECH_H
#define ZF_MECH_H

#ifndef ZF_SESSION_INTERNAL
#define ZF_SESSION_INTERNAL
#endif
#include "session.h"

/* s->hs while the ZAP handler is being asked (zap_client.c); the mechanisms' own steps are
 * below it. What the peer sends meanwhile waits in rbuf. */
#define ZF_HS_ZAP 100

struct zf_mech {
    const char *name;        /* as the greeting names it */
    int greeting_as_server;  /* the greeting's as-server bit: 1 says the socket's role, 0 says 0
                              * (libzmq's CURVE greeting says 0 on both sides) */
    int framed_commands;     /* ZMTP commands (PING, SUBSCRIBE) travel as command frames; 0: they
                              * are inside the traffic encoding, and subscriptions go as messages */
    size_t overhead;         /* bytes the traffic encoding adds to a frame */

    /* -- handshake (I/O thread) -- */
    /* A new connection, before the greeting (CURVE: fresh transient keys). NULL: nothing. */
    int (*begin)(zf_session *s);
    /* The greeting exchanged: the first step (commands into wbuf, s->hs). 0, or -1: fail. */
    int (*start)(zf_session *s);
    /* Optional, accepting side: the first step taken at once, its commands behind our greeting
     * in the same write, when they depend on nothing the peer's greeting says. 1: taken (start
     * is not called), 0: not now (start runs after the peer's greeting), -1: fail. */
    int (*start_early)(zf_session *s);
    /* One handshake command other than ERROR: body/len the whole frame (in rbuf, may be
     * decrypted in place), name/data its parts. 1: handshake complete, 0: go on, -1: fail. */
    int (*command)(zf_session *s, uint8_t *body, size_t len, const uint8_t *name, size_t nl,
                   const uint8_t *data, size_t dl);
    /* The ZAP handler approved the peer: the mechanism's next word. 0, or -1: fail. CURVE
     * completes the handshake here (zf_zmtp_handshake_done). */
    int (*zap_approved)(zf_session *s);

    /* -- traffic, outbound (also the application thread: direct transmit) -- */
    /* The wbuf bytes a frame of len bytes takes, header included. */
    size_t (*span)(size_t len);
    /* One frame (pre then data, flags ZF_F_MORE | ZF_F_COMMAND) at the end of wbuf. 0: done,
     * 1: no room (nothing written: flush first), -1: failed (zf_zmtp_tx_failed called). */
    int (*put)(zf_session *s, const uint8_t *pre, size_t prel, const uint8_t *data, size_t len, int flags);
    /* A large data record r: its header into wbuf, its body as s->tx_big. 1: took the
     * record's buffer (the caller pops it), 0: copied it (the caller drops it), -1: not now
     * (no room in wbuf, or failed after zf_zmtp_tx_failed). */
    int (*put_big)(zf_session *s, zf_rec *r, int flags);

    /* -- traffic, inbound (I/O thread) -- */
    /* A buffer for a large frame of size bytes about to be read, or NULL. */
    zf_buf *(*rx_buf)(zf_session *s, size_t size);
    /* One whole frame as it came (wire flags; big: the buffer holding it, whose reference is
     * ours, or NULL when it is in rbuf): to the socket, or a command. Sets *want_out when it
     * queued output (a PONG). 0, or -1: the connection must go. */
    int (*decode)(zf_session *s, uint8_t *data, size_t size, int flags, zf_buf *big, int *want_out);

    /* -- lifetime -- */
    void (*lost)(zf_session *s);    /* the connection ended (NULL: nothing) */
    void (*destroy)(zf_session *s); /* the session goes (NULL: nothing) */
};

extern const zf_mech zf_mech_null, zf_mech_plain, zf_mech_curve;
const zf_mech *zf_mech_of(int mechanism);

/* mech.c: what the mechanisms share. */
/* The peer's metadata (READY, PLAIN's INITIATE, CURVE's INITIATE/READY body): socket type and
 * identity checked and kept. 0 or -1. */
int zf_mech_take_metadata(zf_session *s, const uint8_t *data, size_t dl);
/* Our metadata as a command frame named command (READY, INITIATE) at the end of wbuf, with the
 * socket's "X-" properties. 0 or -1. */
int zf_mech_send_ready(zf_session *s, const char *command);
/* A command frame the caller built at the end of wbuf (n bytes, or n < 0 when it failed). */
int zf_mech_sent(zf_session *s, long n);
/* Our metadata properties alone, as a NULL READY carries them (built into frame). */
const uint8_t *zf_mech_own_properties(zf_session *s, uint8_t frame[512], size_t *len);
/* ZAP said no, or the peer must be refused the way libzmq does: how the failure is reported. */
void zf_mech_fail(zf_session *s, int event, int64_t value);

/* engine_zmtp.c: ZMTP framing, the traffic encoding of NULL and PLAIN. */
size_t zf_zmtp_frame_span(size_t len);
int zf_zmtp_frame_put(zf_session *s, const uint8_t *pre, size_t prel, const uint8_t *data, size_t len, int flags);
int zf_zmtp_frame_put_big(zf_session *s, zf_rec *r, int flags);
zf_buf *zf_zmtp_frame_rx_buf(zf_session *s, size_t size);
int zf_zmtp_frame_decode(zf_session *s, uint8_t *data, size_t size, int flags, zf_buf *big, int *want_out);
/* Encoding failed (no memory, CURVE out of nonces or broken): stop sending and end the
 * connection through the ordinary path (the read side sees the shutdown). Any thread. */
void zf_zmtp_tx_failed(zf_session *s);

#endif
