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


cdef enum:
    _OP_NEW = 0         # being started
    _OP_QUEUED = 1      # in its socket's waiter list: the fd watcher performs it, in call order
    _OP_DONE = 2        # res or err is what awaiting it gives
    _OP_GONE = 3        # its awaiting task was cancelled before it was performed

cdef enum:
    _AIO_IDLE = 0       # running (or not started)
    _AIO_WAITING = 1    # suspended, in its socket's waiter list
    _AIO_WOKEN = 2      # the fd watcher says: retry
    _AIO_FAILED = 3     # close, ETERM or the timeout: exc is the error
    _AIO_CANCELLED = 4  # the awaiting task was cancelled

cdef object _aio_CancelledError = None  # asyncio's, set by zmqfast.asyncio (_aio_setup)
cdef object _aio_current_task = None
cdef object _aio_get_running_loop = None
cdef object _aio_drive = None  # async def drive(op): return await op
# loop -> what watches fds for it (zmqfast.asyncio._reader_host), or None where every loop
# has add_reader (no Proactor loop outside Windows): then the loop itself, with no call
cdef object _aio_reader_host = None


def _aio_setup(cancelled_error, current_task, get_running_loop, drive, reader_host=None):
    global _aio_CancelledError, _aio_current_task, _aio_get_running_loop, _aio_drive
    global _aio_reader_host
    _aio_CancelledError = cancelled_error
    _aio_current_task = current_task
    _aio_get_running_loop = get_running_loop
    _aio_drive = drive
    _aio_reader_host = reader_host


@cython.final
cdef class _AioState:
    """A zmqfast.asyncio socket's suspended waiters and the watch on its fd."""
    cdef public list rin      # waiting for POLLIN (receivers, pollers)
    cdef public list rout     # waiting for POLLOUT
    cdef public object loop   # the loop watching the fd, or None
    cdef public bint watching
    cdef public int fd

    def __cinit__(self):
        self.rin = []
        self.rout = []
        self.fd = -1


cdef inline bint _aio_pending(object x):
    """Whether an entry of a waiter list still waits: a queued _AioOp, or a Poller's Future."""
    if type(x) is _AioOp:
        return (<_AioOp>x).st == _OP_QUEUED
    return not x.done()


cdef object _aio_park(Socket sock, object w, int want):
    """Queue w (a queued _AioOp, or a Future of Poller.poll) for want and make sure the loop
    watches the fd; return the loop. The caller arms the fd afterwards (_aio_service)."""
    cdef _AioState st = <_AioState?>sock._aio
    cdef list lst
    loop = _aio_get_running_loop()
    if loop is not st.loop:
        sock._rebind(loop)  # first use, or another loop than before
    lst = st.rin if want == ZF_POLLIN else st.rout
    if len(lst) >= 16:  # settled or abandoned entries are dropped here and at wake-ups
        lst[:] = [x for x in lst if _aio_pending(x)]
    lst.append(w)
    if not st.watching:
        host = loop if _aio_reader_host is None else _aio_reader_host(loop)
        host.add_reader(st.fd, _aio_on_fd, sock, st.rin, st.rout)
        st.watching = True
    return loop


def _aio_park_waiter(Socket sock, w, int want):
    """_aio_park for Python callers (zmqfast.asyncio.Poller)."""
    return _aio_park(sock, w, want)


