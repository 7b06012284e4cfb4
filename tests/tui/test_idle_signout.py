"""Signing out: after a while without input, or by key; the erasures under way carry on.

The idle clock is replaced by one the test moves by hand, so "ten minutes without input" takes
no time and does not depend on how long the lab keeps the event loop busy.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest
from textual import events as ev

from drivers.emulated.android.profile import load_profile
from tests.tui.helpers import events, footer, sign_in, states, until
from wipe_station import settings
from wipe_station.context import open_station
from wipe_station.orchestrator import demo_fleet
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui import app as app_module
from wipe_station.tui import presenter
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen

LIMIT = 600.0  # the depot default, 10 minutes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(app_module, "idle_clock", fake)
    monkeypatch.setattr(WipeStationApp, "IDLE_POLL_S", 0.02)
    return fake


async def _idle(pilot, clock: Clock, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Let ``seconds`` pass on the idle clock, and the UI look at it a few times."""
    clock.now += seconds
    await pilot.pause(0.15)


def _mouse_move(app: WipeStationApp, x: int) -> None:
    # What the terminal driver posts (Pilot's mouse helpers go round App.on_event).
    app.post_message(ev.MouseMove(None, x, 5, 1, 0, 0, False, False, False, x, 5))


async def test_idle_operator_is_signed_out_while_the_erasure_goes_on(
    home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    # A lab phone that takes a second or two to erase and restart, so the erasure is still
    # under way when the operator is signed out.
    def slowish(name: str):  # type: ignore[no-untyped-def]
        prof = load_profile(name)
        return dataclasses.replace(prof, wipe_seconds=0.8, boot_seconds=0.8, technician_seconds=0)

    monkeypatch.setattr(demo_fleet, "load_profile", slowish)
    monkeypatch.setattr(
        demo_fleet, "DemoFleet", functools.partial(demo_fleet.DemoFleet, zero_delay=False)
    )
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician", idle_sign_out_s=LIMIT)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready"])
        # A key press or a mouse move starts the ten minutes again.
        await _idle(pilot, clock, LIMIT - 60)
        await pilot.press("down")
        await _idle(pilot, clock, LIMIT - 60)
        _mouse_move(app, 3)
        await pilot.pause()  # (the move is seen before the clock moves on)
        await _idle(pilot, clock, LIMIT - 60)
        assert isinstance(app.screen, StationScreen)
        assert events(ctx, "auth.signed_out") == []

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        engine, fleet = app.engine, app._fleet
        await _idle(pilot, clock, LIMIT - 1)
        assert isinstance(app.screen, StationScreen)  # not a second early
        await _idle(pilot, clock, 1)
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert app.operator is None
        assert states(app) != ["certified"]  # still erasing behind the sign-in screen
        await until(pilot, lambda: len(events(ctx, "auth.signed_out")) == 1)
        [(event, payload)] = events(ctx, "auth.signed_out")
        assert event.operator == "demo-technician"
        assert payload == {"reason": "idle", "idle_s": LIMIT}

        # The certificate is issued behind the sign-in screen. (The screen may not say
        # CERTIFIED for long: the lab phone re-enumerates after its reset and the engine
        # starts a new job for it, which the lifecycle keeps from erasing it again.)
        await until(pilot, lambda: len(events(ctx, "certificate.issued")) == 1)
        assert app.engine is engine and app._fleet is fleet  # never restarted
        [(issued, _)] = events(ctx, "certificate.issued")
        assert issued.seq > event.seq  # certified after the sign-out
        # Signing in again shows the phones the engine kept working on, as they are now.
        await sign_in(pilot)
        table = app.screen.query_one("#phones")
        [(key, view)] = app.engine.phones.items()
        assert table.row_count == 1
        # Every column but the ticking Time, at the widths this terminal gives the table.
        names = list(app.screen._widths)
        cells = presenter.row(view, app.screen._widths)
        keep = [i for i, name in enumerate(names) if name != "Time"]
        assert [table.get_row(key)[i] for i in keep] == [cells[i] for i in keep]
    ctx.close()


async def test_sign_out_by_key_and_an_open_confirmation_is_dropped(
    home: Path, sqlite_url: str, clock: Clock
) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=2, operator_hint="demo-technician", idle_sign_out_s=LIMIT)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready", "ready"])
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        # The technician walks away from the question: signed out, and nothing is erased.
        await _idle(pilot, clock, LIMIT)
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert len(app.screen_stack) == 2  # the question is gone, not waiting underneath
        await pilot.pause(0.3)
        assert states(app) == ["ready", "ready"]
        assert app.approvals.ready() == sorted(app.engine.phones)

        await sign_in(pilot)
        assert app.screen.query_one("#phones").row_count == 2
        assert "Sign out" in footer(app)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await until(pilot, lambda: len(events(ctx, "auth.signed_out")) == 2)
        # Signed out, nothing counts down any more.
        await _idle(pilot, clock, 10 * LIMIT)
    assert [p["reason"] for _, p in events(ctx, "auth.signed_out")] == ["idle", "manual"]
    ctx.close()


async def test_the_limit_comes_from_the_depot_settings_on_a_real_clock(
    home: Path, sqlite_url: str
) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    with ctx.session() as s:
        assert settings.idle_sign_out_seconds(s) == LIMIT  # unless the depot says otherwise
        settings.put(s, "ui.idle_minutes", "0.005")  # 0.3 s
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"1234", "enter")
        await until(pilot, lambda: len(events(ctx, "auth.signed_out")) == 1, seconds=10)
        assert isinstance(app.screen, SignInScreen)
    [(_, payload)] = events(ctx, "auth.signed_out")
    assert payload == {"reason": "idle", "idle_s": 0.3}
    for bad in ("", "ten", "-1", "0", "nan", "inf"):
        with ctx.session() as s:
            settings.put(s, "ui.idle_minutes", bad)
            assert settings.idle_sign_out_seconds(s) == LIMIT, bad
    ctx.close()
