"""Which phones wait for the technician's go-ahead to erase, and giving it."""

from __future__ import annotations

import asyncio


class Approvals:
    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[bool]] = {}

    async def wait(self, key: str) -> bool:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[key] = fut
        try:
            return await fut
        finally:
            self._waiting.pop(key, None)

    def ready(self) -> list[str]:
        return sorted(k for k, f in self._waiting.items() if not f.done())

    def approve(self, keys: list[str]) -> int:
        done = 0
        for key in keys:
            fut = self._waiting.get(key)
            if fut is not None and not fut.done():
                fut.set_result(True)
                done += 1
        return done
