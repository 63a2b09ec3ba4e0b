"""ZAP authentication in a background thread (pyzmq's ``zmq.auth.thread``)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import zmqfast as zmq

from .base import Authenticator

__all__ = ["ThreadAuthenticator", "AuthenticationThread"]


class AuthenticationThread(threading.Thread):
    """The thread that answers ZAP requests for a ThreadAuthenticator until told TERMINATE on
    its pipe."""

    def __init__(self, authenticator: Authenticator, pipe: zmq.Socket) -> None:
        super().__init__(daemon=True)
        self.authenticator = authenticator
        self.log = authenticator.log
        self.pipe = pipe
        self.started = threading.Event()

    def run(self) -> None:
        """Serve the ZAP socket and the control pipe with a blocking Poller. handle_zap_message
        is a coroutine (CURVE callbacks may be async), run on this thread's own loop."""
        loop = asyncio.new_event_loop()
        poller = zmq.Poller()
        zap = self.authenticator.zap_socket
        poller.register(self.pipe, zmq.POLLIN)
        poller.register(zap, zmq.POLLIN)  # type: ignore[arg-type]
        self.started.set()
        try:
            while True:
                try:
                    events = dict(poller.poll())
                except zmq.ContextTerminated:
                    return
                if self.pipe in events:
                    if self._handle_pipe_message(self.pipe.recv_multipart()):
                        return
                if zap in events:
                    loop.run_until_complete(self.authenticator.handle_zap_message(zap.recv_multipart()))  # type: ignore[union-attr]
        finally:
            self.pipe.close()
            loop.close()

    def _handle_pipe_message(self, msg: list[bytes]) -> bool:
        command = msg[0]
        self.log.debug("auth received API command %r", command)
        if command == b"TERMINATE":
            return True
        self.log.error("Invalid auth command from API: %r", command)
        self.pipe.send(b"ERROR")
        return False


class ThreadAuthenticator(Authenticator):
    """Run ZAP authentication in a background thread."""

    pipe: zmq.Socket | None
    pipe_endpoint: str = ""
    thread: AuthenticationThread | None

    def __init__(self, context: zmq.Context | None = None, encoding: str = "utf-8",
                 log: Any = None) -> None:
        super().__init__(context=context, encoding=encoding, log=log)
        self.pipe = None
        self.pipe_endpoint = f"inproc://{id(self)}.inproc"
        self.thread = None

    def start(self) -> None:
        """Start the authentication thread."""
        super().start()
        self.pipe = self.context.socket(zmq.PAIR, socket_class=zmq.Socket)
        self.pipe.linger = 1
        self.pipe.bind(self.pipe_endpoint)
        thread_pipe = self.context.socket(zmq.PAIR, socket_class=zmq.Socket)
        thread_pipe.linger = 1
        thread_pipe.connect(self.pipe_endpoint)
        self.thread = AuthenticationThread(self, thread_pipe)
        self.thread.start()
        if not self.thread.started.wait(timeout=10):
            raise RuntimeError("Authenticator thread failed to start")

    def stop(self) -> None:
        """Stop the authentication thread."""
        if self.pipe:
            self.pipe.send(b"TERMINATE")
            if self.is_alive():
                self.thread.join()  # type: ignore[union-attr]
            self.thread = None
            self.pipe.close()
            self.pipe = None
        super().stop()

    def is_alive(self) -> bool:
        """Is the ZAP thread currently running?"""
        return bool(self.thread and self.thread.is_alive())

    def __del__(self) -> None:
        self.stop()
