"""gevent, or a clear ImportError: zmqfast.green is for gevent programs."""

try:
    import gevent  # noqa: F401
    from gevent.event import Event
    from gevent.hub import get_hub
except ImportError as e:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "zmqfast.green makes sockets cooperate with gevent, which is not installed "
        "(pip install gevent); without gevent use zmqfast itself"
    ) from e

__all__ = ["Event", "get_hub"]
