"""Which phones wait for the technician's go-ahead to erase, and giving it."""

from __future__ import annotations

import asyncio
from typing import Any


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
