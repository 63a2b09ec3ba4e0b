/* options.h: a socket's option values. A session takes a copy at connect/bind time, so the I/O
 * thread never reads state the application thread may be changing. */
#ifndef ZF_OPTIONS_H
#define ZF_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* How many TCP_ACCEPT_FILTER / IPC_FILTER_* entries of each kind a socket keeps. */
#define ZF_MAX_FILTERS 16
/* Room for METADATA properties (libzmq has no limit; one READY command carries them all). */
#define ZF_APP_META_MAX 1024

typedef struct zf_opts {
    int type;
    int sndhwm, rcvhwm;
    int linger;
    int rcvtimeo, sndtimeo;
    int reconnect_ivl, reconnect_ivl_max;
    int64_t maxmsgsize;
    int immediate;
    int sndbuf, rcvbuf;
    int backlog;
    int ipv6;
    int handshake_ivl;
    int heartbeat_ivl, heartbeat_ttl, heartbeat_timeout;
    int tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl;
    int connect_timeout;
    int tos;
    int conflate;
    uint8_t identity[255];
    uint8_t identity_len;
    /* security: the mechanism this socket speaks, and ZAP */
    int mechanism; /* ZF_MECH_* */
    int as_server;
    uint8_t plain_user_len, plain_pass_len, zap_domain_len;
    uint8_t plain_user[255], plain_pass[255], zap_domain[255];
    /* raw connections (STREAM, ROUTER_RAW): no ZMTP, bytes in and out as they are */
    int raw;
    int raw_notify; /* STREAM_NOTIFY: an empty message marks each connect and disconnect */
    /* CURVE: our permanent pair, and (client) the server's public key, raw */
    uint8_t curve_public[32], curve_secret[32], curve_server[32];
    /* ---- options kept for pyzmq parity (options_more.c) ---- */
    /* multicast transports only in libzmq; we have none, but libzmq keeps and returns them */
    int rate, recovery_ivl, multicast_hops, multicast_maxtpdu, multicast_loop;
    int loopback_fastpath; /* Windows-only in libzmq: kept */
    int zap_enforce_domain;
    int invert_matching;
    int reconnect_stop; /* ZF_RECONNECT_STOP_* bits */
    int tcp_maxrt;      /* ms: TCP_USER_TIMEOUT on tcp connections, 0 = the kernel's */
    int use_fd;         /* bind: listen on this ready-made fd instead of a new socket */
    int64_t affinity;
    uint8_t bindtodevice_len, socks_user_len, socks_pass_len, socks_proxy_len;
    char bindtodevice[17]; /* IFNAMSIZ with its terminator */
    char socks_proxy[256];
    uint8_t socks_user[255], socks_pass[255];
    /* accept filters (listeners): tcp peers by address/prefix, ipc peers by credentials */
    struct zf_tcp_filter { uint8_t family, bits, addr[16]; } tcp_filters[ZF_MAX_FILTERS];
    int32_t ipc_pids[ZF_MAX_FILTERS], ipc_uids[ZF_MAX_FILTERS], ipc_gids[ZF_MAX_FILTERS];
    uint8_t ntcp_filters, nipc_pids, nipc_uids, nipc_gids;
    /* METADATA: "X-" properties for the handshake, as they go on the wire (name len, name,
     * 4-byte value len, value) */
    uint16_t app_meta_len;
    uint8_t app_meta[ZF_APP_META_MAX];
} zf_opts;

/* libzmq's ZMQ_RECONNECT_STOP bits. */
enum { ZF_RECONNECT_STOP_CONN_REFUSED = 1, ZF_RECONNECT_STOP_HANDSHAKE_FAILED = 2,
       ZF_RECONNECT_STOP_AFTER_DISCONNECT = 4 };

/* libzmq's ZMQ_MECHANISM values. */
enum { ZF_MECH_NULL = 0, ZF_MECH_PLAIN = 1, ZF_MECH_CURVE = 2 };

void zf_opts_defaults(zf_opts *o, int type);
/* Wipe the CURVE secret key of a copy of the options that no longer needs it (a socket or
 * listener going away, a session after its handshake or at its end), so that freed memory does
 * not keep it. A wipe the compiler keeps, unlike a memset before free. */
void zf_opts_forget_secret(zf_opts *o);

