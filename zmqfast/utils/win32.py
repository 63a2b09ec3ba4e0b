"""allow_interrupt: let Ctrl-C interrupt a blocking poll on Windows; a no-op elsewhere."""

from __future__ import annotations

import os
from typing import Any, Callable

__all__ = ["allow_interrupt"]


class allow_interrupt:
    """Context manager that, on Windows, installs a console Ctrl-C handler calling ``action``
    (for example something that wakes up your poll loop), so KeyboardInterrupt is not held
    back until a blocking call returns. On other platforms it does nothing.

    ``action`` takes no arguments and must not raise.
    """

    def __init__(self, action: Callable[[], Any] | None = None) -> None:
        self._installed = False
        if os.name != "nt":
            return
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
        handler_type = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)  # type: ignore[attr-defined]
        setter = kernel32.SetConsoleCtrlHandler
        setter.argtypes = (handler_type, wintypes.BOOL)
        setter.restype = wintypes.BOOL
        self._set_handler = setter
        self.action = action if action is not None else (lambda: None)

        def on_ctrl(event: int) -> int:
            if event == 0:  # CTRL_C_EVENT
                self.action()
            # 0: let Python's own handler run too, so KeyboardInterrupt still happens
            return 0

        self.handle = handler_type(on_ctrl)

    def __enter__(self) -> None:
        if os.name != "nt":
            return
        if not self._set_handler(self.handle, 1):
            raise OSError("SetConsoleCtrlHandler failed")
        self._installed = True

    def __exit__(self, *args: Any) -> None:
        if os.name != "nt" or not self._installed:
            return
        self._installed = False
        if not self._set_handler(self.handle, 0):
            raise OSError("SetConsoleCtrlHandler failed")
