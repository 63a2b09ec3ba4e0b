"""The workloads.

Each case function takes the name of the module under test (``"zmqfast"``, ``"zmq"``, ...) and
its parameters, imports that module, runs one repeat and returns a number: msgs/s for
throughput, µs for latency, ns per call for per-call cost. ``req_rep`` returns a dict
``{"p50": µs, "p99": µs}`` since both come from the same run.

Case functions run inside a worker process that has imported only the module under test
(``bench.runner``). Peers run in a thread of that worker for inproc (inproc needs one
context) and in a spawned process for ipc and tcp; a peer process imports only the module
named by the string it is given.

Every socket gets the same settings on every module: SNDHWM/RCVHWM, LINGER, RCVTIMEO/SNDTIMEO
(so a hang becomes an error, not a stall), one I/O thread, no socket buffer options. The
worker always binds (``tcp://127.0.0.1:*``, an ipc path in a ``tempfile.mkdtemp()`` dir, or a
unique inproc name) and reads ``LAST_ENDPOINT``; peers connect.

Errors: ``CountError`` (wrong message count or size) and ``PeerError`` (a peer crashed, hung
or failed) are correctness failures; ``Unsupported`` means the module lacks an optional
feature (e.g. ``try_recv``).
"""

from __future__ import annotations

import importlib
import itertools
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

HWM = 100_000  # SNDHWM and RCVHWM for every socket, except:
PUBSUB_HWM = 1_000_000  # PUB/SUB: more than any count, so no message may be dropped
PERCALL_HWM = 3_100_000  # per-call cases: more than any count, so send(DONTWAIT) never fails
LINGER_MS = 1000  # LINGER for every socket
TIMEOUT_MS = 10_000  # RCVTIMEO and SNDTIMEO: a stalled transfer fails after this
PEER_WAIT_S = 30.0  # how long either side waits for the other's control message
PEER_DEADLINE_S = 50.0  # a peer process hard-exits after this, whatever it is doing
EXTRA_WAIT_MS = 10  # after the last expected message: any further one is a count error

HELLO = b"HELLO"  # PUB/SUB: published until every subscriber has seen it
END = b"END"  # PUB/SUB: after the last counted message
STOP = b"STOP"  # REQ/REP: the REP peer echoes it and exits

MP = multiprocessing.get_context("spawn")
_inproc_ids = itertools.count()


class BenchError(Exception):
    """A correctness failure: makes ``python -m bench`` exit non-zero."""


class CountError(BenchError):
    """The receiver did not get exactly what was sent."""


class PeerError(BenchError):
    """A peer thread or process failed, crashed or hung."""


class Unsupported(Exception):
    """The module lacks an optional feature this case needs."""


# --------------------------------------------------------------------------- the harness


def load(modname: str):
    """Import the module under test by name."""
    return importlib.import_module(modname)


def make_socket(zmq, ctx, kind, hwm: int = HWM):
    """A socket with the settings every module gets."""
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.SNDHWM, hwm)
    sock.setsockopt(zmq.RCVHWM, hwm)
    sock.setsockopt(zmq.LINGER, LINGER_MS)
    sock.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    sock.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    return sock


class Harness:
    """One repeat's context, sockets, peers and temp dirs.

    On a clean exit it closes the sockets and terminates the context. On an error it kills
    peer processes and leaves the context alone (terminating it could hang on a broken
    module); the worker process exits after reporting the error, so nothing leaks.
    """

    def __init__(self, modname: str):
        self.modname = modname
        self.zmq = load(modname)
        self.ctx = self.zmq.Context(io_threads=1)
        self.sockets: list = []
        self.peers: list[Peer] = []
        self.dirs: list[str] = []

    def __enter__(self) -> "Harness":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                for sock in self.sockets:
                    sock.close()
                self.ctx.term()
            else:
                for peer in self.peers:
                    peer.abort()
        finally:
            for d in self.dirs:
                shutil.rmtree(d, ignore_errors=True)

    def socket(self, kind, hwm: int = HWM):
        sock = make_socket(self.zmq, self.ctx, kind, hwm)
        self.sockets.append(sock)
        return sock

    def bind(self, sock, transport: str) -> str:
        """Bind to a fresh endpoint of ``transport``; returns the endpoint peers connect to."""
        if transport == "inproc":
            addr = f"inproc://bench-{os.getpid()}-{next(_inproc_ids)}"
        elif transport == "ipc":
            d = tempfile.mkdtemp(prefix="zmqbench-")
            self.dirs.append(d)
            addr = f"ipc://{d}/s"
        elif transport == "tcp":
            addr = "tcp://127.0.0.1:*"
        else:
            raise ValueError(f"unknown transport {transport!r}")
        sock.bind(addr)
        endpoint = sock.getsockopt(self.zmq.LAST_ENDPOINT)
        return endpoint.decode() if isinstance(endpoint, bytes) else endpoint

    def peer(self, role: Callable, transport: str, endpoint: str, **params) -> "Peer":
        """Start ``role`` in a thread (inproc) or a spawned process (ipc, tcp)."""
        p = Peer(role, self, transport, endpoint, params)
        self.peers.append(p)
        return p


