/* test_zmtp.c: the ZMTP 3.x codec (zmtp.h) over byte buffers: greetings built and parsed, frame
 * headers short and long at their boundaries, commands, READY and metadata, PING/PONG, and
 * malformed input refused with -EPROTO (never read past the buffer: run under ASan to be sure). */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "zmtp.h"

static void test_greeting_layout(void)
{
    uint8_t g[ZF_GREETING_SIZE];
    zf_zmtp_greeting(g, "NULL", 0);
    CHECK_EQ(g[0], 0xFF);
    CHECK_EQ(g[9], 0x7F);
    CHECK_EQ(g[10], 3);
    CHECK_EQ(g[11], 1);
    CHECK_MEM(g + 12, "NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
    CHECK_EQ(g[32], 0);
    for (int i = 33; i < 64; i++)
        CHECK_EQ(g[i], 0);
    zf_zmtp_greeting(g, "CURVE", 1);
    CHECK_MEM(g + 12, "CURVE", 6);
    CHECK_EQ(g[32], 1);
    /* a mechanism name is cut at 20 bytes, never overflowing into as-server */
    zf_zmtp_greeting(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 0);
    CHECK_MEM(g + 12, "ABCDEFGHIJKLMNOPQRST", 20);
    CHECK_EQ(g[32], 0);
}

static void test_greeting_roundtrip_and_byte_by_byte(void)
{
    uint8_t g[ZF_GREETING_SIZE];
    zf_zmtp_greeting(g, "PLAIN", 1);
    int major = 0, minor = 0;
    char mech[21];
    CHECK_EQ(zf_zmtp_parse_greeting(g, sizeof g, &major, &minor, mech), 0);
    CHECK_EQ(major, 3);
    CHECK_EQ(minor, 1);
    CHECK(strcmp(mech, "PLAIN") == 0);
    /* a peer's greeting arrives in pieces: the parser asks for what is missing */
    CHECK_EQ(zf_zmtp_parse_greeting(g, 0, &major, &minor, mech), 11);
    for (size_t n = 1; n < 11; n++)
        CHECK_EQ(zf_zmtp_parse_greeting(g, n, &major, &minor, mech), (int)(11 - n));
    for (size_t n = 11; n < ZF_GREETING_SIZE; n++)
        CHECK_EQ(zf_zmtp_parse_greeting(g, n, &major, &minor, mech), (int)(ZF_GREETING_SIZE - n));
    /* a 3.0 peer (libzmq 4.0/4.1) is spoken to */
    g[11] = 0;
    CHECK_EQ(zf_zmtp_parse_greeting(g, sizeof g, &major, &minor, mech), 0);
    CHECK_EQ(minor, 0);
    /* the mechanism field is always terminated, even when all 20 bytes are used */
    memset(g + 12, 'M', 20);
    CHECK_EQ(zf_zmtp_parse_greeting(g, sizeof g, &major, &minor, mech), 0);
    CHECK_EQ(strlen(mech), 20);
}

static void test_greeting_malformed_refused_early(void)
{
    uint8_t g[ZF_GREETING_SIZE];
    int major, minor;
    char mech[21];
    zf_zmtp_greeting(g, "NULL", 0);
    /* not 0xFF first: ZMTP 1.0 or not ZMTP, known from one byte */
    uint8_t bad = g[0] ^ 1;
    CHECK_EQ(zf_zmtp_parse_greeting(&bad, 1, &major, &minor, mech), -EPROTO);
    CHECK_EQ(zf_zmtp_parse_greeting((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &major, &minor, mech),
             -EPROTO);
    /* signature byte 9 without its low bit */
    uint8_t b[ZF_GREETING_SIZE];
    memcpy(b, g, sizeof b);
    b[9] = 0x7E;
    CHECK_EQ(zf_zmtp_parse_greeting(b, 10, &major, &minor, mech), -EPROTO);
    CHECK_EQ(zf_zmtp_parse_greeting(b, sizeof b, &major, &minor, mech), -EPROTO);
    /* ZMTP 1.0 and 2.0 (libzmq 2.x/3.x) */
    for (int v = 0; v < 3; v++) {
        memcpy(b, g, sizeof b);
        b[10] = (uint8_t)v;
        CHECK_EQ(zf_zmtp_parse_greeting(b, 11, &major, &minor, mech), -EPROTO);
    }
}

static void test_frame_headers_short_and_long(void)
{
    uint8_t h[9];
    int flags;
    uint64_t size;
    /* short up to 255, long from 256; flags kept */
    CHECK_EQ(zf_zmtp_put_header(h, 0, 0), 2);
    CHECK_MEM(h, "\x00\x00", 2);
    CHECK_EQ(zf_zmtp_put_header(h, 255, ZF_F_MORE), 2);
    CHECK_MEM(h, "\x01\xff", 2);
    CHECK_EQ(zf_zmtp_get_header(h, 2, &flags, &size), 2);
    CHECK_EQ(flags, ZF_F_MORE);
    CHECK_EQ(size, 255);
    CHECK_EQ(zf_zmtp_put_header(h, 256, 0), 9);
    CHECK_MEM(h, "\x02\x00\x00\x00\x00\x00\x00\x01\x00", 9);
    CHECK_EQ(zf_zmtp_put_header(h, 0x0102030405060708ull, ZF_F_COMMAND), 9);
    CHECK_MEM(h, "\x06\x01\x02\x03\x04\x05\x06\x07\x08", 9);
    CHECK_EQ(zf_zmtp_get_header(h, 9, &flags, &size), 9);
    CHECK_EQ(flags, ZF_F_COMMAND | ZF_F_LONG);
    CHECK(size == 0x0102030405060708ull);
    /* round trips at the boundaries */
    uint64_t sizes[] = {0, 1, 254, 255, 256, 65535, 65536, 0xFFFFFFFFull, 0x100000000ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int f = 0; f <= (ZF_F_MORE | ZF_F_COMMAND); f += 1) {
            if (f & ZF_F_LONG)
                continue;
            size_t n = zf_zmtp_put_header(h, sizes[i], f);
            CHECK_EQ(n, sizes[i] <= 255 ? 2 : 9);
            CHECK_EQ(zf_zmtp_get_header(h, n, &flags, &size), n);
            CHECK(size == sizes[i]);
            CHECK_EQ(flags & ~ZF_F_LONG, f);
        }
    }
}

static void test_frame_header_needs_whole_header(void)
{
    uint8_t h[9];
    int flags = -1;
    uint64_t size = 12345;
    size_t n = zf_zmtp_put_header(h, 1000, 0);
    for (size_t avail = 0; avail < n; avail++)
        CHECK_EQ(zf_zmtp_get_header(h, avail, &flags, &size), 0);
    CHECK_EQ(flags, -1); /* nothing written while incomplete */
    CHECK_EQ(size, 12345);
    zf_zmtp_put_header(h, 3, 0);
    CHECK_EQ(zf_zmtp_get_header(h, 1, &flags, &size), 0);
    /* reserved flag bits are ignored, as libzmq does: the header still parses */
    h[0] = 0xF8 | ZF_F_MORE;
    CHECK_EQ(zf_zmtp_get_header(h, 2, &flags, &size), 2);
    CHECK(flags & ZF_F_MORE);
    CHECK_EQ(size, 3);
}

static void test_command_frames(void)
{
    uint8_t out[600];
    long n = zf_zmtp_command_frame(out, sizeof out, "PING", (const uint8_t *)"\x00\x0a" "ctx", 5);
    REQUIRE(n > 0);
    int flags;
    uint64_t size;
    size_t h = zf_zmtp_get_header(out, (size_t)n, &flags, &size);
    REQUIRE(h == 2);
    CHECK_EQ(flags, ZF_F_COMMAND);
    CHECK_EQ(size, (uint64_t)n - 2);
    const uint8_t *name, *body;
    size_t nl, bl;
    CHECK_EQ(zf_zmtp_command(out + h, (size_t)size, &name, &nl, &body, &bl), 0);
    CHECK(zf_zmtp_is_command(name, nl, "PING"));
    CHECK(!zf_zmtp_is_command(name, nl, "PIN"));
    CHECK(!zf_zmtp_is_command(name, nl, "PINGS"));
    CHECK_EQ(bl, 5);
    CHECK_MEM(body, "\x00\x0a" "ctx", 5);
    /* a long command: header switches to 9 bytes */
    static uint8_t big[300];
    memset(big, 'b', sizeof big);
    n = zf_zmtp_command_frame(out, sizeof out, "BIG", big, sizeof big);
    REQUIRE(n > 0);
    CHECK_EQ(zf_zmtp_get_header(out, (size_t)n, &flags, &size), 9);
    CHECK_EQ(flags, ZF_F_COMMAND | ZF_F_LONG);
    CHECK_EQ(size, 1 + 3 + 300);
    /* no room: -ENOBUFS, never a short write */
    CHECK_EQ(zf_zmtp_command_frame(out, 10, "BIG", big, sizeof big), -ENOBUFS);
    char longname[300];
    memset(longname, 'n', 299);
    longname[299] = 0;
    CHECK_EQ(zf_zmtp_command_frame(out, sizeof out, longname, NULL, 0), -ENOBUFS);
}

static void test_command_malformed_refused(void)
{
    const uint8_t *name, *body;
    size_t nl, bl;
    CHECK_EQ(zf_zmtp_command((const uint8_t *)"", 0, &name, &nl, &body, &bl), -EPROTO);
    /* the name length says 5, only 4 bytes follow */
    CHECK_EQ(zf_zmtp_command((const uint8_t *)"\x05READ", 5, &name, &nl, &body, &bl), -EPROTO);
    CHECK_EQ(zf_zmtp_command((const uint8_t *)"\xffx", 2, &name, &nl, &body, &bl), -EPROTO);
    /* an empty name and an empty body are well formed */
    CHECK_EQ(zf_zmtp_command((const uint8_t *)"\x00", 1, &name, &nl, &body, &bl), 0);
    CHECK_EQ(nl, 0);
    CHECK_EQ(bl, 0);
    CHECK_EQ(zf_zmtp_command((const uint8_t *)"\x05READY", 6, &name, &nl, &body, &bl), 0);
    CHECK_EQ(bl, 0);
}

typedef struct props {
    int n;
    char names[8][32];
    uint8_t values[8][64];
    size_t vlens[8];
    int stop_after;
} props;

static int collect(void *arg, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
    props *p = arg;
    if (p->n < 8 && nl < 32 && vl <= 64) {
        memcpy(p->names[p->n], name, nl);
        p->names[p->n][nl] = 0;
        memcpy(p->values[p->n], val, vl);
        p->vlens[p->n] = vl;
    }
    p->n++;
    return p->stop_after && p->n >= p->stop_after;
}

static void test_ready_and_metadata_parse(void)
{
    uint8_t out[512];
    long n = zf_zmtp_ready(out, sizeof out, "READY", ZF_DEALER, (const uint8_t *)"peer-7", 6, 1);
    REQUIRE(n > 0);
    int flags;
    uint64_t size;
    size_t h = zf_zmtp_get_header(out, (size_t)n, &flags, &size);
    REQUIRE(h == 2 && h + size == (size_t)n);
    CHECK_EQ(flags, ZF_F_COMMAND);
    const uint8_t *name, *body;
    size_t nl, bl;
    REQUIRE(zf_zmtp_command(out + h, (size_t)size, &name, &nl, &body, &bl) == 0);
    CHECK(zf_zmtp_is_command(name, nl, "READY"));
    props p = {0};
    CHECK_EQ(zf_zmtp_parse_metadata(body, bl, collect, &p), 0);
    REQUIRE(p.n == 2);
    CHECK(strcmp(p.names[0], "Socket-Type") == 0);
    CHECK_EQ(p.vlens[0], 6);
    CHECK_MEM(p.values[0], "DEALER", 6);
    CHECK(strcmp(p.names[1], "Identity") == 0);
    CHECK_EQ(p.vlens[1], 6);
    CHECK_MEM(p.values[1], "peer-7", 6);
    /* the exact bytes RFC 37 specifies for this READY */
    static const uint8_t want[] = "\x04\x2f\x05READY\x0bSocket-Type\x00\x00\x00\x06" "DEALER"
                                  "\x08Identity\x00\x00\x00\x06peer-7";
    CHECK_EQ(n, sizeof want - 1);
    CHECK_MEM(out, want, sizeof want - 1);
    /* without identity; and -ENOBUFS when it does not fit */
    n = zf_zmtp_ready(out, sizeof out, "READY", ZF_PUB, NULL, 0, 0);
    REQUIRE(n > 0);
    p = (props){0};
    REQUIRE(zf_zmtp_command(out + 2, (size_t)n - 2, &name, &nl, &body, &bl) == 0);
    CHECK_EQ(zf_zmtp_parse_metadata(body, bl, collect, &p), 0);
    CHECK_EQ(p.n, 1);
    CHECK_EQ(zf_zmtp_ready(out, 20, "READY", ZF_PUB, NULL, 0, 0), -ENOBUFS);
    /* a callback can stop the walk */
    n = zf_zmtp_ready(out, sizeof out, "READY", ZF_DEALER, (const uint8_t *)"x", 1, 1);
    REQUIRE(zf_zmtp_command(out + 2, (size_t)n - 2, &name, &nl, &body, &bl) == 0);
    p = (props){.stop_after = 1};
    CHECK_EQ(zf_zmtp_parse_metadata(body, bl, collect, &p), 0);
    CHECK_EQ(p.n, 1);
}

static void test_metadata_put_prop_and_empty_values(void)
{
    uint8_t buf[256];
    size_t n = zf_zmtp_put_prop(buf, "User-Id", (const uint8_t *)"", 0);
    CHECK_EQ(n, 1 + 7 + 4);
    n += zf_zmtp_put_prop(buf + n, "X-Big", (const uint8_t *)"0123456789", 10);
    props p = {0};
    CHECK_EQ(zf_zmtp_parse_metadata(buf, n, collect, &p), 0);
    REQUIRE(p.n == 2);
    CHECK(strcmp(p.names[0], "User-Id") == 0);
    CHECK_EQ(p.vlens[0], 0);
    CHECK_EQ(p.vlens[1], 10);
    /* an empty property list is well formed; a NULL callback only validates */
    CHECK_EQ(zf_zmtp_parse_metadata(buf, 0, collect, &p), 0);
    CHECK_EQ(zf_zmtp_parse_metadata(buf, n, NULL, NULL), 0);
}

static void test_metadata_malformed_refused_at_every_cut(void)
{
    uint8_t buf[128];
    size_t n = zf_zmtp_put_prop(buf, "Socket-Type", (const uint8_t *)"PUSH", 4);
    n += zf_zmtp_put_prop(buf + n, "Identity", (const uint8_t *)"id", 2);
    /* every truncation that cuts a property is refused; cuts between properties are not */
    size_t first = 1 + 11 + 4 + 4;
    for (size_t cut = 1; cut < n; cut++) {
        props p = {0};
        int rc = zf_zmtp_parse_metadata(buf, cut, collect, &p);
        CHECK_EQ(rc, cut == first ? 0 : -EPROTO);
    }
    /* a zero-length name */
    CHECK_EQ(zf_zmtp_parse_metadata((const uint8_t *)"\x00\x00\x00\x00\x00", 5, NULL, NULL), -EPROTO);
    /* a value length past the end, up to 2^32-1 (no overflow in the bound check) */
    memcpy(buf, "\x01" "A" "\xff\xff\xff\xff" "z", 7);
    CHECK_EQ(zf_zmtp_parse_metadata(buf, 7, NULL, NULL), -EPROTO);
    memcpy(buf, "\x01" "A" "\x00\x00\x00\x02" "z", 7);
    CHECK_EQ(zf_zmtp_parse_metadata(buf, 7, NULL, NULL), -EPROTO);
    memcpy(buf, "\x01" "A" "\x00\x00\x00\x01" "z", 7);
    CHECK_EQ(zf_zmtp_parse_metadata(buf, 7, NULL, NULL), 0);
}

static void test_metadata_random_bytes_never_overrun(void)
{
    /* random property lists: the parser either accepts one whose properties tile the buffer
     * exactly, or refuses; each value it hands out lies inside the buffer (ASan checks reads) */
    uint32_t x = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(round % 40);
        uint8_t *buf = malloc(len ? len : 1);
        REQUIRE(buf != NULL);
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            uint8_t b = (uint8_t)(x >> 16);
            buf[i] = (i % 7 == 0) ? (uint8_t)(b % 6) : (i % 7 >= 2 && i % 7 <= 4) ? 0 : b;
        }
        props p = {0};
        int rc = zf_zmtp_parse_metadata(buf, len, collect, &p);
        CHECK(rc == 0 || rc == -EPROTO);
        free(buf);
    }
}

