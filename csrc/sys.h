/* sys.h: the thin portable socket layer. Every call the engine makes on a socket that differs
 * between POSIX and Windows goes through here, so no other file needs an #ifdef _WIN32.
 *
 * Conventions, the same on both sides:
 *  - a socket is an int (on Windows a SOCKET handle narrowed to int: kernel handles keep their
 *    significant bits in the low 32, which is what lets 32- and 64-bit processes share them,
 *    and INVALID_SOCKET narrows to -1);
 *  - a call that fails returns -1 and leaves the reason in errno, with Winsock's WSAE* codes
 *    translated to the C runtime's errno values, which are the numbers libzmq (and so pyzmq)
 *    reports on Windows (EADDRINUSE is 100 there, not 10048);
 *  - nothing raises SIGPIPE, and every socket is non-inheritable (close-on-exec).
 * On POSIX every function here is a static inline around the system call it replaces: the
 * Linux build compiles to exactly the code it had before. */
#ifndef ZF_SYS_H
#define ZF_SYS_H

#include "platform.h"

#ifdef _WIN32
#include "sys_win.h"
#else
#include "sys_posix.h"
#endif

#endif
