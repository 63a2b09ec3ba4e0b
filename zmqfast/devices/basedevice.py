"""Device: two sockets it makes, configures and joins with zmqfast.device."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any, Callable

import zmqfast
from zmqfast.constants import QUEUE


class _Endpoints:
    """What to do to one socket before it runs: options, binds, connects (in that order)."""

    def __init__(self) -> None:
        self.options: list[tuple[int, Any]] = []
        self.binds: list[str] = []
        self.connects: list[str] = []

    def apply(self, sock: Any) -> None:
        for opt, value in self.options:
            sock.setsockopt(opt, value)
        for addr in self.binds:
            sock.bind(addr)
        for addr in self.connects:
            sock.connect(addr)


class Device:
    """A device in the foreground: ``Device(QUEUE, ROUTER, DEALER)``, configure with
    bind_in/connect_out/setsockopt_in..., then ``start()`` runs it until its context ends."""

    context_factory: Callable[[], Any] = zmqfast.Context.instance
    daemon = True

    def __init__(self, device_type: int = QUEUE, in_type: int | None = None,
                 out_type: int | None = None) -> None:
        self.device_type = device_type
        if in_type is None or out_type is None:
            raise TypeError("in_type and out_type must be socket types")
        self.in_type = in_type
        self.out_type = out_type
        self._in = _Endpoints()
        self._out = _Endpoints()
        self._sockets: list[Any] = []
        self.done = False

    # configuration, applied when the device runs (possibly in another thread or process)

    def bind_in(self, addr: str) -> None:
        self._in.binds.append(addr)

    def connect_in(self, addr: str) -> None:
        self._in.connects.append(addr)

    def setsockopt_in(self, opt: int, value: Any) -> None:
        self._in.options.append((opt, value))

    def bind_out(self, addr: str) -> None:
        self._out.binds.append(addr)

    def connect_out(self, addr: str) -> None:
        self._out.connects.append(addr)

    def setsockopt_out(self, opt: int, value: Any) -> None:
        self._out.options.append((opt, value))

    def _reserve_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        # The socket that will use the port does not exist yet: find a free one now, and not
        # one this device has taken already (its sockets bind when it starts).
        taken = self.__dict__.setdefault("_random_addrs", [])
        ctx = zmqfast.Context()
        try:
            with ctx.socket(zmqfast.PAIR) as probe:
                for _ in range(5):
                    port = probe.bind_to_random_port(addr, *args, **kwargs)
                    probe.unbind(f"{addr}:{port}")
                    if f"{addr}:{port}" not in taken:
                        taken.append(f"{addr}:{port}")
                        return port
        finally:
            ctx.term()
        raise zmqfast.ZMQBindError("Could not reserve random port.")

    def bind_in_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_in(f"{addr}:{port}")
        return port

    def bind_out_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_out(f"{addr}:{port}")
        return port

    # running

    def _socket(self, ctx: Any, socket_type: int, endpoints: _Endpoints) -> Any:
        sock = ctx.socket(socket_type)
        self._sockets.append(sock)
        endpoints.apply(sock)
        return sock

    def _setup_sockets(self) -> tuple[Any, ...]:
        ctx = self.context_factory()
        self._context = ctx
        ins = self._socket(ctx, self.in_type, self._in)
        if self.out_type < 0:
            # a single-socket device (out_type -1): what arrives goes back out of the same
            # socket (a REP echoes), so the "out" endpoints are the same socket's
            self._out.apply(ins)
            return ins, ins
        outs = self._socket(ctx, self.out_type, self._out)
        return ins, outs

    def run_device(self) -> None:
        ins, outs = self._setup_sockets()
        zmqfast.device(self.device_type, ins, outs)

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            if not sock.closed:
                sock.close(linger=0)
        self._sockets = []

    def run(self) -> None:
        """Run the device here, until its context is terminated."""
        try:
            self.run_device()
        except zmqfast.ContextTerminated:
            pass
        finally:
            self._close_sockets()
            self.done = True

    def start(self) -> None:
        """Run the device (in the foreground for Device itself)."""
        self.run()

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for: a foreground device has finished when start() returns."""


class BackgroundDevice(Device):
    """A device that runs in a launcher (a thread or a process)."""

    _launch_class: Any = None
    launcher: Any = None

    def start(self) -> None:
        self.launcher = self._launch_class(target=self.run)
        self.launcher.daemon = self.daemon
        self.launcher.start()

    def join(self, timeout: float | None = None) -> None:
        if self.launcher is not None:
            self.launcher.join(timeout=timeout)


class ThreadDevice(BackgroundDevice):
    """A device in a thread (sharing the process-wide context, so inproc works)."""

    _launch_class = threading.Thread


class ProcessDevice(BackgroundDevice):
    """A device in a child process, with a context of its own."""

    _launch_class = multiprocessing.Process
    context_factory = zmqfast.Context
