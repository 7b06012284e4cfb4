"""A guided reset in the station UI: the phone waits until the technician says what its screen
shows; Cancel records nothing, the answer is audited under their name and decides the outcome."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button

from wipe_station.context import open_station
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.fleet_files import load_fleet
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.screen_check import ScreenCheck
from wipe_station.tui.screens.station import StationScreen

from .helpers import events, sign_in, states, until


async def test_technician_confirms_the_welcome_screen(
    home: Path, sqlite_url: str, tmp_path: Path
) -> None:
    profile = tmp_path / "locked.yaml"
    # A PIN nobody knows: Test Harness refuses, so the reset goes through recovery.
    profile.write_text("extends: pixel-7-locked\n", encoding="utf-8")
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(
        ctx, demo_phones=1, operator_hint="demo-technician", demo_profiles=load_fleet([profile])
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: isinstance(app.screen, StationScreen))
        await until(pilot, lambda: states(app) == ["ready"])
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await until(pilot, lambda: states(app) == ["confirm"], seconds=60)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, ScreenCheck))
        assert app.screen.focused is app.screen.query_one("#cancel", Button)
        await pilot.press("enter")  # a stray Enter lands on Cancel: nothing is recorded
        await until(pilot, lambda: isinstance(app.screen, StationScreen))
        assert states(app) == ["confirm"]
        assert events(ctx, "erasure.attested") == []
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, ScreenCheck))
        await pilot.click("#welcome")
        await until(pilot, lambda: states(app) == ["certified"], seconds=60)
    [(event, payload)] = events(ctx, "erasure.attested")
    assert event.operator == "demo-technician" and payload["screen"] == "welcome"
    ctx.close()