/* libzmq's option numbers for what the engine implements. */
enum {
    ZF_OPT_AFFINITY = 4, ZF_OPT_ROUTING_ID = 5, ZF_OPT_SUBSCRIBE = 6, ZF_OPT_UNSUBSCRIBE = 7,
    ZF_OPT_SNDBUF = 11, ZF_OPT_RCVBUF = 12, ZF_OPT_RCVMORE = 13, ZF_OPT_FD = 14, ZF_OPT_EVENTS = 15,
    ZF_OPT_TYPE = 16, ZF_OPT_LINGER = 17, ZF_OPT_RECONNECT_IVL = 18, ZF_OPT_BACKLOG = 19,
    ZF_OPT_RECONNECT_IVL_MAX = 21, ZF_OPT_MAXMSGSIZE = 22, ZF_OPT_SNDHWM = 23, ZF_OPT_RCVHWM = 24,
    ZF_OPT_RCVTIMEO = 27, ZF_OPT_SNDTIMEO = 28, ZF_OPT_LAST_ENDPOINT = 32,
    ZF_OPT_TCP_KEEPALIVE = 34, ZF_OPT_TCP_KEEPALIVE_CNT = 35, ZF_OPT_TCP_KEEPALIVE_IDLE = 36,
    ZF_OPT_TCP_KEEPALIVE_INTVL = 37, ZF_OPT_IMMEDIATE = 39, ZF_OPT_IPV6 = 42, ZF_OPT_MECHANISM = 43,
    ZF_OPT_PLAIN_SERVER = 44, ZF_OPT_PLAIN_USERNAME = 45, ZF_OPT_PLAIN_PASSWORD = 46, ZF_OPT_ZAP_DOMAIN = 55,
    ZF_OPT_CURVE_SERVER = 47, ZF_OPT_CURVE_PUBLICKEY = 48, ZF_OPT_CURVE_SECRETKEY = 49,
    ZF_OPT_CURVE_SERVERKEY = 50,
    ZF_OPT_TOS = 57, ZF_OPT_HANDSHAKE_IVL = 66, ZF_OPT_CONNECT_TIMEOUT = 79,
    ZF_OPT_CONFLATE = 54, ZF_OPT_HEARTBEAT_IVL = 75, ZF_OPT_HEARTBEAT_TTL = 76, ZF_OPT_HEARTBEAT_TIMEOUT = 77,
    ZF_OPT_CONNECT_ROUTING_ID = 61,
};

/* Option numbers of options_more.c. */
enum {
    ZF_OPT_RATE = 8, ZF_OPT_RECOVERY_IVL = 9, ZF_OPT_MULTICAST_HOPS = 25, ZF_OPT_IPV4ONLY = 31,
    ZF_OPT_SOCKS_PROXY = 68, ZF_OPT_INVERT_MATCHING = 74, ZF_OPT_TCP_MAXRT = 80, ZF_OPT_THREAD_SAFE = 81,
    ZF_OPT_MULTICAST_MAXTPDU = 84, ZF_OPT_USE_FD = 89, ZF_OPT_BINDTODEVICE = 92,
    ZF_OPT_ZAP_ENFORCE_DOMAIN = 93, ZF_OPT_LOOPBACK_FASTPATH = 94, ZF_OPT_MULTICAST_LOOP = 96,
    ZF_OPT_SOCKS_USERNAME = 99, ZF_OPT_SOCKS_PASSWORD = 100, ZF_OPT_RECONNECT_STOP = 109,
    ZF_OPT_TOPICS_COUNT = 116,
    ZF_OPT_TCP_ACCEPT_FILTER = 38, ZF_OPT_IPC_FILTER_PID = 58, ZF_OPT_IPC_FILTER_UID = 59,
    ZF_OPT_IPC_FILTER_GID = 60, ZF_OPT_METADATA = 95,
};

/* accept_filter.c: whether a listener with these options lets an accepted connection in, and
 * adding a TCP_ACCEPT_FILTER ("address" or "address/bits"; 0, -EINVAL, or -ENOMEM when full). */
int zf_opts_accepts(const zf_opts *o, int fd, int is_tcp);
int zf_accept_filter_add_tcp(zf_opts *o, const char *text, size_t len);

/* The rest of the table (options_more.c): the same contract as zf_opts_set_int and friends. */
void zf_opts_more_defaults(zf_opts *o);
int zf_opts_more_set_int(zf_opts *o, int option, int64_t value);
int zf_opts_more_get_int(const zf_opts *o, int option, int64_t *value);
int zf_opts_more_set_bytes(zf_opts *o, int option, const void *value, size_t len);
int zf_opts_more_get_bytes(const zf_opts *o, int option, const void **value, size_t *len);

/* Integer options kept in zf_opts: 0, -EINVAL (bad value), or -ENOTSUP (not an option here). */
int zf_opts_set_int(zf_opts *o, int option, int64_t value);
int zf_opts_get_int(const zf_opts *o, int option, int64_t *value);
/* Byte-string options kept in zf_opts (security); the same results. get: *len in, size out. */
int zf_opts_set_bytes(zf_opts *o, int option, const void *value, size_t len);
int zf_opts_get_bytes(const zf_opts *o, int option, const void **value, size_t *len);

#endif