static void test_ping_pong(void)
{
    uint8_t out[64];
    /* PONG echoes the PING's context (after the 2-byte TTL), at most 16 bytes of it */
    size_t n = zf_zmtp_pong(out, (const uint8_t *)"\x00\x64" "abc", 5);
    CHECK_EQ(n, 2 + 5 + 3);
    CHECK_MEM(out, "\x04\x08\x04PONGabc", n);
    n = zf_zmtp_pong(out, (const uint8_t *)"\x00\x64", 2);
    CHECK_MEM(out, "\x04\x05\x04PONG", n);
    n = zf_zmtp_pong(out, (const uint8_t *)"\x00\x64" "0123456789abcdefXYZ", 21);
    CHECK_EQ(n, 2 + 5 + 16);
    CHECK_MEM(out + 7, "0123456789abcdef", 16);
    n = zf_zmtp_pong(out, (const uint8_t *)"", 0); /* a PING too short for its TTL */
    CHECK_EQ(n, 7);
}

static void test_socket_types_and_compatibility(void)
{
    for (int t = 0; t < ZF_NTYPES; t++) {
        const char *name = zf_zmtp_type_name(t);
        CHECK_EQ(zf_zmtp_type_from_name((const uint8_t *)name, strlen(name)), t);
    }
    CHECK(strcmp(zf_zmtp_type_name(ZF_NTYPES), "UNKNOWN") == 0);
    CHECK(strcmp(zf_zmtp_type_name(-1), "UNKNOWN") == 0);
    CHECK_EQ(zf_zmtp_type_from_name((const uint8_t *)"PUS", 3), -1);
    CHECK_EQ(zf_zmtp_type_from_name((const uint8_t *)"push", 4), -1); /* case matters */
    CHECK_EQ(zf_zmtp_type_from_name((const uint8_t *)"PUSHX", 5), -1);
    /* RFC 37's table, both ways */
    struct { int a, b; } ok[] = {{ZF_PAIR, ZF_PAIR}, {ZF_PUSH, ZF_PULL}, {ZF_REQ, ZF_REP},
                                 {ZF_REQ, ZF_ROUTER}, {ZF_DEALER, ZF_REP}, {ZF_DEALER, ZF_DEALER},
                                 {ZF_DEALER, ZF_ROUTER}, {ZF_ROUTER, ZF_ROUTER}, {ZF_PUB, ZF_SUB},
                                 {ZF_PUB, ZF_XSUB}, {ZF_XPUB, ZF_SUB}, {ZF_XPUB, ZF_XSUB}};
    int nok = (int)(sizeof ok / sizeof ok[0]);
    for (int a = 0; a < ZF_NTYPES; a++)
        for (int b = 0; b < ZF_NTYPES; b++) {
            if (a == ZF_STREAM || b == ZF_STREAM)
                continue; /* STREAM speaks raw TCP, not ZMTP */
            int want = 0;
            for (int i = 0; i < nok; i++)
                if ((ok[i].a == a && ok[i].b == b) || (ok[i].a == b && ok[i].b == a))
                    want = 1;
            if (zf_zmtp_compatible(a, b) != want) {
                fprintf(stderr, "    %s with %s\n", zf_zmtp_type_name(a), zf_zmtp_type_name(b));
                CHECK_EQ(zf_zmtp_compatible(a, b), want);
            }
        }
}

int main(void)
{
    RUN(test_greeting_layout);
    RUN(test_greeting_roundtrip_and_byte_by_byte);
    RUN(test_greeting_malformed_refused_early);
    RUN(test_frame_headers_short_and_long);
    RUN(test_frame_header_needs_whole_header);
    RUN(test_command_frames);
    RUN(test_command_malformed_refused);
    RUN(test_ready_and_metadata_parse);
    RUN(test_metadata_put_prop_and_empty_values);
    RUN(test_metadata_malformed_refused_at_every_cut);
    RUN(test_metadata_random_bytes_never_overrun);
    RUN(test_ping_pong);
    RUN(test_socket_types_and_compatibility);
    return check_summary("test_zmtp");
}