class Peer:
    """The other end of a workload, with a control pipe.

    ``role(zmq, ctx, endpoint, params, conn)`` runs in a thread sharing the harness context
    (inproc) or in a spawned process that imports only the module under test (ipc, tcp). It
    may exchange messages over ``conn``; its return value arrives as ``("ok", result)``, an
    exception as ``("error", text)``.
    """

    def __init__(self, role, harness: Harness, transport: str, endpoint: str, params: dict,
                 deadline: float = PEER_DEADLINE_S, prepare: Callable | None = None):
        """``deadline`` and ``prepare`` (a module-level function the process calls first, e.g.
        to raise a limit) apply to a peer process only."""
        self.name = role.__name__.replace("_role_", "") + " peer"
        self.conn, child = MP.Pipe()
        self.pending: list[tuple] = []  # control messages read early by check()
        self.proc = self.thread = None
        if transport == "inproc":
            args = (role, harness.zmq, harness.ctx, endpoint, params, child)
            self.thread = threading.Thread(target=_peer_thread, args=args, daemon=True)
            self.thread.start()
        else:
            args = (role, harness.modname, endpoint, params, child, deadline, prepare)
            self.proc = MP.Process(target=_peer_process, args=args, daemon=True)
            self.proc.start()
            child.close()

    def send(self, *msg) -> None:
        self.conn.send(msg)

    def ready(self) -> bool:
        """Whether a control message is waiting."""
        return self.conn.poll()

    def expect(self, tag: str, timeout: float = PEER_WAIT_S) -> tuple:
        """The next control message, which must be tagged ``tag``."""
        msg = self.pending.pop(0) if self.pending else self._recv(timeout, tag)
        if msg[0] != tag:
            raise PeerError(f"{self.name}: expected {tag!r}, got {msg[0]!r}")
        return msg

    def check(self) -> None:
        """Raise PeerError if the peer has reported an error or its process died."""
        while self.conn.poll():
            self.pending.append(self._recv(0, "anything"))
        if self.proc is not None and self.proc.exitcode not in (None, 0):
            raise PeerError(f"{self.name} died (exit code {self.proc.exitcode})")

    def _recv(self, timeout: float, tag: str) -> tuple:
        """A control message; PeerError on silence, death or a reported error."""
        if not self.conn.poll(timeout):
            raise PeerError(f"{self.name}: no {tag!r} within {timeout:.0f}s")
        try:
            msg = self.conn.recv()
        except EOFError:
            raise PeerError(f"{self.name} died{self._exit_note()}") from None
        if msg[0] == "error":
            raise PeerError(f"{self.name}: {msg[1]}")
        return msg

    def finish(self) -> dict:
        """Wait for the result and for a clean exit (exit code 0)."""
        result = self.expect("ok")[1]
        worker = self.proc or self.thread
        worker.join(PEER_WAIT_S)
        if worker.is_alive():
            raise PeerError(f"{self.name} did not exit")
        if self.proc is not None and self.proc.exitcode != 0:
            raise PeerError(f"{self.name} exited with code {self.proc.exitcode}")
        return result

    def abort(self) -> None:
        """Kill a peer process (a peer thread ends with the worker process)."""
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(2)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(2)

    def _exit_note(self) -> str:
        if self.proc is None:
            return ""
        self.proc.join(2)
        return f" (exit code {self.proc.exitcode})"


