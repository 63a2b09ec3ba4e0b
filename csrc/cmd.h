/* cmd.h: a command for the I/O thread's mailbox. Defined apart from io.h because pipes embed
 * one (their kick), so waking the I/O thread for a pipe never allocates. */
#ifndef ZF_CMD_H
#define ZF_CMD_H

#include "platform.h"

struct zf_sync;

typedef struct zf_io_cmd {
    struct zf_io_cmd *next;
    int type;
    void *a;
    uint64_t id; /* commands naming a session by id (it may be gone by then) */
    struct zf_sync *sync;
    _Atomic int queued; /* embedded commands: set while in the mailbox */
} zf_io_cmd;

#endif
