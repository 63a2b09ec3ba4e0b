/* socks.h: the SOCKS5 proxy's replies (RFC 1928, 1929) as one pure function, so that what a
 * proxy can send us is parsed outside the session and can be fuzzed (fuzz/fuzz_socks.c).
 * socks.c also drives the exchange for a session (session.h): it sends the requests and calls
 * this on what has arrived. */
#ifndef ZF_SOCKS_H
#define ZF_SOCKS_H

#include <stddef.h>
#include <stdint.h>

/* The reply awaited, in the order they come. */
enum { ZF_SOCKS_METHOD = 1, ZF_SOCKS_AUTH, ZF_SOCKS_CONNECT };

/* The reply to step at the head of in (len bytes arrived so far). method: the authentication
 * method we offered (0 none, 2 user/password), which METHOD's reply must choose.
 * Returns the reply's length once it is whole and says yes, 0 while more bytes are needed, or
 * -EPROTO when the proxy refuses or speaks something else. */
long zf_socks_reply(int step, int method, const uint8_t *in, size_t len);

#endif
