"""The command palette reaches the station's actions, only those the operator may use."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.command import CommandPalette

from tests.tui.helpers import sign_in, until
from wipe_station.context import open_station
from wipe_station.db.models import Operator
from wipe_station.operators import add_operator
from wipe_station.orchestrator.demo_home import DEMO_ADMIN, demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.commands import StationCommands
from wipe_station.tui.screens.certificates import CertificatesScreen


async def _titles(app: WipeStationApp) -> list[str]:
    provider = StationCommands(app.screen)
    return [hit.text async for hit in provider.discover()]  # type: ignore[misc]


async def test_palette_lists_role_actions_and_runs_them(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        titles = await _titles(app)
        assert "Erase all ready phones" in titles and "Certificates: list and print again" in titles
        assert "Recycling batches" not in titles  # a technician's footer has no batches either
        # Typed into the real palette: "certif" finds the certificates view and opens it.
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"certificates", "enter")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))
    ctx.engine.dispose()


async def test_auditor_palette_has_no_changing_actions(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    with ctx.session() as s:
        admin = s.exec(select(Operator).where(Operator.name == DEMO_ADMIN)).one()
    add_operator(ctx, "aud", "auditor", "5678", by=admin)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="aud")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "5678")
        titles = await _titles(app)
        assert titles and not [t for t in titles if t.startswith(("Erase", "Quarantine"))]
        assert "Sign out" in titles
    ctx.engine.dispose()


async def test_ctrl_c_says_how_to_quit_in_plain_words(home: Path, sqlite_url: str) -> None:
    """Ctrl+C does not quit (it copies in an input); the hint names the quit key as text,
    not as Textual's `[b]…[/b]` markup, which this app's notifications show as typed."""
    from tests.tui.helpers import notified

    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: notified(app, "to quit the app"))
        assert notified(app, "Press ctrl+q to quit the app")
        assert not notified(app, "[b]")
    ctx.engine.dispose()
