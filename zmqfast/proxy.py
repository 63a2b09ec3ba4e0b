"""proxy, proxy_steerable and device: the forwarding loop runs in the engine, GIL released."""

from __future__ import annotations

from typing import Any

from ._core import _proxy

__all__ = ["proxy", "proxy_steerable", "device"]


def proxy(frontend: Any, backend: Any, capture: Any = None) -> None:
    """Forward messages between frontend and backend (both ways), copying each to capture if
    given. Returns only by raising (ContextTerminated when the context ends)."""
    _proxy(frontend, backend, capture, None)


def proxy_steerable(frontend: Any, backend: Any, capture: Any = None, control: Any = None) -> None:
    """proxy() driven by a control socket: PAUSE, RESUME, TERMINATE (returns), STATISTICS
    (replies with 8 uint64 frames: frontend msgs in, bytes in, msgs out, bytes out, then the
    backend's)."""
    _proxy(frontend, backend, capture, control)


def device(device_type: int, frontend: Any, backend: Any) -> None:
    """The old name for proxy (QUEUE, FORWARDER and STREAMER all forward the same way)."""
    _proxy(frontend, backend, None, None)
