"""The station engine on its own event loop, in its own thread, beside the UI's.

With 64 phones the engine's loop runs TLS handshakes, plist parsing and hundreds of socket
calls a second; on the UI's loop every key press queued behind those steps (issue 19). Here the
UI's loop only draws and handles keys; the engine's steps run on this thread's loop. Python's
GIL still shares one core between them, but a key no longer waits for an engine step to end.

The rules that keep it safe: everything that touches the engine's asyncio objects (its tasks,
the futures in `Approvals` and `Attestations`) or changes a `PhoneView` runs on this loop
(`call`, `run`, `spawn`); the UI only reads views, and learns of changes through messages
(`Textual`'s ``post_message`` is thread-safe).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STOP_TIMEOUT_S = 30.0


class EngineThread:
    def __init__(self, name: str = "station-engine") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> EngineThread:
        self._thread.start()
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def spawn(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coro`` on the engine's loop; the future says how it ended."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` run on the engine's loop, from another loop (the UI's)."""
        return await asyncio.wrap_future(self.spawn(coro))

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the engine's loop (between its steps), awaited from the UI's."""

        async def on_engine_loop() -> T:
            return fn(*args)

        return await self.run(on_engine_loop())

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` on the engine's loop, without waiting for it."""
        self.loop.call_soon_threadsafe(fn, *args)

    async def stop(self) -> None:
        """Cancel what still runs on the engine's loop, then end the thread."""
        if not self.running:
            return

        async def cancel_all() -> None:
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            await asyncio.wait_for(self.run(cancel_all()), STOP_TIMEOUT_S)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            await asyncio.to_thread(self._thread.join, STOP_TIMEOUT_S)
