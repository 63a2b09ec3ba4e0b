"""Typing helpers shared by the modules (as pyzmq's zmq._typing)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 10):
    from typing import TypeAlias
else:  # pragma: no cover - Python 3.9
    try:
        from typing_extensions import TypeAlias
    except ImportError:
        TypeAlias = type  # type: ignore[assignment,misc]
