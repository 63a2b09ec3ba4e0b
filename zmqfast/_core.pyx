# cython: language_level=3
# cython: freethreading_compatible=True
"""The binding: Context, Socket, Frame and polling over the C engine.

send, recv, send_multipart and recv_multipart are methods of the extension type itself, so a
call from Python goes straight to C. The GIL is released only to wait (zf_sock_wait and
friends); everything that cannot block runs with it held, which is cheaper than releasing it.

Threads: the engine assumes that the GIL keeps a socket's callers apart, except while a call
made without it is under way; such a call shares the socket first (zf_sock_share, with the GIL
still held: see csrc/zf.h), and until it ends every engine call on that socket takes the
socket's lock. On a free-threaded CPython there is no GIL: each socket is shared for its whole
life, so every engine call on it takes its lock (uncontended: two atomic operations).
"""
cimport cython
from cpython.buffer cimport (PyBUF_ANY_CONTIGUOUS, PyBUF_WRITABLE, PyBuffer_FillInfo,
                             PyBuffer_Release, PyObject_GetBuffer)
from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize,
                            PyBytes_GET_SIZE)
from cpython.exc cimport PyErr_CheckSignals
from cpython.number cimport PyNumber_Index
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_DECREF, Py_INCREF
from libc.errno cimport EAGAIN, EINTR, EINVAL, ENAMETOOLONG, ENOTSOCK

cdef extern from "errno.h":
    int ENOTSUP
from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.stdlib cimport free, getenv, malloc
from libc.string cimport memcpy
from posix.unistd cimport getpid

from ._zf cimport *

from . import error as _error
from . import constants as _constants

# The numbers come from where they are defined once: the flags from zf.h (through _zf.pxd), the
# options from constants.py (libzmq's numbers, which options.h uses too); C ints for the hot paths.
cdef int _DONTWAIT = ZF_DONTWAIT
cdef int _SNDMORE = ZF_SNDMORE
cdef int _OPT_RCVMORE = _constants.SocketOption.RCVMORE
cdef int _OPT_FD = _constants.SocketOption.FD
cdef int _OPT_EVENTS = _constants.SocketOption.EVENTS
cdef int _OPT_TYPE = _constants.SocketOption.TYPE
cdef int _OPT_LINGER = _constants.SocketOption.LINGER
cdef int _OPT_RCVTIMEO = _constants.SocketOption.RCVTIMEO
cdef int _OPT_SNDTIMEO = _constants.SocketOption.SNDTIMEO

COPY_THRESHOLD = 65536

_BYTES_OPTS = frozenset(_constants.bytes_sockopts)
_KNOWN_OPTS = frozenset(int(o) for o in _constants.SocketOption)
_TYPE_NAMES = {int(t): t.name for t in _constants.SocketType}
_OPT_NAMES = {int(o): o.name for o in _constants.SocketOption}

# Options pyzmq's libzmq accepts (on these socket types; None: on every type) that the engine
# does not implement yet: ENOTSUP says so. Every other option the engine refuses gives EINVAL,
# as libzmq does for a read-only, write-only, draft or other-socket-type option.
_PENDING_OPTS = {
    41: frozenset((4,)),  # ROUTER_RAW: REP (ROUTER has it)
    61: frozenset((4,)),  # CONNECT_ROUTING_ID: REP (ROUTER has it)
}
# libzmq built without GSSAPI (pyzmq's) refuses these with EINVAL; so do we, naming GSSAPI.
_GSSAPI_OPTS = frozenset((62, 63, 64, 65, 90, 91))


cdef extern from *:
    """
    /* A blocking wait (recv, send, Socket.poll, Poller.poll) sleeps at most this long at a time,
       then looks for a pending signal (PyErr_CheckSignals) before sleeping again. On POSIX a
       signal also cuts the wait short (EINTR); nothing does on Windows, where Ctrl-C arrives on
       a thread of its own and select()/WSAPoll sleep on, and _thread.interrupt_main() (what
       IPython and ipykernel use to interrupt on Windows) only sets Python's flag, on every
       platform. Cost: one wake-up of a blocked thread per 100 ms; nothing for a call that finds
       its message or is woken by it (the slice only caps the timeout handed to the wait). */
    #define ZF_WAIT_SLICE_MS 100
    """
    int ZF_WAIT_SLICE_MS


cdef object _Again = _error.Again
cdef tuple _AGAIN_ARGS = (EAGAIN,)  # what pyzmq's Again carries in .args


cdef bint _forked = False
_FORK_TEXT = ("this context was created before fork(): its I/O threads live in the parent "
              "process. Create contexts and sockets in the child (Context.instance() makes a fresh "
              "one there)")


def _fork_error():
    """The error for using, in a forked child, a context inherited from the parent."""
    e = _error.ContextTerminated()
    e.strerror = _FORK_TEXT
    return e


def _mark_forked():
    """Called in a forked child: contexts and sockets from the parent now fail clearly."""
    global _forked
    _forked = True


cdef int _raise(int rc) except -1:
    cdef object e
    if rc == -ZF_ETERM and _forked:
        raise _fork_error()
    if rc == -EAGAIN:
        raise _new_again()
    raise _error._error_for(-rc)


cdef inline object _new_again():
    """The common failure of non-blocking loops, built without running Python code. Hot paths
    raise it themselves: every Cython frame an exception passes through costs a traceback
    entry, most of the price of a recv(DONTWAIT) that finds nothing."""
    return (<PyTypeObject *>_Again).tp_new(_Again, <PyObject *>_AGAIN_ARGS, NULL)


cdef int _addr_error(int rc, addr) except -1:
    e = _error._error_for(-rc)
    if rc == -ENAMETOOLONG and str(addr).startswith("ipc://"):
        from .constants import IPC_PATH_MAX_LEN
        raise type(e)(-rc, f"ipc path {str(addr)[6:]!r} is longer than IPC_PATH_MAX_LEN "
                           f"({IPC_PATH_MAX_LEN} bytes, the room in sockaddr_un.sun_path)")
    raise type(e)(-rc, f"{_error.strerror(-rc)} (addr={addr!r})")


cdef int _raise_closed() except -1:
    raise _error.ZMQError(ENOTSOCK)


# ---- sharing sockets between threads -------------------------------------------------------------

cdef extern from *:
    """
    #ifdef Py_GIL_DISABLED
    #define ZF_FREE_THREADED 1
    #else
    #define ZF_FREE_THREADED 0
    #endif
    """
    const bint ZF_FREE_THREADED

# The engine calls that do not take the socket's lock themselves (csrc/zf.h): between
# zf_sock_enter and zf_sock_leave, which cost one relaxed load while nobody shares the socket.

cdef inline int _setopt_int(zf_sock *s, int option, int64_t v) noexcept nogil:
    cdef int e = zf_sock_enter(s)
    cdef int rc = zf_sock_setopt_int(s, option, v)
    zf_sock_leave(s, e)
    return rc


