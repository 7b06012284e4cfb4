"""The technician's flow through the real UI on lab phones, driven with Textual's pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from wipe_station.context import open_station
from wipe_station.db.models import Certificate
from wipe_station.operators import add_operator
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.imei import ImeiEntry
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen


async def _until(pilot, predicate, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("the UI never got there")


def _states(app: WipeStationApp) -> list[str]:
    assert app.engine is not None
    return sorted(v.state for v in app.engine.phones.values())


async def test_sign_in_see_phones_confirm_and_certify(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=8, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SignInScreen)
        await pilot.press("9", "9", "9", "9", "enter")
        await _until(pilot, lambda: "wrong PIN" in str(app.screen.query_one("#error").render()))
        await pilot.press("1", "2", "3", "4", "enter")
        await _until(pilot, lambda: isinstance(app.screen, StationScreen))
        await _until(
            pilot,
            lambda: (
                app.engine is not None
                and len(app.engine.phones) == 8
                and _states(app).count("ready") == 6
                # Identification finishes phone by phone: wait for the last one too.
                and "detected" not in _states(app)
            ),
        )
        assert _states(app).count("blocked") == 2
        # Nothing has been erased before the technician confirms.
        assert app.engine is not None
        fleet = app._fleet
        assert not any(r.startswith("reboot:") for p in fleet.android.phones() for r in p.received)
        # The technician types a wrong IMEI, then the right one (modern Android hides it).
        table = app.screen.query_one("#phones")
        table.move_cursor(row=0)
        await pilot.press("i")
        await _until(pilot, lambda: isinstance(app.screen, ImeiEntry))
        await pilot.press(*"356938035643808", "enter")
        # The dialog stays open, says why and keeps what was typed: fix the last digit.
        await _until(
            pilot, lambda: "not a valid IMEI" in str(app.screen.query_one("#imei-error").render())
        )
        assert isinstance(app.screen, ImeiEntry)
        assert app.screen.query_one("#imei").value == "356938035643808"
        await pilot.press("backspace", "9", "enter")
        await _until(
            pilot,
            lambda: any("IMEI 356938035643809 recorded" in n.message for n in app._notifications),
        )
        await pilot.press("a")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        assert app.screen.count == 6
        await pilot.press("n")  # cancel: still nothing erased
        await pilot.pause(0.3)
        assert _states(app).count("ready") == 6
        await pilot.press("a")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await _until(pilot, lambda: _states(app).count("certified") == 6)
    with ctx.session() as s:
        certs = s.exec(select(Certificate)).all()
        assert len(certs) == 6 and all(c.emulated for c in certs)
        typed = [c for c in certs if "356938035643809" in c.payload_json]
        assert len(typed) == 1  # the typed IMEI is on that phone's signed certificate
    ctx.close()


async def test_auditor_sees_phones_but_cannot_erase(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    admin = add_operator(ctx, "boss", "admin", "2468", by=None)
    add_operator(ctx, "revisor", "auditor", "1357", by=admin)
    app = WipeStationApp(ctx, demo_phones=2, operator_hint="revisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "3", "5", "7", "enter")
        await _until(pilot, lambda: isinstance(app.screen, StationScreen))
        await _until(pilot, lambda: app.engine is not None and _states(app).count("ready") == 2)
        assert app.screen.read_only
        await pilot.press("a")  # hidden for auditors: nothing happens
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmErase)
        app.request_wipe(None)  # even if the UI were bypassed, the core refuses
        await pilot.pause(0.3)
        assert _states(app).count("ready") == 2
    ctx.close()
    await asyncio.sleep(0)
