"""What may be set as a plain attribute on a Context or Socket (the rest are options)."""

from __future__ import annotations

from typing import Any


def _declared(obj: Any, key: str) -> bool:
    """Whether key may be set as a plain attribute, as pyzmq allows: private names, names the
    instance has already, and names a class of it defines or annotates (a subclass's
    ``custom_attr: int``). Anything else that is not an option raises AttributeError."""
    if key.startswith("_") or key in obj.__dict__:
        return True
    return any(key in vars(cls) or key in vars(cls).get("__annotations__", {})
               for cls in type(obj).__mro__)
