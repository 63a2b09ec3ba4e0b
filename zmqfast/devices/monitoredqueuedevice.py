"""MonitoredQueue devices: monitored_queue over sockets the device makes."""

from __future__ import annotations

from zmqfast.constants import PUB

from .basedevice import Device, ProcessDevice, ThreadDevice
from .monitoredqueue import monitored_queue
from .proxydevice import ProxyBase


class MonitoredQueueBase(ProxyBase):
    """Mixin: run monitored_queue with the monitor socket's prefixes."""

    def __init__(self, in_type: int, out_type: int, mon_type: int = PUB, in_prefix: bytes = b"in",
                 out_prefix: bytes = b"out") -> None:
        super().__init__(in_type, out_type, mon_type)
        self._in_prefix = in_prefix
        self._out_prefix = out_prefix

    def run_device(self) -> None:
        ins, outs, mons = self._setup_sockets()
        monitored_queue(ins, outs, mons, self._in_prefix, self._out_prefix)


class MonitoredQueue(MonitoredQueueBase, Device):
    """A monitored queue in the foreground."""


class ThreadMonitoredQueue(MonitoredQueueBase, ThreadDevice):
    """A monitored queue in a thread."""


class ProcessMonitoredQueue(MonitoredQueueBase, ProcessDevice):
    """A monitored queue in a child process."""