@cython.final
@cython.freelist(16)
cdef class _AioWaiter:
    """What a suspended _AioOp's task waits on: a Future-like object (asyncio's duck typing:
    _asyncio_future_blocking, get_loop, add_done_callback, result, cancel) cheaper than an
    asyncio.Future, which also lets the fd watcher resume the task at once from its own loop
    callback instead of through a call_soon for the next loop iteration."""
    cdef object loop
    cdef object cb         # the task's wake-up callback, and its context
    cdef object cb_ctx
    cdef list more_cbs     # any further (callback, context) pairs
    cdef object exc
    cdef int state
    cdef public bint _asyncio_future_blocking

    def get_loop(self):
        return self.loop

    def add_done_callback(self, fn, *, context=None):
        if self.state != _AIO_WAITING:
            self.loop.call_soon(fn, self, context=context)
        elif self.cb is None:
            self.cb = fn
            self.cb_ctx = context
        else:
            if self.more_cbs is None:
                self.more_cbs = []
            self.more_cbs.append((fn, context))

    def remove_done_callback(self, fn):
        n = 0
        if self.cb is not None and self.cb == fn:
            self.cb = self.cb_ctx = None
            n += 1
        if self.more_cbs:
            keep = [(f, c) for f, c in self.more_cbs if f != fn]
            n += len(self.more_cbs) - len(keep)
            self.more_cbs = keep
        return n

    def done(self):
        return self.state != _AIO_WAITING

    def cancelled(self):
        return self.state == _AIO_CANCELLED

    def result(self):
        if self.state == _AIO_FAILED:
            raise self.exc
        if self.state == _AIO_CANCELLED:
            raise self.exc if self.exc is not None else _aio_CancelledError()
        return None

    def exception(self):
        if self.state == _AIO_CANCELLED:
            self.result()
        return self.exc if self.state == _AIO_FAILED else None

    def cancel(self, msg=None):
        if self.state != _AIO_WAITING:
            return False
        self.exc = _aio_CancelledError(msg) if msg is not None else None
        self._complete(_AIO_CANCELLED, False)
        return True

    cdef int _fail(self, err, bint direct) except -1:
        if self.state == _AIO_WAITING:
            self.exc = err
            self._complete(_AIO_FAILED, direct)
        return 0

    cdef int _complete(self, int state, bint direct) except -1:
        """Leave WAITING and run the task's wake-up: right here when direct (only from a plain
        loop callback, where no task is running), else through call_soon as asyncio does."""
        self.state = state
        cb, ctx, more = self.cb, self.cb_ctx, self.more_cbs
        self.cb = self.cb_ctx = self.more_cbs = None
        if more:
            for f, c in more:
                self.loop.call_soon(f, self, context=c)
        if cb is None:
            return 0
        if direct and _aio_current_task(self.loop) is not None:
            direct = False  # a loop run nested inside a task (nest_asyncio): no task may enter
        if not direct:
            try:
                self.loop.call_soon(cb, self, context=ctx)
            except RuntimeError:
                if not self.loop.is_closed():
                    raise  # (a closed loop runs no task: nothing left to wake)
            return 0
        try:
            if ctx is None:
                cb(self)
            else:
                ctx.run(cb, self)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as e:
            self.loop.call_exception_handler(
                {"message": "zmqfast.asyncio: exception in a wake-up callback", "exception": e})
        return 0


