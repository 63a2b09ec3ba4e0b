"""Worker processes: one per module, so each process imports only the module under test.

The main process never imports zmq or zmqfast. A ``Worker`` is a spawned process that imports
its module once, says hello (version, file, features), then runs case functions on request
and sends back their value. Every request has a timeout: a worker that hangs is killed, and
one that reports an error exits afterwards, so a broken module never leaves state behind for
the next repeat; the next request starts a fresh worker.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from . import cases

MP = cases.MP
HELLO_TIMEOUT_S = 60.0

OK, UNSUPPORTED, FAILED = "ok", "unsupported", "failed"


@dataclass
class Outcome:
    """The result of one repeat: ``value`` when status is OK, else ``reason``."""

    status: str
    value: object = None
    reason: str = ""


def _worker_main(modname: str, conn) -> None:
    """Entry of a worker process: import the module, then serve ("run", func, params) requests."""
    try:
        mod = cases.load(modname)
    except BaseException as e:
        conn.send(("import_error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("hello", _module_info(mod)))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request[0] == "quit":
            return
        _, func_name, params = request
        try:
            value = cases.CASE_FUNCS[func_name](modname, **params)
        except BaseException as e:
            if isinstance(e, cases.Unsupported):
                conn.send((UNSUPPORTED, str(e)))
            else:
                conn.send((UNSUPPORTED if _is_unsupported(e) else FAILED, f"{type(e).__name__}: {e}"))
            os._exit(0)  # a fresh worker for the next request: nothing left half-closed
        conn.send((OK, value))


def _is_unsupported(e: BaseException) -> bool:
    """A missing feature rather than a wrong result: ENOTSUP, NotImplementedError, Unsupported."""
    return (isinstance(e, (cases.Unsupported, NotImplementedError))
            or getattr(e, "errno", None) == errno.ENOTSUP)


def _module_info(mod) -> dict:
    def call(name):
        f = getattr(mod, name, None)
        try:
            return str(f()) if callable(f) else None
        except Exception:
            return None

    socket_cls = getattr(mod, "Socket", None)
    return {
        "version": str(getattr(mod, "__version__", "?")),
        "libzmq": call("zmq_version"),
        "file": getattr(mod, "__file__", None),
        "has_try_recv": hasattr(socket_cls, "try_recv"),
    }


class Worker:
    """A long-lived process for one module; ``run`` executes one repeat of one case."""

    def __init__(self, modname: str, label: str):
        self.modname = modname
        self.label = label
        self.proc = None
        self.conn = None
        self.info: dict = {}
        self.import_error = ""

    def start(self) -> bool:
        """Start the process and wait for its hello; False if the module fails to import."""
        self.conn, child = MP.Pipe()
        self.proc = MP.Process(target=_worker_main, args=(self.modname, child),
                               name=f"bench-{self.label}")
        self.proc.start()
        child.close()
        if not self.conn.poll(HELLO_TIMEOUT_S):
            self.stop()
            self.import_error = f"no hello within {HELLO_TIMEOUT_S:.0f}s"
            return False
        try:
            tag, payload = self.conn.recv()
        except EOFError:
            self._reap()
            self.import_error = f"worker died on import (exit code {self.proc.exitcode})"
            return False
        if tag != "hello":
            self._reap()
            self.import_error = payload
            return False
        self.info = payload
        return True

    def run(self, case: cases.Case, params: dict, timeout: float) -> Outcome:
        """One repeat of ``case`` with ``params``; never raises for the module's failures."""
        if self.proc is None or not self.proc.is_alive():
            if not self.start():
                return Outcome(FAILED, reason=f"worker restart failed: {self.import_error}")
        self.conn.send(("run", case.func.__name__, params))
        if not self.conn.poll(timeout):
            self.stop()
            return Outcome(FAILED, reason=f"timed out after {timeout:.0f}s (worker killed)")
        try:
            status, payload = self.conn.recv()
        except EOFError:
            self._reap()
            return Outcome(FAILED, reason=f"worker process died (exit code {self.proc.exitcode})")
        if status != OK:
            self._reap()  # it exits after an error
            return Outcome(status, reason=payload)
        return Outcome(OK, value=payload)

    def stop(self) -> None:
        """Ask the worker to quit; terminate, then kill, if it does not."""
        if self.proc is None:
            return
        if self.proc.is_alive():
            try:
                self.conn.send(("quit",))
            except (OSError, ValueError):
                pass
            self.proc.join(3)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(3)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(3)
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(3)
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_case(case: cases.Case, workers: list[Worker], repeats: int, timeout: float | None = None,
             calibrate: bool = True) -> tuple[dict[str, list[Outcome]], dict[str, int]]:
    """Run ``case`` on every worker: outcomes of the timed repeats, and the count each used.

    With ``calibrate``, one untimed run per module first (a warm-up, checked like any other)
    sets that module's count (``Case.calibrated_count``). Then ``repeats`` rounds, alternating
    A B A B; a module whose run fails stops repeating.
    """
    timeout = timeout or case.timeout
    outcomes: dict[str, list[Outcome]] = {w.label: [] for w in workers}
    counts = {w.label: case.params.get("count", 0) for w in workers}
    if calibrate and case.seconds(1.0, 1) is not None:
        for w in workers:
            first = w.run(case, case.params, timeout)
            if first.status == OK:
                counts[w.label] = case.calibrated_count(first.value)
            else:
                outcomes[w.label].append(first)
    for _ in range(repeats):
        for w in workers:
            done = outcomes[w.label]
            if done and done[-1].status != OK:
                continue
            params = {**case.params, "count": counts[w.label]} if counts[w.label] else case.params
            done.append(w.run(case, params, timeout))
    return outcomes, counts
