"""Proxy devices: a device whose traffic is also copied to a monitor socket."""

from __future__ import annotations

from typing import Any

import zmqfast
from zmqfast.constants import PUB, QUEUE

from .basedevice import Device, ProcessDevice, ThreadDevice, _Endpoints


class ProxyBase:
    """Mixin: a third (monitor) socket that receives a copy of every message."""

    def __init__(self, in_type: int, out_type: int, mon_type: int = PUB) -> None:
        Device.__init__(self, QUEUE, in_type, out_type)  # type: ignore[arg-type]
        self.mon_type = mon_type
        self._mon = _Endpoints()

    def bind_mon(self, addr: str) -> None:
        self._mon.binds.append(addr)

    def connect_mon(self, addr: str) -> None:
        self._mon.connects.append(addr)

    def setsockopt_mon(self, opt: int, value: Any) -> None:
        self._mon.options.append((opt, value))

    def bind_mon_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        port: int = self._reserve_random_port(addr, *args, **kwargs)  # type: ignore[attr-defined]
        self.bind_mon(f"{addr}:{port}")
        return port

    def _setup_sockets(self) -> tuple[Any, ...]:
        ins, outs = Device._setup_sockets(self)  # type: ignore[arg-type]
        mons = self._socket(self._context, self.mon_type, self._mon)  # type: ignore[attr-defined]
        return ins, outs, mons

    def run_device(self) -> None:
        ins, outs, mons = self._setup_sockets()
        zmqfast.proxy(ins, outs, mons)


class Proxy(ProxyBase, Device):
    """A proxy in the foreground."""


class ThreadProxy(ProxyBase, ThreadDevice):
    """A proxy in a thread."""


class ProcessProxy(ProxyBase, ProcessDevice):
    """A proxy in a child process."""
