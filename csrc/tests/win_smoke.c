/* win_smoke.c: the whole engine through its API (zf.h), for Windows under Wine (.ci/mingw):
 * a context, PUSH/PULL over inproc and over loopback tcp, a PAIR over tcp both ways with
 * multipart messages, a CURVE PAIR over tcp (libsodium's primitives and the OS random source on
 * Windows), a Poller wake-up from another thread, the error numbers of bad binds and
 * endpoints, and a clean termination. Portable: it builds and passes on Linux too, against the
 * same engine objects the extension links. Exit status 0 when every check passed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "options.h"
#include "zf.h"

enum { PAIR = 0, PULL = 7, PUSH = 8 };

static int failures;
static const char *current;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s (%s:%d): %s\n", current, __FILE__, __LINE__, #cond);          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* got == want, printing both when not */
#define CHECK_EQ(got_expr, want_expr)                                                              \
    do {                                                                                           \
        long got_ = (long)(got_expr), want_ = (long)(want_expr);                                   \
        if (got_ != want_) {                                                                       \
            fprintf(stderr, "FAIL %s (%s:%d): %s is %ld, not %ld\n", current, __FILE__, __LINE__,   \
                    #got_expr, got_, want_);                                                       \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Blocking send and receive on top of the engine's non-blocking calls, as the binding does. */
static int send_wait(zf_sock *s, const void *data, size_t len, int flags)
{
    for (;;) {
        int rc = zf_sock_send(s, data, len, flags);
        if (rc != -EAGAIN)
            return rc;
        rc = zf_sock_wait(s, ZF_POLLOUT, 10000);
        if (rc < 0 && rc != -EINTR)
            return rc;
    }
}

/* Receives one frame into buf (cap bytes); returns its size or a negative errno. */
static long recv_wait(zf_sock *s, void *buf, size_t cap, int *more)
{
    for (;;) {
        zf_frame f;
        int rc = zf_sock_recv(s, &f);
        if (rc == 0) {
            size_t n = f.size < cap ? f.size : cap;
            memcpy(buf, f.data, n);
            if (more)
                *more = f.more;
            if (f.buf)
                zf_buf_unref(f.buf);
            return (long)f.size;
        }
        if (rc != -EAGAIN)
            return rc;
        rc = zf_sock_wait(s, ZF_POLLIN, 10000);
        if (rc < 0 && rc != -EINTR)
            return rc;
    }
}

/* LAST_ENDPOINT, as a C string (the engine gives its bytes, not a terminator) */
static void last_endpoint(zf_sock *s, char *ep, size_t cap)
{
    size_t len = cap - 1;
    CHECK_EQ(zf_sock_getopt_bytes(s, ZF_OPT_LAST_ENDPOINT, ep, &len), 0);
    ep[len < cap ? len : cap - 1] = 0;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed);
}

/* count messages of growing sizes (up to past the inline size and the read buffer) */
static void pushpull(zf_ctx *c, const char *bind_ep, int count)
{
    zf_sock *push = NULL, *pull = NULL;
    CHECK_EQ(zf_sock_new(c, PULL, &pull), 0);
    CHECK_EQ(zf_sock_new(c, PUSH, &push), 0);
    CHECK_EQ(zf_sock_bind(pull, bind_ep), 0);
    char ep[300];
    last_endpoint(pull, ep, sizeof ep);
    CHECK_EQ(zf_sock_connect(push, ep), 0);
    enum { MAX = 300000 };
    uint8_t *out = malloc(MAX), *in = malloc(MAX);
    for (int i = 0; i < count; i++) {
        size_t n = (size_t)(i * 977) % MAX;
        fill(out, n, (unsigned)i);
        CHECK(send_wait(push, out, n, 0) == 0);
        if (i % 16 == 15 || i == count - 1) {
            /* receive what was sent so far (the HWM would stop a sender that ran far ahead) */
            for (int j = i - (i % 16 == 15 ? 15 : i % 16); j <= i; j++) {
                size_t m = (size_t)(j * 977) % MAX;
                fill(out, m, (unsigned)j);
                long got = recv_wait(pull, in, MAX, NULL);
                CHECK(got == (long)m);
                CHECK(got < 0 || memcmp(in, out, m) == 0);
            }
        }
    }
    CHECK_EQ(zf_sock_close(push, 1, 0), 0);
    CHECK_EQ(zf_sock_close(pull, 1, 0), 0);
    free(out);
    free(in);
}

static void test_pushpull_inproc(zf_ctx *c)
{
    current = "pushpull_inproc";
    pushpull(c, "inproc://win-smoke", 200);
}

static void test_pushpull_tcp(zf_ctx *c)
{
    current = "pushpull_tcp";
    pushpull(c, "tcp://127.0.0.1:*", 400);
}

static void test_pair_tcp(zf_ctx *c)
{
    current = "pair_tcp";
    zf_sock *a = NULL, *b = NULL;
    CHECK_EQ(zf_sock_new(c, PAIR, &a), 0);
    CHECK_EQ(zf_sock_new(c, PAIR, &b), 0);
    CHECK_EQ(zf_sock_bind(a, "tcp://127.0.0.1:*"), 0);
    char ep[300];
    last_endpoint(a, ep, sizeof ep);
    CHECK(strncmp(ep, "tcp://127.0.0.1:", 16) == 0);
    CHECK_EQ(zf_sock_connect(b, ep), 0);
    for (int round = 0; round < 50; round++) {
        zf_sock *from = round % 2 ? a : b, *to = round % 2 ? b : a;
        CHECK(send_wait(from, "head", 4, ZF_SNDMORE) == 0);
        CHECK(send_wait(from, &round, sizeof round, 0) == 0);
        char buf[16];
        int more = 0, r = -1;
        CHECK(recv_wait(to, buf, sizeof buf, &more) == 4 && more && memcmp(buf, "head", 4) == 0);
        CHECK(recv_wait(to, &r, sizeof r, &more) == (long)sizeof r && !more && r == round);
    }
    CHECK_EQ(zf_sock_close(a, 1, 0), 0);
    CHECK_EQ(zf_sock_close(b, 1, 0), 0);
}

/* CURVE between two PAIRs over tcp: the handshake and boxed traffic both ways (no ZAP handler:
 * any client is admitted, as libzmq does without one). */
static void test_pair_curve(zf_ctx *c)
{
    current = "pair_curve";
    uint8_t spub[32], ssec[32], cpub[32], csec[32];
    CHECK_EQ(zf_crypto_box_keypair(spub, ssec), 0);
    CHECK_EQ(zf_crypto_box_keypair(cpub, csec), 0);
    zf_sock *srv = NULL, *cli = NULL;
    CHECK_EQ(zf_sock_new(c, PAIR, &srv), 0);
    CHECK_EQ(zf_sock_new(c, PAIR, &cli), 0);
    CHECK_EQ(zf_sock_setopt_int(srv, ZF_OPT_CURVE_SERVER, 1), 0);
    CHECK_EQ(zf_sock_setopt_bytes(srv, ZF_OPT_CURVE_PUBLICKEY, spub, 32), 0);
    CHECK_EQ(zf_sock_setopt_bytes(srv, ZF_OPT_CURVE_SECRETKEY, ssec, 32), 0);
    CHECK_EQ(zf_sock_setopt_bytes(cli, ZF_OPT_CURVE_SERVERKEY, spub, 32), 0);
    CHECK_EQ(zf_sock_setopt_bytes(cli, ZF_OPT_CURVE_PUBLICKEY, cpub, 32), 0);
    CHECK_EQ(zf_sock_setopt_bytes(cli, ZF_OPT_CURVE_SECRETKEY, csec, 32), 0);
    CHECK_EQ(zf_sock_bind(srv, "tcp://127.0.0.1:*"), 0);
    char ep[300];
    last_endpoint(srv, ep, sizeof ep);
    CHECK_EQ(zf_sock_connect(cli, ep), 0);
    enum { BIG = 100000 };
    uint8_t *out = malloc(BIG), *in = malloc(BIG);
    for (int round = 0; round < 20; round++) {
        zf_sock *from = round % 2 ? srv : cli, *to = round % 2 ? cli : srv;
        size_t n = round % 4 == 3 ? BIG : (size_t)round * 10;
        fill(out, n, (unsigned)round);
        CHECK_EQ(send_wait(from, out, n, 0), 0);
        CHECK_EQ(recv_wait(to, in, BIG, NULL), (long)n);
        CHECK(memcmp(in, out, n) == 0);
    }
    free(out);
    free(in);
    CHECK_EQ(zf_sock_close(srv, 1, 0), 0);
    CHECK_EQ(zf_sock_close(cli, 1, 0), 0);
}

typedef struct later {
    zf_sock *s;
    int delay_ms;
} later;

static void *send_later(void *arg)
{
    later *l = arg;
    int64_t until = zf_clock_ms() + l->delay_ms;
    while (zf_clock_ms() < until) {
    }
    send_wait(l->s, "wake", 4, 0);
    return NULL;
}

/* zf_poll_wait on a socket sleeps for its timeout when nothing comes, and is woken early by a
 * message sent from another thread. */
static void test_poller_wakeup(zf_ctx *c)
{
    current = "poller_wakeup";
    zf_sock *push = NULL, *pull = NULL;
    CHECK_EQ(zf_sock_new(c, PULL, &pull), 0);
    CHECK_EQ(zf_sock_new(c, PUSH, &push), 0);
    CHECK_EQ(zf_sock_bind(pull, "tcp://127.0.0.1:*"), 0);
    char ep[300];
    last_endpoint(pull, ep, sizeof ep);
    CHECK_EQ(zf_sock_connect(push, ep), 0);
    zf_pollitem it = {.sock = pull, .fd = -1, .events = ZF_POLLIN};
    /* nothing arrives: 80 ms of scans and waits (a wait may end early: spurious wake-ups, such
     * as the connection's arrival, are allowed) report nothing, and the waits do sleep */
    int64_t t0 = zf_clock_ms();
    int ready = 0, waits = 0;
    while (zf_clock_ms() - t0 < 80) {
        ready |= zf_poll_scan(&it, 1, 1);
        int rc = zf_poll_wait(&it, 1, (int)(80 - (zf_clock_ms() - t0)) + 1);
        CHECK(rc == 0 || rc == -EAGAIN);
        waits++;
    }
    CHECK_EQ(ready, 0);
    CHECK(waits < 40); /* slept, rather than spun */
    later l = {push, 50};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, send_later, &l) == 0);
    t0 = zf_clock_ms();
    ready = 0;
    while (!ready && zf_clock_ms() - t0 < 10000) {
        ready = zf_poll_scan(&it, 1, 1);
        if (!ready)
            zf_poll_wait(&it, 1, 10000);
    }
    CHECK(ready == 1 && (it.revents & ZF_POLLIN));
    CHECK(zf_clock_ms() - t0 < 9000);
    pthread_join(t, NULL);
    char buf[8];
    CHECK(recv_wait(pull, buf, sizeof buf, NULL) == 4);
    CHECK_EQ(zf_sock_close(push, 1, 0), 0);
    CHECK_EQ(zf_sock_close(pull, 1, 0), 0);
}

