"""The app's logistics actions: batches with scanner input, and assigning unmatched phones.

Each action checks the role in the core (``authorize``, audited on refusal) and does its work
in a thread; the screens only show what came back.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from wipe_station import batches, intake
from wipe_station.errors import StationError
from wipe_station.operators import actor_of
from wipe_station.printing import print_dir
from wipe_station.roles import Permission
from wipe_station.tui.messages import PhoneChanged
from wipe_station.tui.screens.batches import BatchesScreen
from wipe_station.tui.screens.prompt import TextPrompt

if TYPE_CHECKING:
    from wipe_station.tui.app import WipeStationApp


class LogisticsActions:
    """Mixed into WipeStationApp."""

    def _batch_actor(self: WipeStationApp) -> Any:
        if not self._allowed(Permission.MANAGE_BATCHES):
            return None
        assert self.operator is not None
        return actor_of(self.operator)

    # -- the batches screen ------------------------------------------------------------------
    def show_batches(self: WipeStationApp) -> None:
        if self._batch_actor() is not None:
            self.run_worker(self._show_batches(), exclusive=True, group="batches")

    async def _show_batches(self: WipeStationApp) -> None:
        done, rows = await self._in_thread(batches.list_batches, self.ctx)
        if done and self.operator is not None:
            await self.push_screen(BatchesScreen(rows))

    async def _reload_batches(self: WipeStationApp, select: str | None = None) -> None:
        done, rows = await self._in_thread(batches.list_batches, self.ctx)
        screen = self.screen
        if done and isinstance(screen, BatchesScreen):
            screen.load(rows, select)

    def new_batch(self: WipeStationApp) -> None:
        actor = self._batch_actor()
        if actor is None:
            return

        def named(recycler: str | None) -> None:
            if recycler:
                self.run_worker(self._new_batch(actor, recycler), group="batches")

        self.push_screen(
            TextPrompt("New recycling batch", "Which recycler receives it?", "recycler"), named
        )

    async def _new_batch(self: WipeStationApp, actor: Any, recycler: str) -> None:
        done, batch = await self._in_thread(batches.create_batch, self.ctx, actor, recycler)
        if done:
            self.notify(f"batch {batch.code} created for {recycler}")
            await self._reload_batches(batch.code)

    def batch_scan(self: WipeStationApp, code: str, ident: str) -> None:
        actor = self._batch_actor()
        if actor is not None:
            self.run_worker(self._batch_scan(actor, code, ident), group="batches")

    async def _batch_scan(self: WipeStationApp, actor: Any, code: str, ident: str) -> None:
        try:
            dev = await asyncio.to_thread(batches.add_phone, self.ctx, actor, code, ident)
        except StationError as exc:
            message, ok = str(exc), False
        else:
            message, ok = f"{dev.manufacturer} {dev.model} {dev.serial}".strip(), True
        screen = self.screen
        if isinstance(screen, BatchesScreen):
            screen.scanned(ident, message, ok=ok)
        await self._reload_batches(code)

    def close_batch(self: WipeStationApp, code: str) -> None:
        actor = self._batch_actor()
        if actor is not None:
            self.run_worker(self._close_batch(actor, code), group="batches")

    async def _close_batch(self: WipeStationApp, actor: Any, code: str) -> None:
        done, _ = await self._in_thread(batches.close_batch, self.ctx, actor, code)
        if done:
            self.notify(f"batch {code} closed")
            await self._reload_batches(code)

    def hand_over_batch(self: WipeStationApp, code: str) -> None:
        actor = self._batch_actor()
        if actor is None:
            return

        def received(name: str | None) -> None:
            if name:
                self.run_worker(self._hand_over(actor, code, name), group="batches")

        self.push_screen(
            TextPrompt(f"Hand over {code}", "Who at the recycler received it?", "name"),
            received,
        )

    async def _hand_over(self: WipeStationApp, actor: Any, code: str, name: str) -> None:
        done, _ = await self._in_thread(batches.hand_over, self.ctx, actor, code, name)
        if done:
            self.notify(f"batch {code} handed over; it is frozen now")
            await self._reload_batches(code)

    def print_manifest(self: WipeStationApp, code: str) -> None:
        actor = self._batch_actor()
        if actor is not None:
            self.run_worker(self._print_manifest(actor, code), group="print")

    async def _print_manifest(self: WipeStationApp, actor: Any, code: str) -> None:
        folder = print_dir(self.ctx.home)
        done, path = await self._in_thread(batches.write_manifest, self.ctx, actor, code, folder)
        if done:
            self.notify(f"manifest of {code} written to {path}")

    # -- phones no return list announced -----------------------------------------------------
    def assign_customer(self: WipeStationApp, serial: str) -> None:
        if not self._allowed(Permission.IMPORT_INTAKE):
            return
        assert self.operator is not None
        actor = actor_of(self.operator)

        def given(org: str | None) -> None:
            if org:
                self.run_worker(self._assign(actor, serial, org), group="intake")

        self.push_screen(
            TextPrompt(
                f"Assign {serial}",
                "No return list announced this phone. Which customer (organisation number)?",
                "organisation number",
                max_length=20,
            ),
            given,
        )

    async def _assign(self: WipeStationApp, actor: Any, serial: str, org: str) -> None:
        done, _ = await self._in_thread(lambda: intake.assign(self.ctx, actor, serial, org=org))
        if not done:
            return
        self.notify(f"{serial} assigned to customer {org}")
        if self.engine is not None:
            for view in self.engine.phones.values():
                if view.facts is not None and view.facts.serial == serial:
                    view.announced = True
                    self.post_message(PhoneChanged(view))
