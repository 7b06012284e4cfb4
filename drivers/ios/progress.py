"""What the technician is told while the driver works (shown verbatim by the station UI)."""

from __future__ import annotations

import inspect

from drivers.contract import Progress

TAP_TRUST = "Tap Trust on the phone and enter its passcode"
UNLOCK_FIRST = "Unlock the phone with its passcode, then tap Trust"
ERASING = "Erasing the iPhone: it restarts by itself. Keep it connected"
WAITING = "Waiting for the iPhone to restart after the erase"
RETURNED = "The iPhone is back; checking the erase"


async def say(progress: Progress | None, message: str) -> None:
    if progress is None:
        return
    result = progress(message)
    if inspect.isawaitable(result):
        await result
