/* cmd.h: a command for the I/O thread's mailbox. Defined apart from io.h because pipes embed
 * one (their kick), so waking the I/O thread for a pipe never allocates.
 *
 * A command carries its own handler (run), as libzmq's commands name their destination: the
 * I/O thread calls it and knows nothing of what it does (sessions, listeners...). */
#ifndef ZF_CMD_H
#define ZF_CMD_H

#include "platform.h"

struct zf_sync;
struct zf_io;

typedef struct zf_io_cmd {
    struct zf_io_cmd *next;
    void (*run)(struct zf_io *io, struct zf_io_cmd *c); /* in the I/O thread */
    void *a;
    uint64_t id; /* commands naming a session by id (it may be gone by then) */
    struct zf_sync *sync;
    int embedded;       /* part of another object (a pipe's kick): not freed after run */
    _Atomic int queued; /* embedded commands: set while in the mailbox */
} zf_io_cmd;

#endif