cdef inline int _setopt_bytes(zf_sock *s, int option, const void *v, size_t n) noexcept nogil:
    cdef int e = zf_sock_enter(s)
    cdef int rc = zf_sock_setopt_bytes(s, option, v, n)
    zf_sock_leave(s, e)
    return rc


cdef inline int _getopt_int(zf_sock *s, int option, int64_t *v) noexcept nogil:
    cdef int e = zf_sock_enter(s)
    cdef int rc = zf_sock_getopt_int(s, option, v)
    zf_sock_leave(s, e)
    return rc


cdef inline int _getopt_bytes(zf_sock *s, int option, void *v, size_t *n) noexcept nogil:
    cdef int e = zf_sock_enter(s)
    cdef int rc = zf_sock_getopt_bytes(s, option, v, n)
    zf_sock_leave(s, e)
    return rc


cdef inline int _rcvmore(zf_sock *s) noexcept nogil:
    cdef int e = zf_sock_enter(s)
    cdef int rc = zf_sock_rcvmore(s)
    zf_sock_leave(s, e)
    return rc


cdef inline zf_buf *_meta(zf_sock *s) noexcept nogil:
    cdef int e = zf_sock_enter(s)
    cdef zf_buf *m = zf_sock_meta(s)
    zf_sock_leave(s, e)
    return m


# ---- zero-copy sends ---------------------------------------------------------------------------

@cython.final
cdef class _Hold:
    """Keeps the object behind a zero-copy send alive until the engine hands the buffer back."""
    cdef object obj
    cdef public bint done

    def __cinit__(self, obj):
        self.obj = obj
        self.done = False


cdef void _drain_releases(zf_ctx *c) noexcept:
    """Take back the buffers the engine (often the I/O thread) has finished with."""
    cdef zf_buf *b = zf_release_stack_take(zf_ctx_release_stack(c))
    cdef zf_buf *n
    cdef _Hold h
    while b != NULL:
        n = b.next
        h = <_Hold>b.hint
        h.done = True
        h.obj = None
        Py_DECREF(h)
        zf_buf_free_external(b)
        b = n


cdef zf_buf *_hold_buffer(zf_ctx *c, _Hold h, const void *data, size_t size) except NULL:
    cdef zf_buf *b = zf_buf_external(<void *>data, size, zf_ctx_release_stack(c), <void *>h)
    if b == NULL:
        raise MemoryError()
    Py_INCREF(h)  # dropped by _drain_releases
    return b


# ---- Context -----------------------------------------------------------------------------------

cdef class Context:
    """The engine's context: its I/O threads and its sockets (see zmqfast.Context)."""
    cdef zf_ctx *_ctx
    cdef bint _terminated
    cdef int _pid
    cdef readonly bint _shadow
    cdef object _origin
    cdef object __weakref__
    cdef dict __dict__

    def __cinit__(self, *args, **kwargs):
        self._pid = getpid()
        self._terminated = False

    def __init__(self, io_threads=1, shadow=0, **kwargs):
        """Made here, not in __cinit__, as pyzmq makes it in __init__: a subclass whose own
        __init__ takes other arguments calls super().__init__() with pyzmq's."""
        cdef Context orig
        if self._ctx != NULL or self._shadow:
            return  # a subclass's __init__ reaching here a second time
        if isinstance(io_threads, Context) and not shadow:
            shadow, io_threads = io_threads, 1  # Context(other_context): a shadow of it
        if shadow:
            orig = shadow if isinstance(shadow, Context) else _live_contexts.get(int(shadow))
            if orig is None:
                raise ValueError(f"no zmqfast context lives at {shadow!r} in this process")
            self._ctx = orig._ctx
            self._shadow = True
            self._origin = orig
            return
        io_threads = PyNumber_Index(io_threads)
        if io_threads < 0:
            raise _error.ZMQError(EINVAL)
        self._ctx = zf_ctx_new(io_threads)
        if self._ctx == NULL:
            raise MemoryError()
        _live_contexts[<size_t>self._ctx] = self

    def __dealloc__(self):
        cdef int rc
        if self._shadow:
            return
        if self._ctx != NULL and self._pid == getpid():
            _drain_releases(self._ctx)
            if not self._terminated:
                zf_ctx_shutdown(self._ctx)
                with nogil:  # it may stop the I/O threads, i.e. wait for them
                    rc = zf_ctx_term_wait(self._ctx, 0)
                if rc != 0:
                    return  # connections still lingering: leave them to finish in the background
            zf_ctx_free(self._ctx)
            self._ctx = NULL

    @property
    def closed(self):
        """Whether term() has completed."""
        if self._shadow:
            return (<Context>self._origin)._terminated
        return self._terminated

    @property
    def underlying(self):
        """The address of the engine's context, as an int."""
        return <size_t>self._ctx

    def _forget(self):
        """After fork(), in the child: the engine's threads are the parent's; never touch them."""
        if self._ctx != NULL:
            zf_ctx_forget(self._ctx)
        self._pid = getpid()
        self._terminated = True

    def term(self):
        """Close the context: blocking calls in other threads raise ContextTerminated, then
        wait until every socket is closed and their messages are sent (or LINGER runs out)."""
        cdef int rc
        if self._shadow:
            return (<Context>self._origin).term()
        if self._terminated or self._ctx == NULL:
            return
        if self._pid != getpid():
            return  # inherited over fork: harmless no-op, as in pyzmq
        zf_ctx_shutdown(self._ctx)
        while True:
            with nogil:
                rc = zf_ctx_term_wait(self._ctx, 100)
            _drain_releases(self._ctx)
            if rc == 0:
                break
            PyErr_CheckSignals()
        self._terminated = True

    def set(self, int option, int optval):
        """Set a context option (IO_THREADS, MAX_SOCKETS, IPV6, BLOCKY)."""
        if self._terminated:
            raise _error.ZMQError(ZF_ETERM)
        cdef int rc = zf_ctx_set(self._ctx, option, optval)
        if rc < 0:
            _raise(rc)

    def get(self, int option):
        """Get a context option."""
        if self._terminated:
            raise _error.ZMQError(ZF_ETERM)
        cdef int v = 0
        cdef int rc = zf_ctx_get_ext(self._ctx, option, &v)
        if rc < 0:
            _raise(rc)
        return v  # may be -1: libzmq reports an unset THREAD_SCHED_POLICY so


# ---- Frame -------------------------------------------------------------------------------------

