/* fuzz_session: the whole engine as a peer meets it. Sockets of several types are bound on ipc
 * endpoints of a real context (its I/O thread running); each input is one connection: the first
 * byte picks the socket, the rest is written as the peer's side of the stream (greeting,
 * handshake, frames), then the connection is half-closed and the harness waits for the engine
 * to hang up. This drives engine_zmtp.c's decoder with its read buffer, partial and large frames,
 * commands, subscriptions and handshakes, which the pure targets cannot reach; whatever the
 * socket received is then read and freed through the public API (zf.h).
 *
 * ASan and UBSan watch the I/O thread as well. Leak detection is off for this target (see
 * .ci/fuzz-smoke): messages still on their way when an input ends are freed by a later one. */
#include "fuzz.h"
#include "options.h"
#include "zf.h"
#include "zmtp.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Frames past ZF_INLINE_MAX get a buffer of their own, of the size the peer announces before
 * sending it (as libzmq allocates); MAXMSGSIZE bounds that here, or every input could claim
 * gigabytes. */
#define MAXMSG (1 << 20)

struct target {
    int type;
    int plain; /* PLAIN server (no ZAP handler: HELLO is parsed, then refused) */
    int64_t maxmsgsize;
    zf_sock *sock;
    char path[100];
};

static struct target targets[] = {
    {ZF_PULL, 0, MAXMSG, NULL, ""}, {ZF_ROUTER, 0, MAXMSG, NULL, ""}, {ZF_XPUB, 0, MAXMSG, NULL, ""},
    {ZF_SUB, 0, MAXMSG, NULL, ""},  {ZF_DEALER, 0, 300, NULL, ""},    {ZF_PULL, 1, MAXMSG, NULL, ""},
    {ZF_REP, 0, MAXMSG, NULL, ""},  {ZF_PAIR, 0, MAXMSG, NULL, ""},
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static zf_ctx *ctx;

static void remove_endpoints(void)
{
    for (size_t i = 0; i < NTARGETS; i++)
        if (targets[i].path[0])
            unlink(targets[i].path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ctx = zf_ctx_new(1);
    CHECK(ctx != NULL);
    atexit(remove_endpoints); /* a run that ends normally leaves no socket files behind */
    for (size_t i = 0; i < NTARGETS; i++) {
        struct target *t = &targets[i];
        CHECK(zf_sock_new(ctx, t->type, &t->sock) == 0);
        CHECK(zf_sock_setopt_int(t->sock, ZF_OPT_LINGER, 0) == 0);
        CHECK(zf_sock_setopt_int(t->sock, ZF_OPT_MAXMSGSIZE, t->maxmsgsize) == 0);
        if (t->plain)
            CHECK(zf_sock_setopt_int(t->sock, ZF_OPT_PLAIN_SERVER, 1) == 0);
        if (t->type == ZF_SUB)
            CHECK(zf_sock_setopt_bytes(t->sock, ZF_OPT_SUBSCRIBE, "", 0) == 0);
        snprintf(t->path, sizeof t->path, "/tmp/zf-fuzz-%d-%zu", (int)getpid(), i);
        unlink(t->path);
        char ep[120];
        snprintf(ep, sizeof ep, "ipc://%s", t->path);
        CHECK(zf_sock_bind(t->sock, ep) == 0);
    }
    return 0;
}

/* Everything the socket has received so far, taken and freed. */
static void drain(zf_sock *s)
{
    zf_frame f;
    for (int i = 0; i < 100000 && zf_sock_recv(s, &f) == 0; i++) {
        CHECK(f.size == 0 || f.data != NULL);
        if (f.size) { /* touch both ends: ASan checks the frame really holds f.size bytes */
            volatile uint8_t sink = (uint8_t)(f.data[0] ^ f.data[f.size - 1]);
            (void)sink;
        }
        if (f.buf)
            zf_buf_unref(f.buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    struct target *t = &targets[d[0] % NTARGETS];
    d++, n--;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, t->path, strlen(t->path) + 1);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    /* the engine may hang up before taking everything (a protocol error): stop writing then */
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, d + off, n - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    /* the engine closes its end once it has seen our end of stream (or given up on us); what
     * the socket receives meanwhile is taken, or a full queue would hold the connection open */
    char sink[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (int waited = 0; waited < 2000;) {
        drain(t->sock);
        int r = poll(&p, 1, 5);
        if (r == 0) {
            waited += 5;
            continue;
        }
        ssize_t got = recv(fd, sink, sizeof sink, 0);
        if (got <= 0)
            break;
    }
    close(fd);
    drain(t->sock);
    return 0;
}
