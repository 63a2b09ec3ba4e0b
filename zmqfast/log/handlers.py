"""Publish Python logging records on a ZeroMQ PUB socket.

Each record goes out as a two-frame message ``[topic, text]``. The topic is
``<root_topic>.<LEVELNAME>[.<subtopic>]`` (the root part only when root_topic is set); a
message written as ``"sub.topic::the text"`` supplies the subtopic. Subscribers filter on the
topic prefix as usual::

    handler = PUBHandler("tcp://127.0.0.1:5555")     # or PUBHandler(existing_pub_socket)
    handler.root_topic = "myapp"
    logging.getLogger().addHandler(handler)

The handler also works from ``logging.config.dictConfig`` (``interface_or_socket``,
``context`` and ``root_topic`` are its keyword arguments).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import zmqfast as zmq

__all__ = ["PUBHandler", "TopicLogger", "TOPIC_DELIM"]

#: separates a subtopic from the text in a logged message ("sub.topic::text")
TOPIC_DELIM = "::"

_LOCATED = "%(levelname)s %(filename)s:%(lineno)d - %(message)s\n"


class PUBHandler(logging.Handler):
    """A logging.Handler that sends records through a PUB socket.

    ``interface_or_socket`` is either a socket (used as is; its context becomes ``ctx``) or an
    endpoint string, in which case a new PUB socket is made from ``context`` (a new Context
    if None) and bound there.

    Each level has its own formatter (``formatters[level]``); ``setFormatter(fmt)`` replaces
    all of them, ``setFormatter(fmt, level)`` just one.
    """

    formatters: dict[int, logging.Formatter | None]
    ctx: Any
    socket: Any

    def __init__(self, interface_or_socket: Any, context: Any = None,
                 root_topic: str = "") -> None:
        logging.Handler.__init__(self)
        self.root_topic = root_topic
        self.formatters = {
            logging.DEBUG: logging.Formatter(_LOCATED),
            logging.INFO: logging.Formatter("%(message)s\n"),
            logging.WARNING: logging.Formatter(_LOCATED),
            logging.ERROR: logging.Formatter(
                "%(levelname)s %(filename)s:%(lineno)d - %(message)s - %(exc_info)s\n"),
            logging.CRITICAL: logging.Formatter(_LOCATED),
        }
        if isinstance(interface_or_socket, (str, bytes)):
            if isinstance(interface_or_socket, bytes):
                interface_or_socket = interface_or_socket.decode("utf8")
            self.ctx = context or zmq.Context()
            self.socket = self.ctx.socket(zmq.PUB)
            self.socket.bind(interface_or_socket)
        else:
            self.socket = interface_or_socket
            self.ctx = interface_or_socket.context

    @property
    def root_topic(self) -> str:
        """Prefix of every topic this handler publishes ('' for none)."""
        return self._root_topic

    @root_topic.setter
    def root_topic(self, value: str | bytes) -> None:
        self.setRootTopic(value)

    def setRootTopic(self, root_topic: str | bytes) -> None:
        """Set the topic prefix (bytes are decoded as utf-8).

        With the default '' topics start with the level name, so subscribe to '' or to a
        level name; with a root topic, subscribe to (a prefix of) it.
        """
        if isinstance(root_topic, bytes):
            root_topic = root_topic.decode("utf8")
        self._root_topic = root_topic

    def setFormatter(self, fmt: logging.Formatter | None,
                     level: int = logging.NOTSET) -> None:
        """Use fmt for records of level, or for every level when level is NOTSET."""
        if level == logging.NOTSET:
            for lvl in list(self.formatters):
                self.formatters[lvl] = fmt
        else:
            self.formatters[level] = fmt

    def format(self, record: logging.LogRecord) -> str:
        """Format record with the formatter for its level."""
        fmt = self.formatters.get(record.levelno)
        if fmt is None:
            # a custom level, or one whose formatter was cleared: the handler default
            fmt = self.formatter or logging.Formatter("%(message)s\n")
        return fmt.format(record)

    def emit(self, record: logging.LogRecord) -> None:
        """Publish record as [topic, formatted text]."""
        subtopic = ""
        text = str(record.msg)
        if TOPIC_DELIM in text:
            subtopic, rest = text.split(TOPIC_DELIM, 1)
            record = copy.copy(record)  # leave the caller's record (seen by other handlers) alone
            record.msg = rest
        try:
            body = self.format(record).encode("utf8")
        except Exception:
            self.handleError(record)
            return
        parts = [self.root_topic] if self.root_topic else []
        parts.append(record.levelname)
        if subtopic:
            parts.append(subtopic)
        topic = ".".join(parts).encode("utf8", "replace")
        self.socket.send_multipart([topic, body])


class TopicLogger(logging.Logger):
    """A Logger whose methods take a topic before the message: ``log.info("db.query", "%d rows", n)``
    logs ``"db.query::<text>"``, which PUBHandler publishes under the subtopic ``db.query``.
    """

    def log(self, level: int, topic: str, msg: str, *args: Any,  # type: ignore[override]
            **kwargs: Any) -> None:
        """Log msg % args at level, under topic."""
        logging.Logger.log(self, level, f"{topic}{TOPIC_DELIM}{msg}", *args, **kwargs)


def _topic_method(name: str) -> Any:
    base = getattr(logging.Logger, name)

    def method(self: TopicLogger, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:
        # the frame of this wrapper should not count as the caller (for %(filename)s etc.)
        kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 1
        base(self, f"{topic}{TOPIC_DELIM}{msg}", *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"TopicLogger.{name}"
    method.__doc__ = f"Like Logger.{name}, with a topic before the message."
    return method


for _name in ("debug", "info", "warn", "warning", "error", "exception", "critical", "fatal"):
    if hasattr(logging.Logger, _name):
        setattr(TopicLogger, _name, _topic_method(_name))
del _name
