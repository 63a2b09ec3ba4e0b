"""Steerable proxy devices, under pyzmq's module name (zmq.devices.proxysteerabledevice); the
classes live in zmqfast.devices.proxysteerable."""

from .proxysteerable import ProcessProxySteerable, ProxySteerable, ThreadProxySteerable

__all__ = ["ProxySteerable", "ThreadProxySteerable", "ProcessProxySteerable"]
