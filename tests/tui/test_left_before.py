"""A phone handed over once comes back to the bench: the UI says where it went, and an admin
releases it only with a reason (audited as a commitment), after which it may be erased again."""

from __future__ import annotations

from pathlib import Path

from wipe_station import batches
from wipe_station.audit.log import Actor
from wipe_station.context import open_station
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.prompt import TextPrompt

from .helpers import events, sign_in, states, until


async def test_release_of_a_returned_phone_needs_a_reason(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    boss = Actor("boss", None, "admin")
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-admin")
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready"])
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await until(pilot, lambda: states(app) == ["certified"], seconds=60)
        (handle,) = list(app._fleet.android.phones())
        code = batches.create_batch(ctx, boss, "Miljøretur AS").code
        batches.add_phone(ctx, boss, code, handle.serial)
        batches.close_batch(ctx, boss, code)
        batches.hand_over(ctx, boss, code, "Ola Mottaker")
        handle.technician.unplug()
        await pilot.pause(0.5)
        handle.technician.plug_in()
        await until(pilot, lambda: states(app) == ["quarantined"], seconds=30)
        (view,) = app.engine.phones.values()  # type: ignore[union-attr]
        assert f"handed over in {code} on " in view.progress
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"customer sent it back for repair", "enter")
        await until(pilot, lambda: states(app) == ["detected"])
    [(event, _)] = events(ctx, batches.REPEAT_RELEASED)
    assert event.operator == "demo-admin" and "repair" not in event.payload
    ctx.close()