@cython.final
@cython.freelist(16)
cdef class _AioOp:
    """One socket operation of zmqfast.asyncio, started when called, as pyzmq's are: done at
    once when it can be (a message is queued, a send fits), else queued behind the operations
    of its direction called before it; the socket's fd watcher performs queued operations in
    that order, so results follow call order whatever order they are awaited in, and a send
    nobody awaits still goes out."""
    cdef Socket sock
    cdef object data       # what to send
    cdef object kw         # send()'s extra keywords, or None
    cdef _AioWaiter w      # what its awaiting tasks suspend on, once queued
    cdef object timer      # the RCVTIMEO/SNDTIMEO TimerHandle, or None
    cdef object res        # _OP_DONE: the result ...
    cdef object err        # ... or the exception
    cdef int st            # _OP_*
    cdef int kind
    cdef int flags
    cdef int want          # ZF_POLLIN or ZF_POLLOUT
    cdef bint copy
    cdef bint track
    cdef object task       # once used as a Future: a Future or Task standing for it

    # pyzmq's send/recv return Futures: asyncio.isfuture() says so of an op too, and the first
    # use of a Future method (add_done_callback from asyncio.wait, gather, wait_for, ...) makes a
    # Future (done ops) or a Task awaiting the op (queued ones), to which the Future API goes.
    _asyncio_future_blocking = False

    def __await__(self):
        if self.task is not None:
            return self.task.__await__()
        return self

    def __iter__(self):
        return self

    def __next__(self):  # the type's tp_iternext is zf_aio_iternext; this serves op.__next__()
        cdef int suspended = 0
        r = _aio_step(self, &suspended)
        if suspended:
            return r
        raise StopIteration(r)

    # No send(): with __await__, send, throw and close it would pass for a coroutine
    # (collections.abc.Coroutine), and asyncio.wait() refuses coroutines; a task only ever
    # sends None, which goes through tp_iternext / am_send.

    def throw(self, typ, val=None, tb=None):
        """The awaiting task was cancelled (or closed). An op not yet performed leaves the queue,
        having taken nothing from the socket."""
        self._abandon()
        if val is None:
            raise typ
        if isinstance(val, BaseException):
            raise val
        raise typ(val)

    def close(self):
        self._abandon()

    cdef inline void _abandon(self):
        if self.st == _OP_QUEUED:
            self.st = _OP_GONE
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

    cdef object _as_task(self):
        """The Future standing for this op once it is used as one (done(), cancel(),
        add_done_callback, asyncio.wait...): _settle completes it, and cancelling it takes the
        op out of its queue at once, as cancelling a pyzmq Future does."""
        cdef _AioState st
        if self.task is None:
            st = <_AioState?>self.sock._aio
            loop = st.loop if st.loop is not None else _aio_get_running_loop()
            f = loop.create_future()
            if self.st == _OP_DONE:
                if self.err is not None:
                    f.set_exception(self.err)
                else:
                    f.set_result(self.res)
            elif self.st == _OP_GONE:
                f.cancel()
            else:
                f.add_done_callback(self._task_done)
            self.task = f
        return self.task

    def _task_done(self, task):
        """A cancelled Future-op leaves the queue before it takes anything from the socket."""
        if task.cancelled():
            self._abandon()

    def add_done_callback(self, fn, *, context=None):
        return self._as_task().add_done_callback(fn, context=context)

    def remove_done_callback(self, fn):
        return self._as_task().remove_done_callback(fn)

    def done(self):
        return self._as_task().done()

    def cancelled(self):
        return self._as_task().cancelled()

    def result(self):
        return self._as_task().result()

    def exception(self):
        return self._as_task().exception()

    def cancel(self, msg=None):
        """Cancel now: the op leaves its queue at once (it takes nothing from the socket), and
        a task already suspended on it wakes with CancelledError."""
        if not self._as_task().cancel(msg):
            return False
        self._abandon()
        if self.w is not None and self.w.state == _AIO_WAITING:
            self.w.cancel(msg)
        return True

    def get_loop(self):
        return self._as_task().get_loop()

    cdef int _settle(self, object res, object err, bint direct) except -1:
        """Done: record the outcome and resume whoever awaits it (from the fd watcher's own
        callback when direct)."""
        self.res = res
        self.err = err
        self.st = _OP_DONE
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None and not self.task.done():
            if err is not None:
                self.task.set_exception(err)
            else:
                self.task.set_result(res)
        if self.w is not None and self.w.state == _AIO_WAITING:
            self.w._complete(_AIO_WOKEN, direct)
        return 0

    def _expire(self):
        """RCVTIMEO/SNDTIMEO ran out."""
        self.timer = None
        if self.st == _OP_QUEUED:
            self._settle(None, _new_again(), False)

    cdef object _attempt(self):
        """The operation, never blocking: its result, or _aio_AGAIN."""
        cdef zf_frame f
        cdef int rc
        cdef Socket sock = self.sock
        cdef object data
        if sock._s == NULL:
            _raise_closed()
        if self.kind == _AIO_RECV:
            rc = zf_sock_recv(sock._ref, &f)
            if rc == -EAGAIN:
                return _aio_AGAIN
            if rc < 0:
                _raise(rc)
            if self.copy:
                return _bytes_recv(sock, &f)
            fr = _frame_from(&f, sock)
            fr._meta = _meta(sock._ref)
            return fr
        if self.kind == _AIO_SEND:
            data = self.data
            if self.kw is None and self.copy and PyBytes_CheckExact(data) and \
                    PyBytes_GET_SIZE(data) < sock.copy_threshold:
                rc = zf_sock_send(sock._ref, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data),
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


