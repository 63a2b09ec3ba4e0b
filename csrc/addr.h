/* addr.h: endpoint strings ("tcp://host:port", "ipc://path", "inproc://name") to addresses. */
#ifndef ZF_ADDR_H
#define ZF_ADDR_H

#include "sys.h"

enum { ZF_TCP = 1, ZF_IPC = 2, ZF_INPROC = 3 };

typedef struct zf_addr {
    int transport;
    struct sockaddr_storage sa;
    socklen_t salen;
    char name[256]; /* inproc name, ipc path, or tcp host as written */
    int port;        /* tcp: 0 means "any" (bind only) */
} zf_addr;

/* Parse an endpoint (no name lookup). Negative errno as libzmq reports it on failure. */
int zf_addr_parse(const char *endpoint, int for_bind, zf_addr *out);
/* Fill out->sa from the parsed name: bind side takes "*", addresses and interface names,
 * connect side addresses and host names (a blocking lookup). */
int zf_addr_resolve(zf_addr *a, int for_bind, int ipv6);
/* The endpoint string of an address ("tcp://127.0.0.1:5555"), for LAST_ENDPOINT. */
void zf_addr_format(const zf_addr *a, char *buf, size_t cap);

#endif