def _peer_thread(role, zmq, ctx, endpoint, params, conn) -> None:
    try:
        conn.send(("ok", role(zmq, ctx, endpoint, params, conn)))
    except BaseException as e:  # report everything; the thread is a daemon
        conn.send(("error", f"{type(e).__name__}: {e}"))


def _peer_process(role, modname, endpoint, params, conn, deadline=PEER_DEADLINE_S,
                  prepare=None) -> None:
    """Entry of a peer process: a watchdog that ends it after ``deadline`` s, ``prepare()`` if
    given, the module under test, the role, a clean exit."""
    watchdog = threading.Timer(deadline, os._exit, args=(124,))
    watchdog.daemon = True
    watchdog.start()
    try:
        if prepare is not None:
            prepare()
        zmq = load(modname)
        ctx = zmq.Context(io_threads=1)
        result = role(zmq, ctx, endpoint, params, conn)
        ctx.term()
        conn.send(("ok", result))
    except BaseException as e:
        try:
            conn.send(("error", f"{type(e).__name__}: {e}"))
        finally:
            os._exit(1)  # skip context teardown: it could hang on a broken module


def _wait_for(conn, tag: str) -> None:
    """In a peer: wait for the worker's control message ``tag``."""
    if not conn.poll(PEER_WAIT_S):
        raise PeerError(f"no {tag!r} from the worker within {PEER_WAIT_S:.0f}s")
    msg = conn.recv()
    if msg[0] != tag:
        raise PeerError(f"expected {tag!r} from the worker, got {msg[0]!r}")


# --------------------------------------------------------------------------- peer roles


def _role_push(zmq, ctx, endpoint, p, conn) -> dict:
    """Send one warm-up message, wait for "go", send ``count`` messages, wait for "done".

    Reports ("sent", count, t0) with t0 = ``time.monotonic()`` just before the first counted
    send: the monotonic clock is system-wide, so the receiver can time from it.
    """
    sock = make_socket(zmq, ctx, zmq.PUSH)
    if p.get("curve"):
        _curve_client(zmq, sock, p["curve"])
    sock.connect(endpoint)
    size, count, parts = p["size"], p["count"], p["parts"]
    if parts > 1:
        send, payload = sock.send_multipart, [b"x" * size] * parts
    else:
        send, payload = sock.send, b"x" * size
    send(payload)  # warm-up: the connection is up once the receiver has it
    _wait_for(conn, "go")
    sent = 0
    t0 = time.monotonic()
    try:
        for sent in range(count):
            send(payload)
        sent = count
    except zmq.Again:
        raise PeerError(f"PUSH: send blocked {TIMEOUT_MS // 1000}s after {sent} messages") from None
    conn.send(("sent", sent, t0))
    _wait_for(conn, "done")
    sock.close()
    return {"sent": sent}


def _role_rep(zmq, ctx, endpoint, p, conn) -> dict:
    """Echo every request until STOP (echoed too)."""
    sock = make_socket(zmq, ctx, zmq.REP)
    sock.connect(endpoint)
    recv, send = sock.recv, sock.send
    served = 0
    try:
        while True:
            msg = recv()
            send(msg)
            served += 1
            if msg == STOP:
                break
    except zmq.Again:
        raise PeerError(f"REP: nothing for {TIMEOUT_MS // 1000}s after {served} requests") from None
    sock.close()
    return {"served": served}


def _role_sub(zmq, ctx, endpoint, p, conn) -> dict:
    """Skip HELLOs (announcing the first), then count messages until END, noting END's time."""
    sock = make_socket(zmq, ctx, zmq.SUB, PUBSUB_HWM)
    sock.setsockopt(zmq.SUBSCRIBE, b"")
    sock.connect(endpoint)
    recv = sock.recv
    count = 0
    last = b""
    try:
        msg = recv()
        if msg == HELLO:
            conn.send(("ready",))
            while msg == HELLO:
                msg = recv()
        while msg != END:
            last = msg
            count += 1
            msg = recv()
        end = time.monotonic()
    except zmq.Again:
        raise PeerError(f"SUB: nothing for {TIMEOUT_MS // 1000}s after {count} messages") from None
    sock.close()
    return {"count": count, "end": end, "last_size": len(last)}


