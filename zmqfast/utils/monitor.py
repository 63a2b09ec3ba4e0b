"""Reading socket monitor events (zmqfast.Socket.get_monitor_socket)."""

from __future__ import annotations

import struct
from typing import Any, TypedDict

from ..constants import Event

__all__ = ["parse_monitor_message", "recv_monitor_message"]


class _MonitorMessage(TypedDict):
    event: int
    value: int
    endpoint: bytes


def parse_monitor_message(msg: list[bytes]) -> _MonitorMessage:
    """Decode a two-frame monitor message: {'event', 'value', 'endpoint'}."""
    if len(msg) != 2 or len(msg[0]) != 6:
        raise RuntimeError(f"Invalid event message format: {msg}")
    event_id, value = struct.unpack("=hi", bytes(msg[0]))
    event: int = event_id
    try:
        event = Event(event_id)
    except ValueError:
        pass
    return {"event": event, "value": value, "endpoint": bytes(msg[1])}


def recv_monitor_message(socket: Any, flags: int = 0) -> _MonitorMessage:
    """Receive one monitor message from a monitor socket and decode it. On an asyncio socket
    the result is a Future of the decoded message, as on pyzmq."""
    msg = socket.recv_multipart(flags)
    if isinstance(msg, list):
        return parse_monitor_message(msg)
    from ..asyncio import _then  # an awaitable receive: decode when it is done

    return _then(msg, parse_monitor_message)  # type: ignore[return-value]
