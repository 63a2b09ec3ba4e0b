/* socks.c: the SOCKS5 client (RFC 1928, 1929) of a connecting session: SOCKS_PROXY,
 * SOCKS_USERNAME, SOCKS_PASSWORD. The proxy's replies are parsed by one pure function
 * (zf_socks_reply, fuzzed by fuzz/fuzz_socks.c); the exchange that drives it follows.
 * I/O thread only. */
#include "socks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ZF_SESSION_INTERNAL
#include "session.h"
#include "sys.h"

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

/* ---- the exchange ---------------------------------------------------------------------------
 * As libzmq: tcp connections go to the proxy, which is asked to CONNECT to the endpoint's host
 * (a name is resolved by the proxy); one authentication method is offered, user/password when
 * a user name is set. The ZMTP greeting starts once the proxy has connected us; any failure is
 * a failed connect, retried. */

int zf_socks_proxied(const zf_session *s)
{
    return s->addr.transport == ZF_TCP && s->opts.socks_proxy_len;
}

int zf_socks_resolve(zf_session *s)
{
    char ep[300];
    snprintf(ep, sizeof ep, "tcp://%s", s->opts.socks_proxy);
    int rc = zf_addr_parse(ep, 0, &s->proxy);
    return rc < 0 ? rc : zf_addr_resolve(&s->proxy, 0, s->opts.ipv6);
}

static int socks_send(zf_session *s, const uint8_t *b, size_t n)
{
    /* a few hundred bytes on a fresh connection: the kernel takes them whole */
    return zf_sys_send(s->h.fd, b, n) == (ssize_t)n ? 0 : -1;
}

static int socks_request(zf_session *s)
{
    uint8_t b[4 + 1 + 255 + 2];
    const char *host = s->addr.name;
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') { /* "[::1]" */
        host++;
        hl -= 2;
    }
    char h[256];
    memcpy(h, host, hl);
    h[hl] = 0;
    size_t n = 4;
    b[0] = 5, b[1] = 1 /* CONNECT */, b[2] = 0;
    if (inet_pton(AF_INET, h, b + 4) == 1) {
        b[3] = 1;
        n += 4;
    } else if (inet_pton(AF_INET6, h, b + 4) == 1) {
        b[3] = 4;
        n += 16;
    } else {
        if (hl == 0 || hl > 255)
            return -1;
        b[3] = 3;
        b[4] = (uint8_t)hl;
        memcpy(b + 5, h, hl);
        n += 1 + hl;
    }
    b[n++] = (uint8_t)(s->addr.port >> 8);
    b[n++] = (uint8_t)s->addr.port;
    s->socks_step = ZF_SOCKS_CONNECT;
    return socks_send(s, b, n);
}

static void socks_fail(zf_session *s)
{
    s->socks_step = 0;
    s->state = S_CONNECTING; /* reported and retried as a connect that failed */
    zf_session_lost(s);
}

void zf_socks_start(zf_session *s)
{
    s->state = S_CONNECTING;
    s->rlen = s->rpos = 0;
    zf_io_set(s->io, &s->h, ZF_IO_IN);
    if (s->opts.handshake_ivl > 0)
        zf_io_timer_set(s->io, &s->t_conn, s->opts.handshake_ivl);
    uint8_t greet[3] = {5, 1, s->opts.socks_user_len ? 2 : 0};
    s->socks_step = ZF_SOCKS_METHOD;
    if (socks_send(s, greet, sizeof greet) < 0)
        socks_fail(s);
}

/* The proxy said something: take the next step once its whole reply is in. */
void zf_socks_read(zf_session *s)
{
    ssize_t r = zf_sys_recv(s->h.fd, s->rbuf + s->rlen, ZF_RBUF_SIZE - s->rlen);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        socks_fail(s);
        return;
    }
    if (r > 0)
        s->rlen += (size_t)r;
    const uint8_t *b = s->rbuf;
    for (;;) {
        int want = s->opts.socks_user_len ? 2 : 0;
        long total = zf_socks_reply(s->socks_step, want, b, s->rlen);
        if (total == 0)
            return;
        if (total < 0) {
            socks_fail(s);
            return;
        }
        if (s->socks_step == ZF_SOCKS_METHOD) {
            memmove(s->rbuf, b + 2, s->rlen - 2);
            s->rlen -= 2;
            if (want == 2) {
                uint8_t a[3 + 255 + 255];
                size_t n = 0;
                a[n++] = 1;
                a[n++] = s->opts.socks_user_len;
                memcpy(a + n, s->opts.socks_user, s->opts.socks_user_len);
                n += s->opts.socks_user_len;
                a[n++] = s->opts.socks_pass_len;
                memcpy(a + n, s->opts.socks_pass, s->opts.socks_pass_len);
                n += s->opts.socks_pass_len;
                s->socks_step = ZF_SOCKS_AUTH;
                if (socks_send(s, a, n) < 0) {
                    socks_fail(s);
                    return;
                }
            } else if (socks_request(s) < 0) {
                socks_fail(s);
                return;
            }
            continue;
        }
        if (s->socks_step == ZF_SOCKS_AUTH) {
            memmove(s->rbuf, b + 2, s->rlen - 2);
            s->rlen -= 2;
            if (socks_request(s) < 0) {
                socks_fail(s);
                return;
            }
            continue;
        }
        /* CONNECT's reply, whole */
        if (s->rlen > (size_t)total) { /* the peer cannot speak before our greeting: a broken proxy */
            socks_fail(s);
            return;
        }
        s->socks_step = 0;
        s->rlen = 0;
        zf_io_timer_cancel(s->io, &s->t_conn);
        zf_monitor_event(s->sock, ZF_EVENT_CONNECTED, s->h.fd, s->endpoint);
        s->engine->connected(s);
        return;
    }
}