@cython.final
cdef class _AioInner:
    """What the Task behind an op used as a Future awaits: the op itself, not its Future."""
    cdef _AioOp op

    def __cinit__(self, _AioOp op):
        self.op = op

    def __await__(self):
        return self.op


cdef object _aio_step(object o, int *suspended):
    """Advance op: its result (suspended = 0) or the waiter to suspend on (suspended = 1)."""
    cdef _AioOp op = <_AioOp>o
    cdef _AioWaiter w
    if op.st == _OP_QUEUED:
        w = op.w
        if w.state == _AIO_CANCELLED:  # the awaiting task's cancel() reached the waiter
            op._abandon()
            w.result()
        if w.state == _AIO_WAITING:
            suspended[0] = 1
            return w
    if op.st == _OP_DONE:
        if op.err is not None:
            raise op.err
        return op.res
    if op.st == _OP_GONE:
        raise _aio_CancelledError()
    raise RuntimeError("zmqfast.asyncio: an operation in an impossible state")


zf_aio_install(<PyTypeObject *>_AioOp, _aio_step)


cdef inline bint _aio_ops_queued(list lst):
    for x in lst:
        if type(x) is _AioOp and (<_AioOp>x).st == _OP_QUEUED:
            return True
    return False


cdef object _aio_start(Socket sock, int kind, int want, int flags, bint copy, bint track, object data,
                       object kw):
    """Make an op and start it (see _AioOp)."""
    cdef _AioOp op = _AioOp.__new__(_AioOp)
    cdef _AioState st = <_AioState?>sock._aio
    cdef list lst = st.rin if want == ZF_POLLIN else st.rout
    cdef _AioWaiter w
    cdef int64_t t = -1
    cdef object r
    op.sock = sock
    op.kind = kind
    op.want = want
    op.flags = flags
    op.copy = copy
    op.track = track
    op.data = data
    op.kw = kw
    if not lst or not _aio_ops_queued(lst):  # nothing called earlier still waits: try now
        try:
            r = op._attempt()
        except BaseException as e:
            op.err = e
            op.st = _OP_DONE
            return op
        if r is not _aio_AGAIN:
            op.res = r
            op.st = _OP_DONE
            return op
    if flags & _DONTWAIT:
        op.err = _new_again()
        op.st = _OP_DONE
        return op
    w = _AioWaiter.__new__(_AioWaiter)
    w.loop = _aio_park(sock, op, want)
    w._asyncio_future_blocking = True
    w.state = _AIO_WAITING
    op.w = w
    op.st = _OP_QUEUED
    _getopt_int(sock._ref, _OPT_RCVTIMEO if want == ZF_POLLIN else _OPT_SNDTIMEO, &t)
    if t >= 0:
        op.timer = w.loop.call_later(t / 1000.0, op._expire)
    _aio_service(sock, False)  # arm the fd; serve what became possible meanwhile
    return op


def _aio_recv(Socket self, int flags=0, bint copy=True, bint track=False):
    """Receive one frame: await it (zmqfast.asyncio)."""
    return _aio_start(self, _AIO_RECV, ZF_POLLIN, flags, copy, track, None, None)


def _aio_recv_multipart(Socket self, int flags=0, bint copy=True, bint track=False):
    """Receive a multipart message: await it (zmqfast.asyncio)."""
    return _aio_start(self, _AIO_RECV_MULTI, ZF_POLLIN, flags, copy, track, None, None)


def _aio_send(Socket self, data, int flags=0, bint copy=True, bint track=False, **kw):
    """Send one frame: await it (zmqfast.asyncio)."""
    return _aio_start(self, _AIO_SEND, ZF_POLLOUT, flags, copy, track, data, kw if kw else None)


def _aio_send_multipart(Socket self, msg_parts, int flags=0, bint copy=True, bint track=False, **kw):
    """Send a multipart message: await it (zmqfast.asyncio)."""
    return _aio_start(self, _AIO_SEND_MULTI, ZF_POLLOUT, flags, copy, track, msg_parts,
                      kw if kw else None)


