"""Steerable proxy devices: a control socket takes PAUSE, RESUME, TERMINATE and STATISTICS."""

from __future__ import annotations

from typing import Any

import zmqfast
from zmqfast.constants import PUB

from .basedevice import Device, ProcessDevice, ThreadDevice, _Endpoints
from .proxydevice import ProxyBase


class ProxySteerableBase(ProxyBase):
    """Mixin: the control socket of zmqfast.proxy_steerable."""

    def __init__(self, in_type: int, out_type: int, mon_type: int = PUB,
                 ctrl_type: int | None = None) -> None:
        super().__init__(in_type, out_type, mon_type)
        if ctrl_type is None:
            raise TypeError("ctrl_type must be a socket type")
        self.ctrl_type = ctrl_type
        self._ctrl = _Endpoints()

    def bind_ctrl(self, addr: str) -> None:
        self._ctrl.binds.append(addr)

    def connect_ctrl(self, addr: str) -> None:
        self._ctrl.connects.append(addr)

    def setsockopt_ctrl(self, opt: int, value: Any) -> None:
        self._ctrl.options.append((opt, value))

    def bind_ctrl_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        port: int = self._reserve_random_port(addr, *args, **kwargs)  # type: ignore[attr-defined]
        self.bind_ctrl(f"{addr}:{port}")
        return port

    def _setup_sockets(self) -> tuple[Any, ...]:
        ins, outs, mons = super()._setup_sockets()
        ctrl = self._socket(self._context, self.ctrl_type, self._ctrl)  # type: ignore[attr-defined]
        return ins, outs, mons, ctrl

    def run_device(self) -> None:
        ins, outs, mons, ctrl = self._setup_sockets()
        zmqfast.proxy_steerable(ins, outs, mons, ctrl)


class ProxySteerable(ProxySteerableBase, Device):
    """A steerable proxy in the foreground."""


class ThreadProxySteerable(ProxySteerableBase, ThreadDevice):
    """A steerable proxy in a thread."""


class ProcessProxySteerable(ProxySteerableBase, ProcessDevice):
    """A steerable proxy in a child process."""