def _curve_server(zmq, sock) -> dict:
    """Make ``sock`` a CURVE server with fresh keys; returns what a client needs (picklable)."""
    server_public, server_secret = zmq.curve_keypair()
    client_public, client_secret = zmq.curve_keypair()
    sock.setsockopt(zmq.CURVE_SERVER, 1)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, server_public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, server_secret)
    return {"server": server_public, "public": client_public, "secret": client_secret}


def _curve_client(zmq, sock, keys: dict) -> None:
    sock.setsockopt(zmq.CURVE_SERVERKEY, keys["server"])
    sock.setsockopt(zmq.CURVE_PUBLICKEY, keys["public"])
    sock.setsockopt(zmq.CURVE_SECRETKEY, keys["secret"])


def _role_curve_clients(zmq, ctx, endpoint, p, conn) -> dict:
    """After "go": ``count`` new CURVE DEALER sockets, each connecting, sending one message,
    waiting for the echo and closing; up to CURVE_WINDOW of them in flight at a time, so the
    server always has handshakes to do but the listen backlog never overflows."""
    _wait_for(conn, "go")
    pending: list = []
    for _ in range(p["count"]):
        if len(pending) >= CURVE_WINDOW:
            _curve_client_done(pending.pop(0))
        sock = make_socket(zmq, ctx, zmq.DEALER)
        _curve_client(zmq, sock, p["curve"])
        sock.connect(endpoint)
        sock.send(b"x")
        pending.append(sock)
    for sock in pending:
        _curve_client_done(sock)
    return {"sent": p["count"]}


def _curve_client_done(sock) -> None:
    sock.recv()
    sock.close(0)


# --------------------------------------------------------------------------- workloads


def push_pull(modname: str, transport: str, size: int, count: int, parts: int = 1,
              curve: bool = False) -> float:
    """PUSH to PULL throughput in msgs/s, from the sender's first send to the last receive.

    After one warm-up message (so connecting is not timed) the sender notes the time and
    sends; the receiver notes the time of the last message. Timing from the sender keeps a
    sender that runs ahead into a deep queue from being credited with the receiver's drain rate.

    Also covers send_multipart/recv_multipart (``parts`` > 1). Checks that exactly ``count``
    messages arrive (and ``parts`` x ``count`` frames) and that the last one has the right
    size and frame count.

    ``curve``: the PULL is a CURVE server and the PUSH its client (every frame boxed).
    """
    with Harness(modname) as h:
        zmq = h.zmq
        pull = h.socket(zmq.PULL)
        keys = _curve_server(zmq, pull) if curve else None
        endpoint = h.bind(pull, transport)
        peer = h.peer(_role_push, transport, endpoint, size=size, count=count, parts=parts,
                      curve=keys)
        recv = pull.recv_multipart if parts > 1 else pull.recv
        try:
            recv()  # the warm-up message
        except zmq.Again:
            peer.check()
            raise CountError(f"no message within {TIMEOUT_MS // 1000}s") from None
        peer.send("go")
        received = frames = 0
        try:
            if parts == 1:
                for received in range(count):  # `received` messages are in hand
                    msg = recv()
            else:  # also count frames: a lost or extra frame keeps the message count
                for received in range(count):
                    msg = recv()
                    frames += len(msg)
            t1 = time.monotonic()
            received = count
        except zmq.Again:
            peer.check()  # a crashed sender is a crash, not a count error
            raise CountError(f"received {received} of {count}, then nothing for "
                             f"{TIMEOUT_MS // 1000}s") from None
        _check_last(msg, size, parts)
        if parts > 1 and frames != parts * count:
            raise CountError(f"received {frames} frames in {count} messages, expected {parts * count}")
        _, sent, t0 = peer.expect("sent")
        if sent != count:
            raise CountError(f"sender sent {sent}, expected {count}")
        if pull.poll(EXTRA_WAIT_MS):
            raise CountError(f"received more than the {count} messages sent")
        peer.send("done")
        peer.finish()
    return count / (t1 - t0)


