"""Devices: run a proxy (or a monitored queue) over sockets it makes itself, in the foreground,
a thread or a process, as pyzmq's zmq.devices does."""

from .basedevice import Device, ProcessDevice, ThreadDevice
from .monitoredqueue import monitored_queue
from .monitoredqueuedevice import MonitoredQueue, ProcessMonitoredQueue, ThreadMonitoredQueue
from .proxydevice import ProcessProxy, Proxy, ThreadProxy
from .proxysteerable import ProcessProxySteerable, ProxySteerable, ThreadProxySteerable

__all__ = [
    "Device", "ThreadDevice", "ProcessDevice",
    "Proxy", "ThreadProxy", "ProcessProxy",
    "ProxySteerable", "ThreadProxySteerable", "ProcessProxySteerable",
    "monitored_queue", "MonitoredQueue", "ThreadMonitoredQueue", "ProcessMonitoredQueue",
]