cdef int _aio_serve(list lst, list done) except -1:
    """Perform the queued ops of one direction in call order until one would block; settled
    ops and the Pollers waiting in the list (they look for themselves) go to done, to be woken
    once the lists are consistent again: a task resumed then that starts an op must find the
    ops called before it still queued, or it would overtake them."""
    cdef list ws
    cdef list keep = []
    cdef bint blocked = False
    cdef _AioOp op
    cdef object r
    if not lst:
        return 0
    ws = list(lst)
    del lst[:]
    for x in ws:
        if type(x) is _AioOp:
            op = <_AioOp>x
            if op.st != _OP_QUEUED:
                continue
            if blocked:
                keep.append(op)
                continue
            try:
                r = op._attempt()
            except BaseException as e:
                op.res, op.err = None, e
                done.append(op)
                continue
            if r is _aio_AGAIN:
                blocked = True
                keep.append(op)
            else:
                op.res, op.err = r, None
                done.append(op)
        elif not x.done():
            done.append(x)
    lst[0:0] = keep  # ahead of anything queued meanwhile
    return 0


cdef int _aio_wake_done(list done, bint direct) except -1:
    cdef _AioOp op
    for x in done:
        if type(x) is _AioOp:
            op = <_AioOp>x
            op._settle(op.res, op.err, direct)
        elif not x.done():
            x.set_result(None)
    return 0


cdef int _aio_service(Socket sock, bint direct) except -1:
    """Serve sock's waiters, then arm its fd for those still queued. zf_sock_events drains the
    fd, declares the socket parked and only then looks at its queues: a change after the look
    raises the fd (the loop calls _aio_on_fd), one before it is seen by the look and served here
    at once. Ready yet refused again and again (a pattern's state, not the queues): once more in
    the next loop iteration."""
    cdef _AioState st = <_AioState?>sock._aio
    cdef int spins = 0
    cdef int ev
    cdef list done
    while True:
        if sock._s == NULL or zf_sock_closed(sock._ref):
            err = _error.ZMQError(ENOTSOCK)
            _aio_wake(st.rin, err, direct)
            _aio_wake(st.rout, err, direct)
            return 0
        done = []
        _aio_serve(st.rin, done)
        _aio_serve(st.rout, done)
        if done:
            _aio_wake_done(done, direct)
        if not st.rin and not st.rout:
            return 0
        if sock._s == NULL:
            continue
        _drain_releases(sock._zctx)
        ev = zf_sock_events(sock._ref)
        if not ((ev & ZF_POLLIN and st.rin) or (ev & ZF_POLLOUT and st.rout)):
            return 0
        spins += 1
        if spins >= _AIO_SPINS:
            st.loop.call_soon(_aio_on_fd, sock, st.rin, st.rout)
            return 0


cdef int _aio_wake(list waiters, object err, bint direct) except -1:
    """Fail every entry of the list with err (close, ETERM), and empty it."""
    cdef list ws
    if not waiters:
        return 0
    ws = list(waiters)
    del waiters[:]
    for w in ws:
        if type(w) is _AioOp:
            if (<_AioOp>w).st == _OP_QUEUED:
                (<_AioOp>w)._settle(None, err, direct)
        elif not w.done():
            w.set_exception(err)
    return 0


def _aio_fail(list waiters, err):
    """Fail every waiter (Socket.close)."""
    _aio_wake(waiters, err, False)


def _aio_on_fd(Socket sock, list rin, list rout):
    """The loop's reader callback for an asyncio socket's fd: perform the queued ops in call
    order and wake the Pollers (_aio_service), resuming tasks right from this callback."""
    if sock._s == NULL or zf_sock_closed(sock._ref):
        err = _error.ZMQError(ENOTSOCK)
        _aio_wake(rin, err, True)
        _aio_wake(rout, err, True)
        sock._aio_unwatch()
        return
    if not rin and not rout:
        sock._aio_unwatch()  # nobody waits (and the fd may stay raised): until someone parks
        return
    _aio_service(sock, True)  # the watch stays while waiters come back, as they mostly do