static void test_errors(zf_ctx *c)
{
    current = "errors";
    zf_sock *a = NULL, *b = NULL;
    CHECK_EQ(zf_sock_new(c, PAIR, &a), 0);
    CHECK_EQ(zf_sock_new(c, PAIR, &b), 0);
    CHECK_EQ(zf_sock_bind(a, "tcp://127.0.0.1:*"), 0);
    char ep[300];
    last_endpoint(a, ep, sizeof ep);
    CHECK_EQ(zf_sock_bind(b, ep), -EADDRINUSE);
    CHECK_EQ(zf_sock_connect(b, "tcp://127.0.0.1"), -EINVAL);
    CHECK_EQ(zf_sock_connect(b, "bogus://x"), -EPROTONOSUPPORT);
    CHECK_EQ(zf_sock_bind(b, "inproc://win-smoke-errors"), 0);
    CHECK_EQ(zf_sock_bind(a, "inproc://win-smoke-errors"), -EADDRINUSE);
    CHECK_EQ(zf_sock_close(a, 1, 0), 0);
    CHECK_EQ(zf_sock_close(b, 1, 0), 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    zf_ctx *c = zf_ctx_new(1);
    current = "context";
    CHECK(c != NULL);
    if (!c)
        return 1;
    struct {
        const char *name;
        void (*fn)(zf_ctx *);
    } tests[] = {
        {"pushpull_inproc", test_pushpull_inproc}, {"pushpull_tcp", test_pushpull_tcp},
        {"pair_tcp", test_pair_tcp},               {"pair_curve", test_pair_curve},
        {"poller_wakeup", test_poller_wakeup},
        {"errors", test_errors},
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = failures;
        tests[i].fn(c);
        printf("%s %s\n", failures == before ? "ok  " : "FAIL", tests[i].name);
    }
    current = "term";
    zf_ctx_shutdown(c);
    CHECK(zf_ctx_term_wait(c, 10000) == 0);
    zf_ctx_free(c);
    printf("%s term\n", failures ? "    " : "ok  ");
    if (failures)
        printf("win_smoke: %d check(s) failed\n", failures);
    else
        printf("win_smoke: all passed\n");
    return failures ? 1 : 0;
}
