/* _inplace.h: received payloads that become Python bytes objects without a copy.
 *
 * CPython allocates a bytes object of more than 512 bytes with PyObject_Malloc, which hands such
 * sizes to the raw allocator, and frees it with PyObject_Free, which hands a block it did not
 * carve from its arenas back to the raw allocator. So a block the I/O thread takes from the raw
 * allocator (callable without the GIL), with room for the object header before the payload,
 * becomes a bytes object by writing that header: recv() then returns the buffer the socket read
 * into. The binding enables this only where that chain holds (see _core.pyx: no debug allocator
 * hooks, no free-threaded build, CPython). */
#ifndef ZF_INPLACE_H
#define ZF_INPLACE_H

#include <Python.h>
#include <string.h>

#include "msg.h"

static zf_buf_alloc zf_inplace_alloc;

/* Capture the raw allocator (once, at import, with the GIL) and fill zf_inplace_alloc. */
static const zf_buf_alloc *zf_inplace_setup(void)
{
    PyMemAllocatorEx raw;
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &raw);
    zf_inplace_alloc.alloc = raw.malloc;
    zf_inplace_alloc.release = raw.free;
    zf_inplace_alloc.ctx = raw.ctx;
    zf_inplace_alloc.prefix = offsetof(PyBytesObject, ob_sval);
    return &zf_inplace_alloc;
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* ob_shash: still the hash cache */
#endif
/* Turn an adopted block (zf_buf_adopt) holding size payload bytes into a bytes object. */
static PyObject *zf_inplace_bytes(void *block, size_t size)
{
    PyBytesObject *op = (PyBytesObject *)block;
    op->ob_sval[size] = '\0';
    op->ob_shash = -1;
    return (PyObject *)PyObject_InitVar((PyVarObject *)op, &PyBytes_Type, (Py_ssize_t)size);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif
