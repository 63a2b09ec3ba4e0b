# ---- asyncio (zmqfast.asyncio) ------------------------------------------------------------------
# Included at the end of _core.pyx. `await sock.recv()` and friends on a zmqfast.asyncio socket
# return an _AioOp: an awaitable whose first step tries the operation in C. When it succeeds (a
# message is queued, or the send fits under the HWM) the await is over without a Future, without
# a loop round trip and without an exception object. Only when the socket would block does it arm
# the socket's readiness fd and suspend on a Future that zmqfast.asyncio's fd watcher completes.

from cpython.object cimport PyTypeObject

cdef extern from *:
    """
    /* The iterator protocol of _AioOp, in C: the step function (Cython, below) reports whether
     * it suspends on a Future (yield it to the Task) or is done with a value (the await's result).
     * On 3.10 and 3.11 the coroutine's SEND goes through am_send, which returns the value with no
     * StopIteration at all; tp_iternext (3.12+, or any caller of next()) sets StopIteration(value)
     * without instantiating it where CPython allows. */
    static PyObject *(*zf_aio_step_fn)(PyObject *op, int *suspended);

    static PyObject *zf_aio_iternext(PyObject *op)
    {
        int suspended = 0;
        PyObject *r = zf_aio_step_fn(op, &suspended);
        if (r == NULL || suspended)
            return r;
        if (PyTuple_Check(r) || PyExceptionInstance_Check(r)) {
            /* these would be taken as StopIteration's arguments or as the exception itself */
            PyObject *e = PyObject_CallOneArg(PyExc_StopIteration, r);
            Py_DECREF(r);
            if (e == NULL)
                return NULL;
            PyErr_SetObject(PyExc_StopIteration, e);
            Py_DECREF(e);
            return NULL;
        }
        PyErr_SetObject(PyExc_StopIteration, r);
        Py_DECREF(r);
        return NULL;
    }

    #if PY_VERSION_HEX >= 0x030A0000
    static PySendResult zf_aio_am_send(PyObject *op, PyObject *arg, PyObject **result)
    {
        int suspended = 0;
        PyObject *r = zf_aio_step_fn(op, &suspended);
        (void)arg; /* a Task always sends None */
        *result = r;
        if (r == NULL)
            return PYGEN_ERROR;
        return suspended ? PYGEN_NEXT : PYGEN_RETURN;
    }
    #endif

    static void zf_aio_install(PyTypeObject *t, PyObject *(*step)(PyObject *, int *))
    {
        zf_aio_step_fn = step;
        t->tp_iternext = zf_aio_iternext;
    #if PY_VERSION_HEX >= 0x030A0000
        if (t->tp_as_async != NULL) {
            t->tp_as_async->am_send = zf_aio_am_send;
    #ifdef Py_TPFLAGS_HAVE_AM_SEND
            t->tp_flags |= Py_TPFLAGS_HAVE_AM_SEND;
    #endif
        }
    #endif
        PyType_Modified(t);
    }
    """
    void zf_aio_install(PyTypeObject *t, object (*step)(object, int *))


cdef object _aio_AGAIN = object()  # "would block": a sentinel, not an exception

cdef enum:
    _AIO_RECV = 1
    _AIO_RECV_MULTI = 2
    _AIO_SEND = 3
    _AIO_SEND_MULTI = 4

cdef int _AIO_SPINS = 8  # "ready" answers in a row that the operation still refuses, before yielding


@cython.final
@cython.freelist(16)
cdef class _AioOp:
    """One awaitable socket operation (zmqfast.asyncio)."""
    cdef Socket sock
    cdef object data       # what to send
    cdef object kw         # send()'s extra keywords, or None
    cdef object fut        # the Future this op is suspended on, or None
    cdef object timer      # the RCVTIMEO/SNDTIMEO TimerHandle, or None
    cdef int kind
    cdef int flags
    cdef int want          # ZF_POLLIN or ZF_POLLOUT
    cdef bint copy
    cdef bint track
    cdef bint timed_out

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):  # the type's tp_iternext is zf_aio_iternext; this serves next(op)
        cdef int suspended = 0
        r = _aio_step(self, &suspended)
        if suspended:
            return r
        raise StopIteration(r)

    def send(self, value):
        return self.__next__()

    def throw(self, typ, val=None, tb=None):
        """The awaiting task was cancelled (or closed): drop the timer, let the error through.
        Nothing was taken from the socket for this op, so nothing is lost."""
        self._finish()
        if val is None:
            raise typ
        if isinstance(val, BaseException):
            raise val
        raise typ(val)

    def close(self):
        self._finish()

    cdef inline void _finish(self):
        self.fut = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self):
        """RCVTIMEO/SNDTIMEO ran out while suspended."""
        self.timer = None
        self.timed_out = True
        fut = self.fut
        if fut is not None and not fut.done():
            fut.set_exception(_error.Again(EAGAIN))

    cdef object _attempt(self):
        """The operation, never blocking: its result, or _aio_AGAIN."""
        cdef zf_frame f
        cdef int rc
        cdef Socket sock = self.sock
        cdef object data
        if sock._s == NULL:
            _raise_closed()
        if self.kind == _AIO_RECV:
            rc = zf_sock_recv(sock._s, &f)
            if rc == -EAGAIN:
                return _aio_AGAIN
            if rc < 0:
                _raise(rc)
            if self.copy:
                return _bytes_from(&f)
            fr = _frame_from(&f)
            fr._meta = zf_sock_meta(sock._s)
            return fr
        if self.kind == _AIO_SEND:
            data = self.data
            if self.kw is None and self.copy and PyBytes_CheckExact(data) and \
                    PyBytes_GET_SIZE(data) < sock.copy_threshold:
                rc = zf_sock_send(sock._s, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data),
                                  self.flags | _DONTWAIT)
                if rc == -EAGAIN:
                    return _aio_AGAIN
                if rc < 0:
                    _raise(rc)
                return None
            try:
                if self.kw is None:
                    return Socket.send(sock, data, self.flags | _DONTWAIT, self.copy, self.track)
                return Socket.send(sock, data, self.flags | _DONTWAIT, self.copy, self.track,
                                   **self.kw)
            except _Again:
                return _aio_AGAIN
        if self.kind == _AIO_RECV_MULTI:
            try:
                return Socket.recv_multipart(sock, self.flags | _DONTWAIT, self.copy, self.track)
            except _Again:
                return _aio_AGAIN
        try:
            if self.kw is None:
                return Socket.send_multipart(sock, self.data, self.flags | _DONTWAIT, self.copy,
                                             self.track)
            return Socket.send_multipart(sock, self.data, self.flags | _DONTWAIT, self.copy,
                                         self.track, **self.kw)
        except _Again:
            return _aio_AGAIN


cdef object _aio_step(object o, int *suspended):
    """Advance op: its result (suspended = 0) or the Future to suspend on (suspended = 1)."""
    cdef _AioOp op = <_AioOp>o
    cdef Socket sock = op.sock
    cdef int spins = 0
    cdef int64_t t = -1
    cdef object r, fut
    if op.fut is not None:  # resumed: the fd watcher woke us, or close/ETERM/timeout failed us
        fut = op.fut
        op.fut = None
        try:
            fut.result()
        except BaseException:
            op._finish()
            raise
    while True:
        r = op._attempt()
        if r is not _aio_AGAIN:
            if op.timer is not None:
                op.timer.cancel()
                op.timer = None
            return r
        if op.flags & _DONTWAIT:
            _raise(-EAGAIN)
        if op.timed_out:
            _raise(-EAGAIN)
        # Arming. zf_sock_events drains the socket's fd, declares the socket parked and only then
        # looks at its queues. A change after that look finds the socket parked and raises the
        # fd; a change before it is seen by the look (and we retry at once). The raised fd stays
        # readable until the next zf_sock_events/zf_sock_wait drains it, and every drain is
        # followed by a look whose answer reaches the waiters (zmqfast.asyncio's fd callback,
        # _aio_on_fd). The fd is registered with the loop (add_reader) before we yield, so the
        # loop sees it readable: a wake-up cannot be missed.
        _drain_releases(sock._zctx)
        if zf_sock_events(sock._s) & op.want:
            spins += 1
            if spins < _AIO_SPINS:
                continue
        fut = sock._aio_park(op.want)
        if spins >= _AIO_SPINS:
            fut.set_result(None)  # ready yet refused, repeatedly: let the loop run, then retry
        elif op.timer is None:
            zf_sock_getopt_int(sock._s, _OPT_RCVTIMEO if op.want == ZF_POLLIN else _OPT_SNDTIMEO, &t)
            if t >= 0:
                op.timer = fut.get_loop().call_later(t / 1000.0, op._expire)
        fut._asyncio_future_blocking = True
        op.fut = fut
        suspended[0] = 1
        return fut

zf_aio_install(<PyTypeObject *>_AioOp, _aio_step)


cdef inline _AioOp _aio_op(Socket sock, int kind, int want, int flags, bint copy, bint track):
    cdef _AioOp op = _AioOp.__new__(_AioOp)
    op.sock = sock
    op.kind = kind
    op.want = want
    op.flags = flags
    op.copy = copy
    op.track = track
    return op


def _aio_recv(Socket self, int flags=0, bint copy=True, bint track=False):
    """Receive one frame: await it (zmqfast.asyncio)."""
    return _aio_op(self, _AIO_RECV, ZF_POLLIN, flags, copy, track)


def _aio_recv_multipart(Socket self, int flags=0, bint copy=True, bint track=False):
    """Receive a multipart message: await it (zmqfast.asyncio)."""
    return _aio_op(self, _AIO_RECV_MULTI, ZF_POLLIN, flags, copy, track)


def _aio_send(Socket self, data, int flags=0, bint copy=True, bint track=False, **kw):
    """Send one frame: await it (zmqfast.asyncio)."""
    cdef _AioOp op = _aio_op(self, _AIO_SEND, ZF_POLLOUT, flags, copy, track)
    op.data = data
    if kw:
        op.kw = kw
    return op


def _aio_send_multipart(Socket self, msg_parts, int flags=0, bint copy=True, bint track=False, **kw):
    """Send a multipart message: await it (zmqfast.asyncio)."""
    cdef _AioOp op = _aio_op(self, _AIO_SEND_MULTI, ZF_POLLOUT, flags, copy, track)
    op.data = msg_parts
    if kw:
        op.kw = kw
    return op


cdef inline void _aio_wake(list waiters, object err):
    for fut in waiters:
        if not fut.done():
            if err is None:
                fut.set_result(None)
            else:
                fut.set_exception(err)
    del waiters[:]


def _aio_on_fd(Socket sock, list rin, list rout):
    """The loop's reader callback for an asyncio socket's fd: wake the waiters whose operation may
    now succeed (they retry it themselves, so a waiter cancelled after its wake-up takes nothing)."""
    cdef int want = 0, ev, rc, tries
    if sock._s == NULL or zf_sock_closed(sock._s):
        err = _error.ZMQError(ENOTSOCK)
        _aio_wake(rin, err)
        _aio_wake(rout, err)
        sock._aio_unwatch()
        return
    if rin:
        want |= ZF_POLLIN
    if rout:
        want |= ZF_POLLOUT
    if not want:
        sock._aio_unwatch()  # nobody waits: stop watching until someone parks again
        return
    for tries in range(3):
        ev = zf_sock_events(sock._s)  # re-arms, as at parking (see _aio_step)
        if ev & want:
            break
        # Nothing for the waiters. zf_sock_events hides a terminated context (it answers 0):
        # zf_sock_wait with no timeout says so; 0 means the fd was raised again meanwhile (and it
        # drained it), so look again; -EAGAIN leaves us armed.
        rc = zf_sock_wait(sock._s, want, 0)
        if rc == -EAGAIN:
            return
        if rc < 0:
            err = _error._error_for(-rc)
            _aio_wake(rin, err)
            _aio_wake(rout, err)
            return
    else:
        ev = want  # raised three times in a row: let them all retry
    if ev & ZF_POLLIN and rin:
        _aio_wake(rin, None)
    if ev & ZF_POLLOUT and rout:
        _aio_wake(rout, None)
