"""One phone cannot stop the fleet, and a phone's strings stay text: headless on both databases
and in the station UI."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from drivers.emulated.android.profile import load_profile
from tests.tui.helpers import until
from wipe_station.audit.log import Actor
from wipe_station.context import open_station
from wipe_station.db.models import Device
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.fleet_files import FleetProfile
from wipe_station.orchestrator.headless import run_fleet
from wipe_station.safe_text import visible
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.station import StationScreen

TECH = Actor("tech1", None, "technician")
# 10,000 characters (PostgreSQL's VARCHAR(100) used to raise), with markup, escapes and bidi.
HOSTILE_MODEL = "[@click=app.quit]Pixel [/b] 8\x1b]0;owned\x07\u202e" + "x" * 10_000


def _fleet() -> list[FleetProfile]:
    clean = load_profile("pixel-8-clean")
    return [
        FleetProfile("android", clean.with_overrides(model=HOSTILE_MODEL), Path("hostile.yaml")),
        FleetProfile("android", load_profile("samsung-s23-clean"), Path("clean.yaml")),
    ]


async def test_a_phone_with_a_10000_character_model_does_not_stop_the_others(
    home: Path, db_url: str
) -> None:
    ctx = open_station(home, db_url)
    try:
        _summary, views = await run_fleet(ctx, TECH, 2, profiles=_fleet())
        states = sorted(v.state for v in views)
        # Neither phone is left in "detected": the hostile one is clipped and erased like any
        # other (or, at worst, failed with a reason); the clean one is certified.
        assert "detected" not in states
        assert "certified" in states
        with ctx.session() as s:
            models = [d.model for d in s.exec(select(Device)).all()]
        assert all(len(m) <= 100 for m in models)
        assert any(m.startswith("[@click=app.quit]Pixel [/b] 8") for m in models)
    finally:
        ctx.engine.dispose()


async def test_the_station_ui_shows_a_hostile_model_as_text(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(
        ctx, demo_phones=2, operator_hint="demo-technician", demo_profiles=_fleet()
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"1234", "enter")
        await until(pilot, lambda: isinstance(app.screen, StationScreen))
        await until(
            pilot,
            lambda: (
                app.engine is not None
                and len(app.engine.phones) == 2
                and all(v.state != "detected" for v in app.engine.phones.values())
            ),
        )
        screen = app.screen
        assert isinstance(screen, StationScreen)
        table = screen.query_one("#phones")
        panes = []
        for row in range(2):
            table.move_cursor(row=row)
            await pilot.pause()
            panes.append(str(screen.query_one("#detail").render()))
        for pane in panes:
            assert "\x1b" not in pane and "\u202e" not in pane
        # The model is shown literally (its [@click=app.quit] did nothing: the app runs on).
        assert any(visible(HOSTILE_MODEL[:40]) in pane for pane in panes)
        assert app.is_running
        await pilot.press("ctrl+q")