@cython.freelist(16)
@cython.no_gc_clear  # the GC must not drop _owner (the Context) before this frame's buffer
cdef class Frame:
    """A message frame. Frames received with copy=False share the engine's buffer."""
    cdef zf_buf *_buf          # one reference when the data lives in an engine buffer
    cdef zf_buf *_meta         # one reference to the connection's metadata, if known
    cdef object _obj           # the Python object the data lives in, otherwise
    cdef const uint8_t *_data
    cdef size_t _size
    cdef object _bytes
    cdef object _view          # .buffer, made once
    cdef object _owner         # the Context whose release stack _buf goes back to, if any: kept
                               # alive while this frame holds the buffer (its dealloc drains)
    cdef bint _writable        # the data is the frame's own (an engine buffer or a private copy)
    cdef public bint more
    cdef public object tracker
    cdef object __weakref__

    def __cinit__(self, data=None, track=False, copy=None, copy_threshold=None, **kwargs):
        cdef Py_buffer view
        self._buf = NULL
        self._meta = NULL
        self.more = False
        self.tracker = None
        if track:
            from .tracker import MessageTracker
            self.tracker = MessageTracker()
            self.tracker._watch_frame(self)  # done once this frame (and its sends) are gone
        if data is None:
            self._obj = b""
            self._bytes = b""
            self._data = <const uint8_t *>PyBytes_AS_STRING(b"")
            self._size = 0
            return
        if isinstance(data, str):
            raise TypeError("Str objects not allowed. Only: bytes, buffer interfaces.")
        if isinstance(data, Frame):
            data = (<Frame>data).bytes
        if PyBytes_CheckExact(data):
            # shared, not copied (bytes are immutable); .bytes still makes its own copy, as
            # pyzmq's does, so that it is never the caller's object
            self._obj = data
            self._data = <const uint8_t *>PyBytes_AS_STRING(data)
            self._size = PyBytes_GET_SIZE(data)
            return
        mv = memoryview(data)
        if not mv.contiguous:
            raise BufferError("Frame needs a contiguous buffer")
        PyObject_GetBuffer(mv, &view, PyBUF_ANY_CONTIGUOUS)
        self._data = <const uint8_t *>view.buf
        self._size = view.len
        PyBuffer_Release(&view)  # mv itself keeps the exporter's buffer alive
        self._obj = mv

    def __dealloc__(self):
        if self._buf != NULL:
            zf_buf_unref(self._buf)
            self._buf = NULL
        if self._meta != NULL:
            zf_buf_unref(self._meta)
            self._meta = NULL

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        # writable where the data is the frame's own, as pyzmq's frames (libzmq messages) are
        PyBuffer_FillInfo(buffer, self, <void *>self._data, self._size, not self._writable, flags)

    def __releasebuffer__(self, Py_buffer *buffer):
        pass

    def __len__(self):
        return self._size

    # The two caches below are filled on first use. Without the GIL (free-threaded CPython) two
    # threads could both fill one and each drop the other's object: a critical section on the
    # frame makes the check and the store one step. It compiles to nothing with the GIL.
    @property
    def bytes(self):
        """The frame's content as bytes (made once, then cached)."""
        with cython.critical_section(self):
            if self._bytes is None:
                self._bytes = PyBytes_FromStringAndSize(<const char *>self._data, self._size)
            b = self._bytes
        return b

    @property
    def buffer(self):
        """A memoryview of the frame's content (no copy; the same view each time)."""
        with cython.critical_section(self):
            if self._view is None:
                self._view = memoryview(self)
            v = self._view
        return v

    def __copy__(self):
        """A frame sharing this one's data (no copy) and its tracker, as pyzmq's fast_copy."""
        cdef Frame fr = Frame.__new__(Frame)
        fr._obj = self._obj
        fr._bytes = self._bytes
        fr._data = self._data
        fr._size = self._size
        fr._writable = self._writable
        fr._owner = self._owner
        fr.more = self.more
        if self._buf != NULL:
            zf_buf_ref(self._buf)
            fr._buf = self._buf
        if self._meta != NULL:
            zf_buf_ref(self._meta)
            fr._meta = self._meta
        fr.tracker = self.tracker
        if self.tracker is not None:
            self.tracker._watch_frame(fr)
        return fr

    def fast_copy(self):
        """A frame sharing this one's data (see __copy__)."""
        return self.__copy__()

    def __getitem__(self, key):
        """frame["User-Id"]: connection metadata by name, as get(name)."""
        return self.get(key)

    def __bytes__(self):
        return self.bytes

    def __repr__(self):
        cdef size_t n = self._size
        if n <= 16:
            return f"<zmq.Frame({self.bytes!r})>"
        head = PyBytes_FromStringAndSize(<const char *>self._data, 12)
        if n >= 1000000000:
            size = f"{n // 1000000000}GB"
        elif n >= 1048576:
            size = f"{n // 1000000}MB"
        elif n >= 1000:
            size = f"{n // 1000}kB"
        else:
            size = f"{n}B"
        return f"<zmq.Frame({head!r}...{size})>"

    def get(self, option):
        """A frame property: MORE or SHARED (ints), or connection metadata by name:
        "Socket-Type", "Identity", "Peer-Address", and any property the peer sent."""
        cdef const uint8_t *val
        cdef size_t n
        if isinstance(option, str):
            name = option.encode()
            if self._meta == NULL or zf_meta_get(self._meta, name, &val, &n) < 0:
                raise _error.ZMQError(EINVAL)
            return PyBytes_FromStringAndSize(<const char *>val, n).decode("utf8", "surrogateescape")
        if option == 1:  # MORE
            return int(self.more)
        if option == 3:  # SHARED
            return 1 if self._buf != NULL and self._buf.refs > 1 else 0
        if option == 2:  # SRCFD: deprecated in libzmq, never meaningful here
            return -1
        raise _error.ZMQError(EINVAL)


cdef Frame _frame_from(zf_frame *f, Socket sock):
    cdef Frame fr = Frame.__new__(Frame)
    if f.buf != NULL:
        fr._buf = f.buf  # the reference moves into the frame: no copy
        if f.buf.stack != NULL:
            # a buffer of Python's (a zero-copy send's, or a blank) goes back through the
            # context's release stack when the frame lets go of it: the context must outlive it
            fr._owner = sock._context
        fr._data = f.data
        fr._size = f.size
        fr._bytes = None  # made on first use of .bytes
        fr._obj = None
    else:
        # a private copy, writable like an engine buffer; .bytes copies it again when asked
        fr._obj = PyBytes_FromStringAndSize(<const char *>f.data, f.size)
        fr._data = <const uint8_t *>PyBytes_AS_STRING(fr._obj)
        fr._bytes = None
        fr._size = f.size
    fr._writable = True
    fr.more = f.more != 0
    return fr


cdef inline object _bytes_from(zf_frame *f):
    cdef object o
    cdef _Hold h
    if f.buf == NULL:
        return PyBytes_FromStringAndSize(<const char *>f.data, f.size)
    if f.buf.stack != NULL:
        h = <_Hold>f.buf.hint
        o = h.obj
        if f.buf.tag == _BLANK_TAG and f.buf.refs == 1 and o is not None and \
                <const uint8_t *>PyBytes_AS_STRING(o) == f.data and f.size <= <size_t>PyBytes_GET_SIZE(o):
            # A frame read into a blank (below) that nothing else holds and no Python code has
            # seen: it becomes the frame's bytes, trimmed to the frame (the block stays as
            # allocated; PyObject_Free does not ask its size).
            h.obj = None
            Py_SET_SIZE(o, <Py_ssize_t>f.size)
            PyBytes_AS_STRING(o)[f.size] = 0
            zf_buf_unref(f.buf)
            return o
        # The sender handed over an immutable bytes object (inproc): give that same object back.
        if PyBytes_CheckExact(o) and <const uint8_t *>PyBytes_AS_STRING(o) == f.data and \
                <size_t>PyBytes_GET_SIZE(o) == f.size:
            zf_buf_unref(f.buf)
            return o
    o = PyBytes_FromStringAndSize(<const char *>f.data, f.size)
    zf_buf_unref(f.buf)
    return o


# ---- receive buffers made ahead ----------------------------------------------------------------
# The I/O thread never calls an allocator of Python's: its hooks (tracemalloc, a debug or an
# embedder's allocator) may take the GIL or keep state that goes away. So that a large frame from
# a connection can still become the bytes recv() returns without a copy, recv() makes bytes
# objects ahead, with the GIL, the size of the large frame it just returned, and gives them to
# the engine (zf_sock_give_blank); the I/O thread reads later frames of about that size straight
# into them. They are ordinary objects of whatever allocator is installed, so tracemalloc and
# sys.getallocatedblocks() count them as any other. ZMQFAST_COPY_RECV=1 turns this off.

cdef extern from "Python.h":
    void Py_SET_SIZE(object o, Py_ssize_t n)

# What the in-place receive assumes of CPython, checked on 3.10-3.14 and 3.14t: a bytes object
# from PyBytes_FromStringAndSize(NULL, n) may be written until Python code sees it (documented);
# shrinking it with Py_SET_SIZE, its NUL moved to the new end, leaves a valid object, since its
# hash (ob_shash, deprecated in 3.13) is still unset and PyObject_Free (pymalloc, and mimalloc on
# free-threaded builds) does not ask the block's size. Not documented for bytes, so held to the
# versions it was checked on: any other (3.15 brings PyBytesWriter for this), the limited API or
# another implementation copies each frame instead, as ZMQFAST_COPY_RECV=1 does.
cdef extern from *:
    """
    #if defined(ZF_INPLACE_BYTES_FORCE)  /* -D to try it on an interpreter past the check */
    #define ZF_INPLACE_BYTES 1
    #elif defined(Py_LIMITED_API) || defined(PYPY_VERSION) || PY_VERSION_HEX >= 0x030F0000
    #define ZF_INPLACE_BYTES 0
    #else
    #define ZF_INPLACE_BYTES 1
    #endif
    """
    const bint ZF_INPLACE_BYTES

cdef uint32_t _BLANK_TAG = 0x424c4b21  # the zf_buf around a blank (tag is the holder's field)
cdef size_t _BLANK_MIN = 32768  # smaller frames: a copy costs less than a blank's bookkeeping
# Per socket, how many the I/O thread may read into before recv() comes back for more: a sender
# faster than the receiver has the I/O thread reading ahead in bursts. Measured (tcp, a sender
# process as fast as it can): 2 blanks of 1 MiB caught 80 % of the frames, 4 caught 96 %. So
# about 4 MiB's worth, at least 2 and at most 32.
cdef size_t _BLANK_BUDGET = 4 << 20
cdef size_t _BLANK_STOCK_MIN = 2
cdef size_t _BLANK_STOCK_MAX = 32
cdef const char *_copy_recv = getenv("ZMQFAST_COPY_RECV")
cdef bint _blanks_on = ZF_INPLACE_BYTES and (_copy_recv == NULL or _copy_recv[0] == 0)


cdef int _restock(Socket sock, size_t n) except -1:
    """After recv() returned a large frame from a connection: blanks for the next ones."""
    cdef object o
    cdef _Hold h
    cdef zf_buf *b
    cdef size_t stock = _BLANK_BUDGET // n
    if stock < _BLANK_STOCK_MIN:
        stock = _BLANK_STOCK_MIN
    elif stock > _BLANK_STOCK_MAX:
        stock = _BLANK_STOCK_MAX
    _drain_releases(sock._zctx)  # blanks the engine did not use (another size) come back here
    while sock._s != NULL and <size_t>zf_sock_blanks(sock._ref) < stock:
        o = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
        h = _Hold(o)
        b = _hold_buffer(sock._zctx, h, PyBytes_AS_STRING(o), n)
        b.tag = _BLANK_TAG
        if zf_sock_give_blank(sock._ref, b) < 0:
            zf_buf_unref(b)
            break
    return 0


cdef inline object _bytes_recv(Socket sock, zf_frame *f):
    """_bytes_from for a received frame; a large one from a connection (an owned buffer, or a
    blank) restocks the socket's blanks."""
    cdef bint wire = f.buf != NULL and _blanks_on and f.size >= _BLANK_MIN and \
        (f.buf.stack == NULL or f.buf.tag == _BLANK_TAG)
    cdef size_t n = f.size
    o = _bytes_from(f)
    if wire:
        _restock(sock, n)
    return o


# ---- Socket ------------------------------------------------------------------------------------

import weakref as _weakref
_live_sockets = _weakref.WeakValueDictionary()
_live_contexts = _weakref.WeakValueDictionary()


cdef Socket _find_socket(address):
    if isinstance(address, Socket):
        return <Socket>address
    sock = _live_sockets.get(int(address))
    if sock is None or (<Socket>sock)._ref == NULL:
        raise ValueError(f"no zmqfast socket lives at {address!r} in this process")
    return <Socket>sock

