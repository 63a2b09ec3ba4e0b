"""Backend selection, as pyzmq's zmq.backend.select.

pyzmq picks between two bindings to libzmq (Cython, cffi). zmqfast has one backend, its own
Cython binding to its own C engine (zmqfast._core): ``select_backend`` accepts the names that
mean it ("zmqfast.backend", "zmqfast.backend.cython", pyzmq's "zmq.backend.cython", or just
"cython") and raises ImportError for the cffi backend, which zmqfast does not have.
"""

from __future__ import annotations

from typing import Any

__all__ = ["public_api", "select_backend"]

public_api = [
    "Context",
    "Socket",
    "Frame",
    "Message",
    "proxy",
    "proxy_steerable",
    "zmq_poll",
    "strerror",
    "zmq_errno",
    "has",
    "curve_keypair",
    "curve_public",
    "zmq_version_info",
    "IPC_PATH_MAX_LEN",
    "PYZMQ_DRAFT_API",
]

_THE_BACKEND = ("zmqfast.backend", "zmqfast.backend.cython", "zmq.backend", "zmq.backend.cython",
                "cython")
_CFFI = ("zmqfast.backend.cffi", "zmq.backend.cffi", "cffi")

NO_CFFI = ("zmqfast has a single backend, its own Cython binding to its C engine "
           "(zmqfast.backend, also importable as zmqfast.backend.cython); there is no cffi backend")


def select_backend(name: str) -> dict[str, Any]:
    """The namespace of backend name: its public_api names, plus monitored_queue.

    Only zmqfast's one backend can be selected; the cffi backend raises ImportError."""
    if name in _CFFI:
        raise ImportError(NO_CFFI)
    if name not in _THE_BACKEND:
        raise ImportError(f"no backend named {name!r}: {NO_CFFI}")
    from .. import backend
    from ..devices.monitoredqueue import monitored_queue

    ns: dict[str, Any] = {"monitored_queue": monitored_queue}
    ns.update({key: getattr(backend, key) for key in public_api})
    return ns