def _check_last(msg, size: int, parts: int) -> None:
    if parts > 1:
        sizes = [len(f) for f in msg]
        if sizes != [size] * parts:
            raise CountError(f"last message has frames of {sizes} bytes, expected {parts} x {size}")
    elif len(msg) != size:
        raise CountError(f"last message has {len(msg)} bytes, expected {size}")


def curve_handshakes(modname: str, count: int, cpu: bool = False) -> float:
    """CURVE handshakes against one server: a peer process opens ``count`` client sockets (each
    connects, sends one message, waits for its echo, closes) to one bound CURVE ROUTER.

    Returns handshakes per second (from "go" to the last echo sent), or with ``cpu`` the server
    process's CPU time per handshake in µs (all its threads: time.process_time), which is what a
    server pays for every client that connects.
    """
    with Harness(modname) as h:
        zmq = h.zmq
        router = h.socket(zmq.ROUTER)
        keys = _curve_server(zmq, router)
        endpoint = h.bind(router, "tcp")
        peer = h.peer(_role_curve_clients, "tcp", endpoint, count=count, curve=keys)
        recv, send = router.recv_multipart, router.send_multipart
        cpu0, t0 = time.process_time(), time.monotonic()
        peer.send("go")
        received = 0
        try:
            for received in range(count):
                send(recv())
            received = count
        except zmq.Again:
            peer.check()
            raise CountError(f"received {received} of {count} handshakes' messages, then nothing "
                             f"for {TIMEOUT_MS // 1000}s") from None
        t1, cpu1 = time.monotonic(), time.process_time()
        peer.finish()
        if router.poll(EXTRA_WAIT_MS):
            raise CountError(f"received more than the {count} messages sent")
    return (cpu1 - cpu0) / count * 1e6 if cpu else count / (t1 - t0)