@cython.no_gc_clear
cdef class Socket:
    """A socket of the engine (see zmqfast.Socket for the full pyzmq surface)."""
    cdef zf_sock *_s           # NULL once this object has closed it: read only to say "closed"
    cdef zf_sock *_ref         # the engine socket this object holds a reference to: every engine
                               # call goes through it, since another thread's close() may clear
                               # _s between a check and a call (the engine answers ENOTSOCK then)
    cdef zf_ctx *_zctx
    cdef Context _context
    cdef int _type
    cdef int _pid
    cdef readonly bint _shadow
    cdef object _origin        # a shadow keeps the socket it shadows alive
    cdef public int copy_threshold
    cdef object __weakref__
    cdef dict __dict__

    def __cinit__(self, context=None, int socket_type=-1, *args, shadow=0, copy_threshold=None, **kwargs):
        cdef int rc
        cdef Socket orig
        self._s = self._ref = NULL
        self._pid = getpid()
        if isinstance(context, Socket) and not shadow:
            shadow = context  # Socket(other_socket), as pyzmq: a shadow of it
        if shadow:
            orig = _find_socket(shadow)
            self._s = self._ref = orig._ref
            zf_sock_ref(self._ref)
            self._zctx = orig._zctx
            self._context = orig._context
            self._type = orig._type
            self._shadow = True
            self._origin = orig
            self.copy_threshold = COPY_THRESHOLD if copy_threshold is None else copy_threshold
            return
        if not isinstance(context, Context):
            raise TypeError("a zmqfast Context is needed to make a Socket")
        self._context = <Context>context
        if self._context._terminated or self._context._ctx == NULL:
            raise _error.ZMQError(ZF_ETERM)
        self._zctx = self._context._ctx
        rc = zf_sock_new(self._zctx, socket_type, &self._s)
        if rc == -ENOTSUP:
            name = _TYPE_NAMES.get(socket_type, str(socket_type))
            raise _error.ZMQError(ENOTSUP, f"zmqfast does not implement socket type {name} yet")
        if rc < 0:
            _raise(rc)
        self._type = socket_type
        self._ref = self._s
        if ZF_FREE_THREADED:
            zf_sock_share(self._ref, 1)  # for good: no GIL keeps its callers apart (see the top)
        zf_sock_ref(self._ref)  # this object's own reference, dropped at dealloc
        _live_sockets[<size_t>self._s] = self
        self.copy_threshold = COPY_THRESHOLD if copy_threshold is None else copy_threshold

    def __dealloc__(self):
        cdef zf_sock *s = self._ref
        if s != NULL and self._pid == getpid():
            if not self._shadow and not zf_sock_closed(s):
                zf_sock_share(s, 1)  # a shadow made from its address may still be in use
                with nogil:  # closing listeners waits for the I/O thread
                    zf_sock_close(s, 0, 0)
                    zf_sock_share(s, -1)
            zf_sock_unref(s)
        self._s = self._ref = NULL

    @property
    def _shadow_obj(self):
        """The Socket object a shadow was made from (pyzmq's name), or None."""
        return self._origin

    @classmethod
    def shadow(cls, address):
        """A Socket object sharing the engine socket at address (an int from .underlying, or
        a Socket); it does not close the socket when garbage-collected."""
        return cls(shadow=address)

    @property
    def context(self):
        return self._context

    @property
    def closed(self):
        """Whether close() has been called (on this object or on one sharing the socket)."""
        return self._s == NULL or zf_sock_closed(self._ref) != 0

    @property
    def underlying(self):
        """The address of the engine's socket, as an int."""
        return <size_t>self._ref

    @property
    def socket_type(self):
        return self._type

    def close(self, linger=None):
        """Close the socket. Queued messages are still sent for up to LINGER ms (default:
        the socket's LINGER option, -1 = until delivered) unless linger is given."""
        cdef zf_sock *s
        cdef int linger_set, ms
        if self._s == NULL:
            return
        if self._pid != getpid():
            self._s = NULL  # inherited over fork: the parent's engine, not ours to touch
            return
        _drain_releases(self._zctx)
        linger_set = linger is not None
        ms = int(linger) if linger_set else 0
        # Gone for every other thread before the GIL is let go: a thread woken from a wait on
        # this socket (see release_waiters in socket.c) finds _s NULL and raises ENOTSOCK.
        # Without the GIL two close() calls could both take _s: the critical section (nothing
        # with the GIL) lets one of them have it.
        with cython.critical_section(self):
            s = self._s
            self._s = NULL
        if s != NULL and not zf_sock_closed(s):
            zf_sock_share(s, 1)  # a shadow of it may be in use by another thread
            with nogil:  # it waits for blocked threads to leave and for the I/O thread
                zf_sock_close(s, linger_set, ms)
                zf_sock_share(s, -1)

    # -- endpoints --

    def bind(self, addr):
        """Bind to an endpoint: tcp://host:port (port * for any), ipc://path, inproc://name."""
        if self._s == NULL:
            _raise_closed()
        cdef bytes b = addr.encode() if isinstance(addr, str) else bytes(addr)
        cdef const char *ep = b
        cdef zf_sock *s = self._ref
        cdef int rc, e
        zf_sock_share(s, 1)
        with nogil:  # the I/O thread takes it over
            e = zf_sock_enter(s)
            rc = zf_sock_bind(s, ep)
            zf_sock_leave(s, e)
            zf_sock_share(s, -1)
        if rc < 0:
            _addr_error(rc, addr)

    def connect(self, addr):
        """Connect to an endpoint; the connection is made (and remade) in the background."""
        if self._s == NULL:
            _raise_closed()
        cdef bytes b = addr.encode() if isinstance(addr, str) else bytes(addr)
        cdef const char *ep = b
        cdef zf_sock *s = self._ref
        cdef int rc, e
        zf_sock_share(s, 1)
        with nogil:  # the I/O thread takes it over
            e = zf_sock_enter(s)
            rc = zf_sock_connect(s, ep)
            zf_sock_leave(s, e)
            zf_sock_share(s, -1)
        if rc < 0:
            _addr_error(rc, addr)

    def unbind(self, addr):
        """Stop listening on an endpoint bound earlier."""
        if self._s == NULL:
            _raise_closed()
        cdef bytes b = addr.encode() if isinstance(addr, str) else bytes(addr)
        cdef const char *ep = b
        cdef zf_sock *s = self._ref
        cdef int rc, e
        zf_sock_share(s, 1)
        with nogil:  # the I/O thread takes it over
            e = zf_sock_enter(s)
            rc = zf_sock_unbind(s, ep)
            zf_sock_leave(s, e)
            zf_sock_share(s, -1)
        if rc < 0:
            _addr_error(rc, addr)

    def disconnect(self, addr):
        """Drop a connection made with connect()."""
        if self._s == NULL:
            _raise_closed()
        cdef bytes b = addr.encode() if isinstance(addr, str) else bytes(addr)
        cdef const char *ep = b
        cdef zf_sock *s = self._ref
        cdef int rc, e
        zf_sock_share(s, 1)
        with nogil:  # the I/O thread takes it over
            e = zf_sock_enter(s)
            rc = zf_sock_disconnect(s, ep)
            zf_sock_leave(s, e)
            zf_sock_share(s, -1)
        if rc < 0:
            _addr_error(rc, addr)

    def monitor(self, addr, int events=0xFFFF):
        """Report this socket's events (EVENT_* mask) to a PAIR socket connected to addr
        (inproc://...); addr None stops it."""
        cdef int rc
        cdef bytes b
        cdef const char *ep = NULL
        cdef zf_sock *s = self._s
        if s == NULL:
            _raise_closed()
        if addr is not None:
            b = addr.encode() if isinstance(addr, str) else bytes(addr)
            ep = b
        with nogil:  # shares the monitor's lock with the I/O thread
            rc = zf_sock_monitor(s, ep, events if ep != NULL else 0)
        if rc < 0:
            _addr_error(rc, addr)

    # -- options --

    def set(self, int option, optval):
        """Set a socket option (setsockopt)."""
        cdef int rc
        cdef const char *p
        if self._s == NULL:
            _raise_closed()
        if option in _BYTES_OPTS:
            if isinstance(optval, str):
                raise TypeError("unicode not allowed, use setsockopt_string")
            if isinstance(optval, int):
                raise TypeError(f"expected bytes, got: {optval!r}")
            b = bytes(optval)
            rc = _setopt_bytes(self._ref, option, <const char *>b, len(b))
        else:
            if isinstance(optval, (str, bytes)):
                raise TypeError(f"expected int, got: {optval!r}")
            rc = _setopt_int(self._ref, option, int(optval))
        if rc < 0:
            self._option_error(option, rc)

    def get(self, int option):
        """Get a socket option (getsockopt)."""
        cdef int rc
        cdef int64_t v = 0
        cdef char buf[512]
        cdef size_t n = sizeof(buf)
        if self._s == NULL:
            _raise_closed()
        if option == _OPT_RCVMORE:
            return _rcvmore(self._ref)
        if option in _BYTES_OPTS:
            rc = _getopt_bytes(self._ref, option, buf, &n)
            if rc < 0:
                self._option_error(option, rc)
            return PyBytes_FromStringAndSize(buf, n)
        if option == _OPT_EVENTS:
            _drain_releases(self._zctx)
        rc = _getopt_int(self._ref, option, &v)
        if rc < 0:
            self._option_error(option, rc)
        return v

    cdef int _option_error(self, int option, int rc) except -1:
        if rc == -ENOTSUP:
            if option in _GSSAPI_OPTS:
                raise _error.ZMQError(
                    EINVAL, f"zmqfast has no GSSAPI support ({_OPT_NAMES[option]} is unavailable)")
            types = _PENDING_OPTS.get(option, ())
            if types is None or zf_sock_type(self._ref) in types:
                raise _error.ZMQError(
                    ENOTSUP, f"zmqfast does not support socket option {_OPT_NAMES[option]} yet")
            raise _error.ZMQError(EINVAL)
        _raise(rc)

    def fileno(self):
        """The socket's FD: readable when its EVENTS may have changed."""
        if self._s == NULL:
            _raise_closed()
        return zf_sock_fd(self._ref)

    # -- blocking --

    cdef int _timeout(self, int option):
        cdef int64_t v = -1
        _getopt_int(self._ref, option, &v)
        return <int>v

    cdef int _block(self, int events, int64_t deadline) except -1:
        """Sleep (GIL released) until the socket may be ready or the deadline (ms) passes."""
        cdef int rc, t
        cdef zf_sock *s
        while True:
            if deadline < 0:
                t = -1
            else:
                t = <int>(deadline - zf_clock_ms())
                if t <= 0:
                    raise _error.Again(EAGAIN)
            if t < 0 or t > ZF_WAIT_SLICE_MS:
                t = ZF_WAIT_SLICE_MS  # then look for Ctrl-C (see ZF_WAIT_SLICE_MS)
            s = self._s  # read with the GIL: close() from another thread clears it
            if s == NULL:
                _raise_closed()
            zf_sock_share(s, 1)  # its looks take the lock, and so does every other caller's
            with nogil:
                rc = zf_sock_wait(s, events, t)
                zf_sock_share(s, -1)
            if self._s == NULL:
                _raise_closed()  # closed by another thread while we slept
            if rc == -EINTR or rc == -EAGAIN:
                PyErr_CheckSignals()  # Ctrl-C raises KeyboardInterrupt here
            if rc == -EINTR:
                continue
            if rc == 0 or rc == -EAGAIN:
                return 0
            _raise(rc)

    cdef inline int64_t _deadline(self, int option):
        cdef int t = self._timeout(option)
        return -1 if t < 0 else zf_clock_ms() + t

    # -- sending --

    cdef int _send_raw(self, const void *data, size_t n, int flags) except -1:
        cdef int rc = zf_sock_send(self._ref, data, n, flags)
        cdef int64_t deadline
        if rc == 0:
            return 0
        if rc != -EAGAIN or flags & _DONTWAIT:
            _raise(rc)
        deadline = self._deadline(_OPT_SNDTIMEO)
        while rc == -EAGAIN:
            self._block(ZF_POLLOUT, deadline)
            rc = zf_sock_send(self._ref, data, n, flags)
        if rc < 0:
            _raise(rc)
        return 0

    cdef _Hold _send_held(self, object owner, const void *data, size_t n, int flags):
        """Send without copying: the engine keeps owner alive until it is done with data."""
        cdef zf_buf *b
        cdef int rc
        cdef int64_t deadline = -2
        cdef _Hold hold
        _drain_releases(self._zctx)
        while True:
            hold = _Hold(owner)
            b = _hold_buffer(self._zctx, hold, data, n)
            rc = zf_sock_send_buf(self._ref, b, data, n, flags)  # takes the buffer either way
            if rc != -EAGAIN or flags & _DONTWAIT:
                break
            if deadline == -2:
                deadline = self._deadline(_OPT_SNDTIMEO)
            self._block(ZF_POLLOUT, deadline)
            _drain_releases(self._zctx)
        if rc < 0:
            _raise(rc)
        return hold

    cdef object _send_obj(self, object data, int flags, bint copy):
        cdef Py_buffer view
        cdef Frame fr
        cdef Py_ssize_t n
        if PyBytes_CheckExact(data):
            n = PyBytes_GET_SIZE(data)
            if n >= self.copy_threshold:
                # bytes are immutable: holding a reference is as good as a copy, and cheaper
                return self._send_held(data, PyBytes_AS_STRING(data), n, flags)
            self._send_raw(PyBytes_AS_STRING(data), n, flags)
            return None
        if isinstance(data, Frame):
            fr = <Frame>data
            if fr._size >= <size_t>self.copy_threshold or fr.tracker is not None:
                hold = self._send_held(fr, fr._data, fr._size, flags)
                if fr.tracker is not None:
                    fr.tracker._add(hold, self._context)
                return hold
            self._send_raw(fr._data, fr._size, flags)
            return None
        if isinstance(data, str):
            raise TypeError("unicode not allowed, use send_string")
        PyObject_GetBuffer(data, &view, PyBUF_ANY_CONTIGUOUS)
        try:
            if not copy and view.len >= self.copy_threshold:
                return self._send_held(memoryview(data), view.buf, view.len, flags)
            self._send_raw(view.buf, view.len, flags)
            return None
        finally:
            PyBuffer_Release(&view)

    def send(self, data, int flags=0, bint copy=True, bint track=False, routing_id=None, group=None):
        """Send one frame. flags: DONTWAIT, SNDMORE. With copy=False (at or above
        copy_threshold) the data is not copied; track=True returns a MessageTracker."""
        cdef int rc
        hold = None
        if self._s == NULL:
            _raise_closed()
        if PyBytes_CheckExact(data) and PyBytes_GET_SIZE(data) < self.copy_threshold:
            rc = zf_sock_send(self._ref, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), flags)
            if rc != 0:
                if rc == -EAGAIN and flags & _DONTWAIT:
                    raise _new_again()
                self._send_raw(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), flags)
        else:
            if routing_id is not None or group is not None:
                raise NotImplementedError("routing_id/group need draft socket types, which zmqfast lacks")
            if track and not copy and isinstance(data, Frame) and (<Frame>data).tracker is None:
                raise ValueError("Not a tracked message: make the Frame with track=True")
            hold = self._send_obj(data, flags, copy)
        if copy:
            return None
        if isinstance(data, Frame) and (<Frame>data).tracker is not None:
            return (<Frame>data).tracker  # pyzmq's: the frame's own tracker, done when it is gone
        from .tracker import MessageTracker
        return MessageTracker._from_hold(hold, self._context)

    def send_multipart(self, msg_parts, int flags=0, bint copy=True, bint track=False, **kwargs):
        """Send a multipart message: every part is delivered, or none."""
        cdef Py_ssize_t i, n
        hold = None
        if self._s == NULL:
            _raise_closed()
        parts = msg_parts if isinstance(msg_parts, (list, tuple)) else list(msg_parts)
        n = len(parts)
        for i in range(n):  # check every part before sending any
            p = parts[i]
            if not (PyBytes_CheckExact(p) or isinstance(p, Frame)):
                if isinstance(p, str):
                    raise TypeError(f"Frame {i} ({p!r:.32}) is str, not bytes: use send_string")
                try:
                    memoryview(p)
                except TypeError:
                    raise TypeError(f"Frame {i} ({p!r:.32}) does not support the buffer interface.")
        if n == 0:
            return None
        for i in range(n - 1):
            p = parts[i]
            if PyBytes_CheckExact(p) and PyBytes_GET_SIZE(p) < self.copy_threshold:
                self._send_raw(PyBytes_AS_STRING(p), PyBytes_GET_SIZE(p), flags | _SNDMORE)
            else:
                self._send_obj(p, flags | _SNDMORE, copy)
        p = parts[n - 1]
        if PyBytes_CheckExact(p) and PyBytes_GET_SIZE(p) < self.copy_threshold:
            self._send_raw(PyBytes_AS_STRING(p), PyBytes_GET_SIZE(p), flags & ~_SNDMORE)
        else:
            hold = self._send_obj(p, flags & ~_SNDMORE, copy)
        if copy:
            return None
        from .tracker import MessageTracker
        return MessageTracker._from_hold(hold, self._context)

    # -- receiving --

    cdef int _recv_frame(self, zf_frame *f, int flags) except -1:
        cdef int rc = zf_sock_recv(self._ref, f)
        if rc == 0:
            return 0
        return self._recv_wait(f, flags, rc)

    cdef int _recv_wait(self, zf_frame *f, int flags, int rc) except -1:
        """The rest of a recv whose first try gave rc: raise, or block until a frame comes."""
        cdef int64_t deadline
        if rc != -EAGAIN or flags & _DONTWAIT:
            _raise(rc)
        deadline = self._deadline(_OPT_RCVTIMEO)
        while rc == -EAGAIN:
            self._block(ZF_POLLIN, deadline)
            rc = zf_sock_recv(self._ref, f)
        if rc < 0:
            _raise(rc)
        return 0

    def recv(self, int flags=0, bint copy=True, bint track=False):
        """Receive one frame: bytes, or a Frame sharing the engine's buffer with copy=False."""
        cdef zf_frame f
        cdef int rc
        if self._s == NULL:
            _raise_closed()
        rc = zf_sock_recv(self._ref, &f)
        if rc != 0:
            if rc == -EAGAIN and flags & _DONTWAIT:
                raise _new_again()
            self._recv_wait(&f, flags, rc)
        if copy:
            return _bytes_recv(self, &f)
        fr = _frame_from(&f, self)
        fr._meta = _meta(self._ref)
        return fr

    def try_recv(self, bint copy=True):
        """Receive a frame if one is queued, else return None (no exception). zmqfast only."""
        cdef zf_frame f
        cdef int rc
        if self._s == NULL:
            _raise_closed()
        rc = zf_sock_recv(self._ref, &f)
        if rc == -EAGAIN:
            return None
        if rc < 0:
            _raise(rc)
        if copy:
            return _bytes_recv(self, &f)
        return _frame_from(&f, self)

    def recv_multipart(self, int flags=0, bint copy=True, bint track=False):
        """Receive a whole multipart message as a list of frames."""
        cdef zf_frame f
        cdef list parts = []
        cdef int rc
        if self._s == NULL:
            _raise_closed()
        rc = zf_sock_recv(self._ref, &f)
        if rc != 0:
            if rc == -EAGAIN and flags & _DONTWAIT:
                raise _new_again()
            self._recv_wait(&f, flags, rc)
        while True:
            if copy:
                parts.append(_bytes_recv(self, &f))
            else:
                fr = _frame_from(&f, self)
                fr._meta = _meta(self._ref)
                parts.append(fr)
            if not f.more:
                return parts
            # the rest of the message is already queued: messages are committed whole
            self._recv_frame(&f, 0)

    def recv_into(self, buffer, int nbytes=0, int flags=0):
        """Receive a frame into a writable buffer; returns the frame's full size (the copy is
        truncated to the buffer, or to nbytes if given)."""
        cdef zf_frame f
        cdef Py_buffer view
        cdef size_t n
        if self._s == NULL:
            _raise_closed()
        if nbytes < 0:
            raise ValueError("nbytes must be non-negative")
        PyObject_GetBuffer(buffer, &view, PyBUF_ANY_CONTIGUOUS | PyBUF_WRITABLE)
        try:
            if nbytes > view.len:
                raise ValueError(f"nbytes={nbytes} is more than the buffer's {view.len} bytes")
            self._recv_frame(&f, flags)
            n = f.size
            if n > <size_t>view.len:
                n = view.len
            if nbytes and n > <size_t>nbytes:
                n = nbytes
            if n:
                memcpy(view.buf, f.data, n)
            size = f.size
            if f.buf != NULL:
                zf_buf_unref(f.buf)
            return size
        finally:
            PyBuffer_Release(&view)

    # -- readiness --

    def poll(self, timeout=None, int flags=ZF_POLLIN):
        """Wait until the socket is ready for flags (POLLIN/POLLOUT); return the ready events
        (0 on timeout). timeout in ms, None or -1 for ever."""
        cdef int ev
        cdef int64_t deadline
        cdef zf_pollitem it
        if self._s == NULL or zf_sock_closed(self._ref):
            raise _error.ZMQError(ENOTSUP)  # what pyzmq raises for poll() on a closed socket
        it.sock = self._ref
        it.fd = -1
        it.events = flags
        deadline = -1 if timeout is None or timeout < 0 else zf_clock_ms() + <int64_t>timeout
        while True:
            ev = zf_poll_scan(&it, 1, 0)  # a plain look first: arming costs a syscall
            if ev > 0:
                return it.revents
            ev = zf_sock_events(self._ref) & flags
            if ev:
                return ev
            if deadline >= 0 and zf_clock_ms() >= deadline:
                return 0
            try:
                self._block(flags, deadline)
            except _error.Again:
                return 0


# ---- polling -----------------------------------------------------------------------------------

def zmq_poll(sockets, timeout=None):
    """Poll sockets and file descriptors: sockets is a list of (socket or fd or object with
    fileno(), events); returns [(socket, revents)] for the ready ones. timeout in ms."""
    poller = Poller()
    for obj, events in sockets:
        poller.register(obj, events)
    return poller.poll(timeout)


def _hold_done(_Hold hold):
    return hold is None or hold.done


def _drain(Context ctx):
    if ctx._ctx != NULL:
        _drain_releases(ctx._ctx)


def _proxy(Socket frontend, Socket backend, Socket capture=None, Socket control=None):
    """Run the engine's proxy loop (GIL released) until TERMINATE; raises on ETERM."""
    cdef zf_proxy px
    cdef int rc
    for sock in (frontend, backend, capture, control):
        if sock is not None and (<Socket>sock)._s == NULL:
            _raise_closed()
    px.front = frontend._ref
    px.back = backend._ref
    px.capture = capture._ref if capture is not None else NULL
    px.control = control._ref if control is not None else NULL
    px.paused = 0
    px.wait_ms = ZF_WAIT_SLICE_MS  # then look for Ctrl-C (see ZF_WAIT_SLICE_MS)
    for i in range(8):
        px.stats[i] = 0
    # The proxy's engine calls run without the GIL: its sockets are shared while it runs, so a
    # thread that still uses one (or closes it) takes turns with it instead of racing it.
    socks = [sock for sock in (frontend, backend, capture, control) if sock is not None]
    for sock in socks:
        zf_sock_share((<Socket>sock)._ref, 1)
    try:
        while True:
            with nogil:
                rc = zf_proxy_run(&px)
            if rc == -EINTR:
                PyErr_CheckSignals()
                continue
            if rc == 1:
                return None
            _raise(rc)
    finally:
        for sock in socks:
            zf_sock_share((<Socket>sock)._ref, -1)


