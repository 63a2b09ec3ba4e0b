"""ZAP authentication on an asyncio loop (pyzmq's ``zmq.auth.asyncio``)."""

from __future__ import annotations

import asyncio
from typing import Any

import zmqfast as zmq
import zmqfast.asyncio as zmq_asyncio

from .base import Authenticator

__all__ = ["AsyncioAuthenticator"]


class AsyncioAuthenticator(Authenticator):
    """ZAP authentication for use in the asyncio IO loop."""

    __poller: zmq_asyncio.Poller | None
    __task: Any

    def __init__(self, context: zmq.Context | None = None, loop: Any = None,
                 encoding: str = "utf-8", log: Any = None) -> None:
        super().__init__(context, encoding=encoding, log=log)
        if loop is not None:
            import warnings

            warnings.warn(f"{self.__class__.__name__}(loop) is deprecated and ignored",
                          DeprecationWarning, stacklevel=2)
        self.__poller = None
        self.__task = None

    async def __handle_zap(self) -> None:
        while self.__poller is not None:
            events = await self.__poller.poll()
            if self.zap_socket in dict(events):
                msg = self.zap_socket.recv_multipart()  # type: ignore[union-attr]
                await self.handle_zap_message(msg)

    def start(self) -> None:
        """Start ZAP authentication (needs a running loop)."""
        super().start()
        self.__poller = zmq_asyncio.Poller()
        self.__poller.register(self.zap_socket, zmq.POLLIN)  # type: ignore[arg-type]
        self.__task = asyncio.ensure_future(self.__handle_zap())

    def stop(self) -> None:
        """Stop ZAP authentication."""
        if self.__task:
            self.__task.cancel()
        if self.__poller:
            self.__poller.unregister(self.zap_socket)  # type: ignore[arg-type]
            self.__poller = None
        super().stop()