def req_rep(modname: str, transport: str, size: int, count: int, warmup: int = 100) -> dict:
    """REQ/REP round-trip latency: ``{"p50": µs, "p99": µs}`` over ``count`` round trips."""
    with Harness(modname) as h:
        zmq = h.zmq
        req = h.socket(zmq.REQ)
        endpoint = h.bind(req, transport)
        peer = h.peer(_role_rep, transport, endpoint)
        send, recv, clock = req.send, req.recv, time.perf_counter_ns
        msg = b"x" * size
        samples = [0] * count
        done = 0
        try:
            for _ in range(warmup):  # the first send also waits for the peer to connect
                send(msg)
                recv()
            for done in range(count):
                t = clock()
                send(msg)
                reply = recv()
                samples[done] = clock() - t
                if len(reply) != size:
                    raise CountError(f"reply of {len(reply)} bytes, expected {size}")
            send(STOP)
            recv()
        except zmq.Again:
            peer.check()
            raise CountError(f"no reply within {TIMEOUT_MS // 1000}s after {done} round trips") from None
        served = peer.finish()["served"]
        if served != warmup + count + 1:
            raise CountError(f"REP served {served} requests, expected {warmup + count + 1}")
    samples.sort()
    return {"p50": samples[count // 2] / 1e3, "p99": samples[min(count - 1, count * 99 // 100)] / 1e3}


def pub_sub(modname: str, subscribers: int, size: int, count: int, transport: str = "tcp") -> float:
    """PUB to SUB throughput in msgs/s per subscriber (the slowest one).

    Slow joiners: HELLO is published every millisecond until each subscriber reports it has
    seen one; only then are the ``count`` messages published, followed by END. ``count`` is
    below the HWM, so nothing may be dropped: each subscriber must count exactly ``count``.
    Timed from the first publish to the slowest subscriber's END (system-wide monotonic clock).
    """
    with Harness(modname) as h:
        zmq = h.zmq
        pub = h.socket(zmq.PUB, PUBSUB_HWM)
        endpoint = h.bind(pub, transport)
        peers = [h.peer(_role_sub, transport, endpoint) for _ in range(subscribers)]
        waiting = list(peers)
        deadline = time.monotonic() + PEER_WAIT_S
        while waiting:
            pub.send(HELLO)
            for p in [p for p in waiting if p.ready()]:
                p.expect("ready")
                waiting.remove(p)
            if time.monotonic() > deadline:
                raise PeerError(f"{len(waiting)} subscriber(s) never saw HELLO")
            time.sleep(0.001)
        msg = b"D" * size
        send = pub.send
        t0 = time.monotonic()
        for _ in range(count):
            send(msg)
        send(END)
        results = [p.finish() for p in peers]
    for i, r in enumerate(results):
        if r["count"] != count:
            raise CountError(f"subscriber {i} got {r['count']} of {count}")
        if r["last_size"] != size:
            raise CountError(f"subscriber {i}: last message has {r['last_size']} bytes, expected {size}")
    return count / (max(r["end"] for r in results) - t0)


def _inproc_pair(h: Harness, hwm: int):
    """A bound PULL and a connected PUSH over inproc."""
    zmq = h.zmq
    pull = h.socket(zmq.PULL, hwm)
    push = h.socket(zmq.PUSH, hwm)
    push.connect(h.bind(pull, "inproc"))
    return push, pull


def _drain(zmq, pull, count: int) -> None:
    """Receive exactly ``count`` 16-byte messages; fail on fewer, more or wrong sizes."""
    recv = pull.recv
    n = 0
    try:
        for n in range(count):
            msg = recv()
    except zmq.Again:
        raise CountError(f"drained {n} of {count}") from None
    if count and len(msg) != 16:
        raise CountError(f"message of {len(msg)} bytes, expected 16")
    if pull.poll(0):
        raise CountError(f"more than {count} messages queued")


def percall_send(modname: str, count: int, warmup: int = 1000) -> float:
    """ns per ``send(16 B, DONTWAIT)`` over inproc; HWM above ``count`` so it never blocks."""
    with Harness(modname) as h:
        zmq = h.zmq
        push, pull = _inproc_pair(h, PERCALL_HWM)
        send, msg, flags = push.send, b"x" * 16, zmq.DONTWAIT
        for _ in range(warmup):
            send(msg, flags)
        _drain(zmq, pull, warmup)
        clock = time.perf_counter_ns
        try:
            t0 = clock()
            for _ in range(count):
                send(msg, flags)
            t1 = clock()
        except zmq.Again:
            raise BenchError(f"send(DONTWAIT) raised Again below the HWM ({PERCALL_HWM})") from None
        _drain(zmq, pull, count)
    return (t1 - t0) / count


def percall_recv(modname: str, count: int, warmup: int = 1000) -> float:
    """ns per ``recv()`` of a pre-queued 16 B message over inproc."""
    with Harness(modname) as h:
        zmq = h.zmq
        push, pull = _inproc_pair(h, PERCALL_HWM)
        send, msg, flags = push.send, b"x" * 16, zmq.DONTWAIT
        for _ in range(warmup + count):
            send(msg, flags)
        recv = pull.recv
        for _ in range(warmup):
            recv()
        clock = time.perf_counter_ns
        n = 0
        try:
            t0 = clock()
            for n in range(count):
                last = recv()
            t1 = clock()
        except zmq.Again:
            raise CountError(f"received {n} of {count} pre-queued messages") from None
        if len(last) != 16 or pull.poll(0):
            raise CountError("wrong size or extra messages after the pre-queued ones")
    return (t1 - t0) / count


def percall_recv_empty(modname: str, count: int) -> float:
    """ns per ``recv(DONTWAIT)`` on an empty socket, catching ``Again``."""
    with Harness(modname) as h:
        zmq = h.zmq
        _push, pull = _inproc_pair(h, PERCALL_HWM)
        recv, flags, again = pull.recv, zmq.DONTWAIT, zmq.Again
        got = 0
        clock = time.perf_counter_ns
        t0 = clock()
        for _ in range(count):
            try:
                recv(flags)
                got += 1
            except again:
                pass
        t1 = clock()
        if got:
            raise CountError(f"recv on an empty socket returned {got} messages")
    return (t1 - t0) / count


def percall_try_recv(modname: str, count: int) -> float:
    """ns per ``try_recv()`` on an empty socket (zmqfast's non-raising recv)."""
    with Harness(modname) as h:
        _push, pull = _inproc_pair(h, PERCALL_HWM)
        if not hasattr(pull, "try_recv"):
            raise Unsupported("no Socket.try_recv()")
        try_recv = pull.try_recv
        got = 0
        clock = time.perf_counter_ns
        t0 = clock()
        for _ in range(count):
            if try_recv() is not None:
                got += 1
        t1 = clock()
        if got:
            raise CountError(f"try_recv on an empty socket returned {got} messages")
    return (t1 - t0) / count


def percall_poll0(modname: str, count: int) -> float:
    """ns per ``Poller.poll(0)`` with one (empty) socket registered."""
    with Harness(modname) as h:
        zmq = h.zmq
        _push, pull = _inproc_pair(h, PERCALL_HWM)
        poller = zmq.Poller()
        poller.register(pull, zmq.POLLIN)
        poll = poller.poll
        events = 0
        clock = time.perf_counter_ns
        t0 = clock()
        for _ in range(count):
            if poll(0):
                events += 1
        t1 = clock()
        if events:
            raise CountError(f"poll(0) on an empty socket reported events {events} times")
    return (t1 - t0) / count


# --------------------------------------------------------------------------- the cases


TARGET_S = 0.2  # a calibrated repeat lasts about this long
MAX_SCALE = 100  # calibration multiplies a case's base count by at most this
MAX_BYTES = 4 << 30  # ... and keeps count x message size under this (4 GiB per repeat)
SHORT_S = 0.05  # a repeat shorter than this is timer-limited: marked "~" in the table


@dataclass(frozen=True)
class Case:
    """One row (or, with ``metrics``, several rows) of the table.

    ``params["count"]`` is the base count (messages or calls per repeat), sized so pyzmq takes
    ~0.1-0.5 s. Unless calibration is off, one untimed run per module (also a warm-up) measures
    it and scales the count up, if the module is faster, so its repeats last ~TARGET_S too:
    the rate compared is then measured over a similar time window for every module.
    """

    name: str  # e.g. "push_pull/tcp/64B"; --cases matches substrings of it
    func: Callable
    params: dict = field(default_factory=dict)
    unit: str = "msg/s"  # "msg/s" (higher is better), "µs" or "ns" (lower is better)
    metrics: tuple = ()  # names of the values when func returns a dict
    bytes_per_msg: int = 0  # > 0: also report MB/s
    quick: bool = False  # part of --quick
    timeout: float = 60.0  # seconds for one repeat, process start-up included
    max_count: int = 0  # > 0: calibration never goes above this count
    compare_with: str = ""  # for modules lacking this case: compare with their row of this case

    @property
    def higher_is_better(self) -> bool:
        return self.unit == "msg/s"

    def seconds(self, value: float, count: int) -> float | None:
        """How long a repeat with this result took (None for latency cases)."""
        if self.unit == "msg/s":
            return count / value if value > 0 else None
        if self.unit == "ns":
            return value * count / 1e9
        return None

    def calibrated_count(self, value: float) -> int:
        """The count that makes a repeat last ~TARGET_S, given one run's value at the base count."""
        base = self.params["count"]
        took = self.seconds(value, base)
        if not took or took >= TARGET_S:
            return base
        n = base * min(TARGET_S / took, MAX_SCALE)
        if self.bytes_per_msg:
            n = min(n, MAX_BYTES / self.bytes_per_msg)
        if self.max_count:
            n = min(n, self.max_count)
        return max(base, int(float(f"{n:.2g}")))


SIZES = [16, 64, 1024, 64 * 1024, 1024 * 1024]
# Messages per repeat, scaled so a repeat takes ~0.1-0.5 s with pyzmq on a 2-core machine.
# Inproc is slower for small messages (both ends share one GIL) and faster for large ones.
THROUGHPUT_COUNTS = {  # size: (inproc, ipc, tcp)
    16: (150_000, 300_000, 300_000),
    64: (150_000, 250_000, 250_000),
    1024: (100_000, 100_000, 100_000),
    64 * 1024: (10_000, 6_000, 5_000),
    1024 * 1024: (800, 400, 300),
}
TRANSPORTS = ("inproc", "ipc", "tcp")
MULTIPART_COUNTS = {"inproc": 40_000, "tcp": 60_000}  # 3 x 64 B messages per repeat
LATENCY_COUNT = 5_000  # round trips per REQ/REP repeat
PUBSUB_COUNT = 200_000  # per PUB/SUB repeat; well below PUBSUB_HWM, so no drop is allowed
PUBSUB_MAX_COUNT = 600_000  # calibration cap: stays below PUBSUB_HWM
CURVE_COUNTS = {64: 100_000, 1024 * 1024: 200}  # CURVE PUSH/PULL over tcp, messages per repeat
CURVE_HANDSHAKES = 300  # client connections per handshake repeat
CURVE_WINDOW = 8  # client connections in flight at a time
PERCALL_COUNTS = {"send": 300_000, "recv": 300_000, "recv_empty": 100_000,
                  "try_recv": 300_000, "poll0": 200_000}
PERCALL_MAX_QUEUED = PERCALL_HWM - 100_000  # calibration cap for send and recv, which queue every message


def size_name(size: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"


def all_cases() -> list[Case]:
    """Every case, in the order they run."""
    cases = []
    for i, transport in enumerate(TRANSPORTS):
        for size in SIZES:
            cases.append(Case(
                f"push_pull/{transport}/{size_name(size)}", push_pull,
                dict(transport=transport, size=size, count=THROUGHPUT_COUNTS[size][i]),
                bytes_per_msg=size,
                quick=transport in ("inproc", "tcp") and size in (64, 64 * 1024)))
    for transport in TRANSPORTS:
        for size in (16, 1024):
            cases.append(Case(
                f"req_rep/{transport}/{size_name(size)}", req_rep,
                dict(transport=transport, size=size, count=LATENCY_COUNT),
                unit="µs", metrics=("p50", "p99"),
                quick=transport == "tcp" and size == 16))
    for subs in (1, 4):
        cases.append(Case(
            f"pub_sub/tcp/64B/{subs}sub", pub_sub,
            dict(subscribers=subs, size=64, count=PUBSUB_COUNT),
            bytes_per_msg=64, timeout=90.0, max_count=PUBSUB_MAX_COUNT))
    for transport in ("inproc", "tcp"):
        cases.append(Case(
            f"multipart/{transport}/3x64B", push_pull,
            dict(transport=transport, size=64, count=MULTIPART_COUNTS[transport], parts=3),
            bytes_per_msg=3 * 64, quick=transport == "inproc"))
    # CURVE: every frame boxed (libsodium on both sides), and the cost of a handshake
    for size, count in ((64, CURVE_COUNTS[64]), (1024 * 1024, CURVE_COUNTS[1024 * 1024])):
        cases.append(Case(
            f"curve/push_pull/tcp/{size_name(size)}", push_pull,
            dict(transport="tcp", size=size, count=count, curve=True), bytes_per_msg=size))
    cases.append(Case("curve/handshakes/tcp", curve_handshakes, dict(count=CURVE_HANDSHAKES),
                      max_count=CURVE_HANDSHAKES * 4))
    cases.append(Case("curve/handshake_cpu/tcp", curve_handshakes,
                      dict(count=CURVE_HANDSHAKES, cpu=True), unit="µs"))
    for name, func in (("send", percall_send), ("recv", percall_recv),
                       ("recv_empty", percall_recv_empty), ("try_recv", percall_try_recv),
                       ("poll0", percall_poll0)):
        cases.append(Case(
            f"percall/{name}", func, dict(count=PERCALL_COUNTS[name]), unit="ns", quick=True,
            max_count=PERCALL_MAX_QUEUED if name in ("send", "recv") else 0,
            compare_with="percall/recv_empty" if name == "try_recv" else ""))
    cases += scale_pubsub.scale_cases()  # not quick: only a full run or --cases scale/
    scale_router.register(cases)  # not quick either
    scale_iothreads.register(cases)  # IO_THREADS 1 and 2: not quick either
    return cases


CASE_FUNCS = {f.__name__: f for f in (push_pull, req_rep, pub_sub, percall_send, percall_recv,
                                      percall_recv_empty, percall_try_recv, percall_poll0,
                                      curve_handshakes)}

# Scale cases (issue 16), in their own modules (which use this one's harness and add their
# functions to CASE_FUNCS): never in --quick, `--cases scale/` selects them.
from . import scale_pubsub  # noqa: E402
from . import scale_router  # noqa: E402
from . import scale_iothreads  # noqa: E402