cdef class Poller:
    """Wait on several sockets and file descriptors at once. The engine-level item array is
    kept between polls and rebuilt only after register/modify/unregister.

    One Poller may be shared by threads: each poll() works on its own copy of the items (another
    thread's poll may rebuild and free the cached array while this one sleeps on it), and the
    registration calls and the rebuild are critical sections on the poller, which matters only
    without the GIL (they compile to nothing with it)."""
    cdef zf_pollitem *_items   # the cached array: owned, replaced by _rebuild
    cdef tuple _snap           # the registered objects the cached array was built from
    cdef int _n
    cdef bint _dirty
    cdef public list sockets
    cdef dict _index
    cdef dict __dict__

    def __cinit__(self, *args, **kwargs):
        self._items = NULL
        self._snap = ()
        self._n = 0
        self._dirty = True
        self.sockets = []
        self._index = {}

    def __dealloc__(self):
        free(self._items)

    def __contains__(self, socket):
        return socket in self._index

    def register(self, socket, int flags=ZF_POLLIN | ZF_POLLOUT):
        """Watch socket (or an fd, or an object with fileno()) for flags; 0 unregisters."""
        if not flags:
            with cython.critical_section(self):
                if socket in self._index:
                    self._unregister(socket)
            return
        with cython.critical_section(self):
            if socket in self._index:
                self.sockets[self._index[socket]] = (socket, flags)
            else:
                self._index[socket] = len(self.sockets)
                self.sockets.append((socket, flags))
            self._dirty = True

    def modify(self, socket, int flags=ZF_POLLIN | ZF_POLLOUT):
        """Change the flags watched for socket."""
        self.register(socket, flags)

    def unregister(self, socket):
        """Stop watching socket (KeyError if it was not registered)."""
        with cython.critical_section(self):
            self._unregister(socket)

    cdef int _unregister(self, socket) except -1:
        idx = self._index.pop(socket)
        self.sockets.pop(idx)
        for i in range(idx, len(self.sockets)):
            self._index[self.sockets[i][0]] = i
        self._dirty = True
        return 0

    cdef int _rebuild(self) except -1:
        cdef tuple snap = tuple(self.sockets)
        cdef int n = len(snap), i
        cdef zf_pollitem *items = <zf_pollitem *>malloc((n if n else 1) * sizeof(zf_pollitem))
        cdef Socket s
        if items == NULL:
            raise MemoryError()
        try:
            for i in range(n):
                obj, flags = snap[i]
                items[i].events = flags
                items[i].revents = 0
                if isinstance(obj, Socket):
                    s = <Socket>obj
                    items[i].sock = s._ref
                    items[i].fd = -1
                else:
                    items[i].sock = NULL
                    items[i].fd = obj if isinstance(obj, int) else obj.fileno()
        except BaseException:
            free(items)
            raise
        free(self._items)
        self._items = items
        self._snap = tuple(o for o, _ in snap)
        self._n = n
        self._dirty = False
        return 0

    def poll(self, timeout=None):
        """Wait up to timeout ms (None or negative: for ever); return [(socket, events)]."""
        # Up to 16 items are copied to the stack (about 256 bytes, once per call); more to the heap.
        cdef zf_pollitem small[16]
        cdef zf_pollitem *items = small
        cdef tuple snap
        cdef int n
        with cython.critical_section(self):
            if self._dirty:
                self._rebuild()
            n = self._n
            snap = self._snap
            if n > 16:
                items = <zf_pollitem *>malloc(n * sizeof(zf_pollitem))
                if items == NULL:
                    raise MemoryError()
            if n:
                memcpy(items, self._items, n * sizeof(zf_pollitem))
        try:
            return self._poll(items, n, snap, timeout)
        finally:
            if items != small:
                free(items)

    cdef list _poll(self, zf_pollitem *items, int n, tuple snap, timeout):
        cdef int i, rc, t
        cdef int64_t deadline
        cdef int arm = 0
        for i in range(n):  # a socket closed since registration
            if items[i].fd < 0 and (<Socket>snap[i])._s == NULL:
                _raise_closed()
        if n == 0:
            return []  # nothing can become ready: pyzmq returns at once, whatever the timeout
        deadline = -1 if timeout is None or timeout < 0 else zf_clock_ms() + <int64_t>timeout
        while True:
            t = -1
            if deadline >= 0:
                t = <int>(deadline - zf_clock_ms())
                if t < 0:
                    t = 0
            rc = zf_poll_scan(items, n, arm)  # an armed scan that finds nothing needs its wait
            if rc < 0:
                _raise(rc)
            if rc > 0:
                break
            if t == 0:
                if arm:
                    zf_poll_wait(items, n, 0)  # ends what the armed scan began (csrc/zf.h)
                return []
            if not arm:
                arm = 1  # look again, armed, before sleeping: no wake-up can be missed
                continue
            if t < 0 or t > ZF_WAIT_SLICE_MS:
                t = ZF_WAIT_SLICE_MS  # then look for Ctrl-C (see ZF_WAIT_SLICE_MS)
            with nogil:
                rc = zf_poll_wait(items, n, t)
            for i in range(n):  # closed by another thread while we slept
                if items[i].fd < 0 and (<Socket>snap[i])._s == NULL:
                    _raise_closed()
            if rc == -EINTR or rc == -EAGAIN:
                PyErr_CheckSignals()  # Ctrl-C raises KeyboardInterrupt here
            elif rc < 0 and rc != -EAGAIN:
                _raise(rc)
        # sockets come back as registered; anything else as its fd, as pyzmq does
        return [(snap[i] if items[i].sock != NULL else items[i].fd, items[i].revents)
                for i in range(n) if items[i].revents]


include "_crypto.pxi"
include "_aio.pxi"
