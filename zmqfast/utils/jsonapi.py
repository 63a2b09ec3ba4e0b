"""JSON helpers with pyzmq's zmq.utils.jsonapi interface: dumps returns bytes."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps", "loads"]

# pyzmq's name for the json module it uses (the standard library's)
jsonmod = json


def dumps(o: Any, **kwargs: Any) -> bytes:
    """Serialize o to JSON bytes (utf-8, no ASCII escaping unless asked)."""
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(o, **kwargs).encode("utf8")


def loads(s: bytes | str, **kwargs: Any) -> Any:
    """Deserialize JSON bytes or str."""
    if isinstance(s, bytes):
        s = s.decode("utf8")
    return json.loads(s, **kwargs)
