"""Decorators that hand a function a fresh Context or Socket and close it when it returns.

::

    from zmqfast.decorators import context, socket

    @context()
    @socket(zmq.PUSH)
    def work(ctx, push):
        ...

The object goes in as the last positional argument, or as a keyword argument when a name is
given (``@socket("push", zmq.PUSH)`` or ``@socket(zmq.PUSH, name="push")``). Other decorator
arguments go to ``Context(...)`` / ``ctx.socket(...)``. ``@socket`` takes its context from the
call: a keyword argument called ``context`` (or ``context_name=...``), else the first Context
among the positional arguments, else ``Context.instance()``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

__all__ = ("context", "socket")

F = TypeVar("F", bound=Callable[..., Any])


def _split_name(args: tuple[Any, ...], kwargs: dict[str, Any]
                ) -> tuple[str | None, tuple[Any, ...], dict[str, Any]]:
    """Take the keyword name for the injected object out of the decorator's arguments."""
    kwargs = dict(kwargs)
    name = kwargs.get("name")
    if isinstance(name, str):
        del kwargs["name"]
        return name, args, kwargs
    if args and isinstance(args[0], str):
        return args[0], args[1:], kwargs
    return None, args, kwargs


def _inject(func: Callable[..., Any], name: str | None,
            factory: Callable[[tuple[Any, ...], dict[str, Any]], Any],
            args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    with factory(args, kwargs) as obj:
        if name is None:
            return func(*args, obj, **kwargs)
        if name in kwargs:
            raise TypeError(f"{func.__name__}() got multiple values for argument '{name}'")
        kwargs[name] = obj
        return func(*args, **kwargs)


def context(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Decorator: call the function with a new Context, destroyed when it returns.

    ``name`` (a keyword, or a leading str argument) passes the context as that keyword
    argument; the remaining arguments are given to ``Context(...)``.
    """
    from . import Context

    name, ctx_args, ctx_kwargs = _split_name(args, kwargs)

    def factory(call_args: tuple[Any, ...], call_kwargs: dict[str, Any]) -> Any:
        return Context(*ctx_args, **ctx_kwargs)

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*a: Any, **kw: Any) -> Any:
            return _inject(func, name, factory, a, kw)

        return wrapper  # type: ignore[return-value]

    return decorate


def socket(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Decorator: call the function with a new socket, closed when it returns.

    ``@socket(zmq.PUSH)``; ``name`` (a keyword, or a leading str argument) passes it as that
    keyword argument; ``context_name`` (default "context") names the keyword argument to take
    the Context from. Remaining arguments are given to ``ctx.socket(...)``.
    """
    from . import Context

    name, sock_args, sock_kwargs = _split_name(args, kwargs)
    context_name = sock_kwargs.pop("context_name", "context")

    def factory(call_args: tuple[Any, ...], call_kwargs: dict[str, Any]) -> Any:
        ctx = call_kwargs.get(context_name)
        if not isinstance(ctx, Context):
            ctx = next((a for a in call_args if isinstance(a, Context)), None)
        if ctx is None:
            ctx = Context.instance()
        return ctx.socket(*sock_args, **sock_kwargs)

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*a: Any, **kw: Any) -> Any:
            return _inject(func, name, factory, a, kw)

        return wrapper  # type: ignore[return-value]

    return decorate
