"""Which phones wait for the technician's go-ahead to erase, and giving it."""

from __future__ import annotations

import asyncio
from typing import Any

from drivers.contract import ScreenSeen


class Approvals:
    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[bool]] = {}
        self._by: dict[str, Any] = {}  # who gave the go-ahead, for the job's records

    async def wait(self, key: str) -> bool:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[key] = fut
        try:
            return await fut
        finally:
            self._waiting.pop(key, None)

    def ready(self) -> list[str]:
        return sorted(k for k, f in self._waiting.items() if not f.done())

    def approve(self, keys: list[str], by: Any = None) -> int:
        done = 0
        for key in keys:
            fut = self._waiting.get(key)
            if fut is not None and not fut.done():
                self._by[key] = by
                fut.set_result(True)
                done += 1
        return done

    def approved_by(self, key: str) -> Any:
        """Who approved ``key`` (once; None if nobody was named)."""
        return self._by.pop(key, None)


class Attestations:
    """Phones whose guided reset waits for the technician to say what the screen shows."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[str, asyncio.Future[tuple[ScreenSeen, Any]]]] = {}

    async def ask(self, key: str, question: str) -> tuple[ScreenSeen, Any]:
        """Wait for an answer for ``key``: (what the screen shows, who said so)."""
        fut: asyncio.Future[tuple[ScreenSeen, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = (question, fut)
        try:
            return await fut
        finally:
            self._waiting.pop(key, None)

    def question(self, key: str) -> str | None:
        entry = self._waiting.get(key)
        return entry[0] if entry is not None and not entry[1].done() else None

    def waiting(self) -> list[str]:
        return sorted(k for k, (_, f) in self._waiting.items() if not f.done())

    def answer(self, key: str, seen: ScreenSeen, by: Any) -> bool:
        entry = self._waiting.get(key)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result((seen, by))
        return True


class Decisions(Approvals):
    """Interrupted phones the station cannot judge, waiting for a technician to decide to erase
    them again (kept apart from the erase approvals: "erase all ready" never sweeps them)."""
