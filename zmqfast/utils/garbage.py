"""pyzmq's zero-copy "garbage collector", for code that imports it.

In pyzmq, libzmq frees the memory of a zero-copy send from its own I/O thread, where Python
cannot run: the free callback posts the object's key to a PULL socket that a Python thread (the
"gc thread") reads, dropping the reference and firing the send's tracker event there.

zmqfast needs no such thread: its engine hands buffers it is done with back to the socket, and
the references (and MessageTracker events) are released by the application thread at its next
call into the engine. Nothing in zmqfast uses this module. It is here, working, for code that
imports ``zmq.utils.garbage``: ``gc.store(obj, event)`` keeps obj alive under a key (the return
value); sending that key, packed as a native ``size_t`` (``struct.pack("Q", key)`` on 64-bit
platforms), to ``gc.url`` from any socket of ``gc.context`` releases obj and sets event, from
the collector's own thread, as in pyzmq.
"""

from __future__ import annotations

import atexit
import os
import struct
import warnings
from threading import Event, Lock, Thread
from typing import Final, NamedTuple

import zmqfast as zmq

__all__ = ["gcref", "GarbageCollectorThread", "GarbageCollector", "gc"]


class gcref(NamedTuple):
    """An object kept alive by the collector, and the event to set once it is let go."""

    obj: object
    event: Event | None


class GarbageCollectorThread(Thread):
    """The collector's thread: it reads released keys and lets their objects go."""

    def __init__(self, gc: GarbageCollector) -> None:
        super().__init__(name="zmqfast-gc", daemon=True)
        self.gc = gc
        self.pid = os.getpid()
        self.ready = Event()

    def run(self) -> None:
        if os.getpid() != self.pid:  # inherited over fork: the parent's thread, not ours
            self.ready.set()
            return
        try:
            pull = self.gc.context.socket(zmq.PULL)
            pull.linger = 0
            pull.bind(self.gc.url)
        finally:
            self.ready.set()
        try:
            while os.getpid() == self.pid:
                msg = pull.recv()
                if msg == b"DIE":
                    break
                key = struct.unpack("L" if len(msg) == 4 else "Q", msg)[0]
                ref = self.gc.refs.pop(key, None)
                if ref is not None and ref.event is not None:
                    ref.event.set()
        finally:
            pull.close()


class GarbageCollector:
    """pyzmq's collector of zero-copy send buffers, under its name.

    Holds, keyed by Python id, the objects whose memory is still in use; a packed key arriving
    on the inproc PULL socket at ``url`` (read by the collector's thread) releases that object
    and sets its event. (zmqfast's own zero-copy sends do not go through here: see the module.)
    """

    url = "inproc://pyzmq.gc.01"

    def __init__(self, context: zmq.Context | None = None) -> None:
        self.refs: dict[int, gcref] = {}
        self.pid: int | None = None
        self.thread: GarbageCollectorThread | None = None
        self._context = context
        self._lock = Lock()
        self._stay_down = False
        self._push: zmq.Socket | None = None
        self._push_mutex: Lock | None = None
        atexit.register(self._atexit)

    @property
    def context(self) -> zmq.Context:
        """The context of the collector's sockets (made on first use)."""
        if self._context is None:
            if Thread.__module__.startswith("gevent"):
                from zmqfast import green  # monkey-patched threads are greenlets

                self._context = green.Context()
            else:
                self._context = zmq.Context()
        return self._context

    @context.setter
    def context(self, ctx: zmq.Context | None) -> None:
        if self.is_alive():
            if self.refs:
                warnings.warn("Replacing gc context while gc is running", RuntimeWarning)
            self.stop()
        self._context = ctx

    def _atexit(self) -> None:
        self._stay_down = True  # no restart from a later atexit handler
        self.stop()

    def stop(self) -> None:
        """End the collector's thread (if it runs)."""
        if self.is_alive():
            self._stop()

    def _stop(self) -> None:
        with self.context.socket(zmq.PUSH) as push:
            push.connect(self.url)
            push.send(b"DIE")
        if self._push is not None:
            self._push.close()
        assert self.thread is not None
        self.thread.join()
        self.context.term()
        self._clear()

    def _clear(self) -> None:
        self._push = None
        self._push_mutex = None
        self.thread = None
        self.refs.clear()
        self._context = None

    @property
    def _push_socket(self) -> zmq.Socket:
        """A PUSH socket connected to the collector, for this process (made on first use)."""
        if self._stay_down:
            raise RuntimeError("zmq gc socket requested during shutdown")
        if not self.is_alive():
            self.start()
        if self._push is None:
            self._push = self.context.socket(zmq.PUSH)
            self._push.connect(self.url)
        return self._push

    def start(self) -> None:
        """Start the collector's thread, with a context of its own (once per process, unless
        it was stopped or the process forked)."""
        if self.thread is not None and self.pid != os.getpid():
            self._clear()  # forked: the parent's thread and context are not ours
        self.pid = os.getpid()
        self.refs = {}
        self.thread = GarbageCollectorThread(self)
        self.thread.start()
        self.thread.ready.wait()

    def is_alive(self) -> bool:
        """Whether the collector's thread runs in this process (not after a fork, nor once
        the interpreter is shutting down)."""
        if os.getpid() != self.pid or self.thread is None or not self.thread.is_alive():
            return False
        return True

    def store(self, obj: object, event: Event | None = None) -> int:
        """store an object and (optionally) event for zero-copy"""
        if self._stay_down:
            raise RuntimeError("zmq gc requested during shutdown")
        with self._lock:
            if not self.is_alive():
                self.start()
            key = id(obj)
            self.refs[key] = gcref(obj, event)
        return key

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:  # pragma: no cover - at interpreter exit
            pass


gc: Final[GarbageCollector] = GarbageCollector()
