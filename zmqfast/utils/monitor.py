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
    """Receive one monitor message from a monitor socket and decode it."""
    return parse_monitor_message(socket.recv_multipart(flags))
