/* meta.h: a connection's metadata, as Frame.get reads it: the peer's READY properties and its
 * address, kept in one refcounted zf_buf laid out as [u8 addrlen][addr][properties as sent on
 * the wire]. Every message that arrives on the connection refers to it. */
#ifndef ZF_META_H
#define ZF_META_H

#include "msg.h"

zf_buf *zf_meta_new(const char *peer_addr, const uint8_t *props, size_t len);
/* The value of a property (case-insensitive name; "Peer-Address" included). 0 or -EINVAL. */
int zf_meta_get(const zf_buf *m, const char *name, const uint8_t **val, size_t *len);

#endif
