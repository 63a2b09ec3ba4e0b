/* monitor.h: socket event monitoring (zmq_socket_monitor). Events go, as libzmq's two-frame
 * messages, down an inproc pipe to the PAIR socket the application connects to the monitor's
 * address. Any thread may emit (the I/O thread does most), hence the lock. */
#ifndef ZF_MONITOR_H
#define ZF_MONITOR_H

#include <pthread.h>

#include "pipe.h"

enum {
    ZF_EVENT_CONNECTED = 0x0001, ZF_EVENT_CONNECT_DELAYED = 0x0002, ZF_EVENT_CONNECT_RETRIED = 0x0004,
    ZF_EVENT_LISTENING = 0x0008, ZF_EVENT_BIND_FAILED = 0x0010, ZF_EVENT_ACCEPTED = 0x0020,
    ZF_EVENT_ACCEPT_FAILED = 0x0040, ZF_EVENT_CLOSED = 0x0080, ZF_EVENT_CLOSE_FAILED = 0x0100,
    ZF_EVENT_DISCONNECTED = 0x0200, ZF_EVENT_MONITOR_STOPPED = 0x0400,
    ZF_EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800, ZF_EVENT_HANDSHAKE_SUCCEEDED = 0x1000,
    ZF_EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000, ZF_EVENT_HANDSHAKE_FAILED_AUTH = 0x4000,
};
/* The value of a HANDSHAKE_FAILED_PROTOCOL event: libzmq's protocol error numbers, all of them
 * here (the sessions' mechanisms report them). */
#define ZF_PROTOCOL_ERROR_ZMTP_UNSPECIFIED 0x10000000
#define ZF_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND 0x10000001
#define ZF_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE 0x10000002
#define ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED 0x10000011
#define ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE 0x10000012
#define ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO 0x10000013
#define ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE 0x10000014
#define ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY 0x10000016
#define ZF_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME 0x10000017
#define ZF_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC 0x11000001
#define ZF_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH 0x11000002
#define ZF_PROTOCOL_ERROR_ZAP_UNSPECIFIED 0x20000000

typedef struct zf_monitor {
    pthread_mutex_t lock;
    zf_pipe *pipe; /* to the application's PAIR (we are end 1), once it has connected */
    int events;    /* what to report; 0 once stopped */
} zf_monitor;

struct zf_sock_link;
/* Report an event of the socket whose link is s, if it is monitored (any thread). */
void zf_monitor_event(struct zf_sock_link *s, int event, int64_t value, const char *endpoint);
/* A PAIR connected to the monitor's address: events go to it from now on. */
void zf_monitor_take_pipe(zf_monitor *m, zf_pipe *p);
zf_monitor *zf_monitor_new(void);
void zf_monitor_set_events(zf_monitor *m, int events);
/* No more events (a last MONITOR_STOPPED if asked for); returns the pipe, for the caller to
 * close, or NULL. */
zf_pipe *zf_monitor_stop(zf_monitor *m);
void zf_monitor_free(zf_monitor *m);

#endif
