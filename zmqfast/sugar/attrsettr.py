"""``zmq.sugar.attrsettr``: AttributeSetter, the mixin mapping option names to attributes."""

from __future__ import annotations

from typing import Any

from .._attrs import _declared
from ..constants import ContextOption, SocketOption

__all__ = ["AttributeSetter"]


class AttributeSetter:
    """Mixin: ``obj.linger = 0`` calls ``obj.set(LINGER, 0)`` and ``obj.linger`` calls
    ``obj.get(LINGER)``, for every name that is a socket or context option (any case)."""

    def _option(self, key: str) -> int | None:
        name = key.upper()
        for enum in (SocketOption, ContextOption):
            if name in enum.__members__:
                return int(enum[name])
        return None

    def __setattr__(self, key: str, value: Any) -> None:
        if _declared(self, key):
            object.__setattr__(self, key, value)
            return
        opt = self._option(key)
        if opt is None:
            raise AttributeError(f"{type(self).__name__} has no such option: {key.upper()}")
        self.set(opt, value)

    def __getattr__(self, key: str) -> Any:
        opt = None if key.startswith("_") else self._option(key)
        if opt is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")
        return self.get(opt)
