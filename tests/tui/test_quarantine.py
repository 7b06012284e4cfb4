"""Quarantine through the real UI on lab phones: set aside with a reason, kept out of "erase
all", refused mid-erase, released only by an admin; every role check goes through the core."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest
from sqlmodel import select

from drivers.emulated.android.profile import load_profile
from tests.tui.helpers import events, footer, notified, sign_in, states, until
from wipe_station.context import open_station
from wipe_station.db.models import Device
from wipe_station.operators import add_operator
from wipe_station.operators import sign_in as check_pin
from wipe_station.orchestrator import demo_fleet
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.quarantine import QuarantineReason
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen

ANDROID = "1-1.1"  # the lab's first Android phone, a clean Pixel 8


def _select(app: WipeStationApp, key: str) -> None:
    table = app.screen.query_one("#phones")
    table.move_cursor(row=table.get_row_index(key))


def _device(ctx, platform: str) -> Device:  # type: ignore[no-untyped-def]
    with ctx.session() as s:
        return s.exec(select(Device).where(Device.platform == platform)).one()


def _android_resets(app: WipeStationApp) -> list[str]:
    return [r for p in app._fleet.android.phones() for r in p.received if r.startswith("reboot:")]


async def _switch_operator(pilot, name: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(pilot.app.screen, SignInScreen))
    pilot.app.screen.query_one("#operator").value = name
    await sign_in(pilot, pin)


async def test_quarantine_keeps_a_phone_out_of_erase_all_until_an_admin_releases_it(
    home: Path, sqlite_url: str
) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=2, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready", "ready"])
        _select(app, ANDROID)
        await pilot.pause()
        assert "Quarantine" in footer(app) and "Release" not in footer(app)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, QuarantineReason))
        await pilot.press("space", "enter")  # a reason is required
        assert isinstance(app.screen, QuarantineReason)
        assert "required" in str(app.screen.query_one("#reason-error").render())
        await pilot.press(*"screen cracked, [b]battery[/b] swollen", "enter")
        await until(pilot, lambda: app.engine.phones[ANDROID].state == "quarantined")
        assert isinstance(app.screen, StationScreen)
        dev = _device(ctx, "android")
        assert (dev.state, dev.quarantine_reason) == (
            "quarantined",
            "screen cracked, [b]battery[/b] swollen",
        )
        [(_, moved)] = [e for e in events(ctx, "device.state") if e[1]["to"] == "quarantined"]
        assert moved["from"] == "detected"
        # Shown as such: the row, the details, and the keys offered for it.
        table = app.screen.query_one("#phones")
        assert "■ QUARANTINE" in [str(c) for c in table.get_row(ANDROID)]
        assert "[b]battery[/b] swollen" in str(app.screen.query_one("#detail").render())
        assert "Quarantine" not in footer(app)
        assert "Release" not in footer(app)  # a technician may not release

        # "Erase all" leaves it out; the iPhone is erased and certified.
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        assert app.screen.count == 1
        await pilot.press("y")
        await until(pilot, lambda: states(app) == ["certified", "quarantined"])
        await pilot.pause(0.3)
        assert _android_resets(app) == []
        assert _device(ctx, "android").state == "quarantined"

        # The technician cannot release it, even past the screen: the core refuses and audits.
        app.release_quarantine(ANDROID)
        await until(pilot, lambda: notified(app, "may not release quarantine"))
        denied = [p for _, p in events(ctx, "access.denied")]
        assert {"permission": "release_quarantine", "role": "technician"} in denied
        assert _device(ctx, "android").state == "quarantined"

        # An admin releases it; it is ready again and erased with the next "erase all".
        await _switch_operator(pilot, "demo-admin", "1234")
        _select(app, ANDROID)
        await pilot.pause()
        assert "Release" in footer(app)
        await pilot.press("u")
        await until(pilot, lambda: app.engine.phones[ANDROID].state == "ready")
        assert _device(ctx, "android").state == "detected"
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        assert app.screen.count == 1
        await pilot.press("y")
        await until(pilot, lambda: states(app) == ["certified", "certified"])
    released = [p for _, p in events(ctx, "device.state") if p["from"] == "quarantined"]
    assert released == [
        {"from": "quarantined", "to": "detected", "reason": "released from quarantine"}
    ]
    ctx.close()


async def test_a_phone_being_erased_cannot_be_quarantined(
    home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lab phone that takes a few seconds to erase and restart.
    def slow(name: str):  # type: ignore[no-untyped-def]
        prof = load_profile(name)
        return dataclasses.replace(prof, wipe_seconds=1, boot_seconds=1, technician_seconds=0)

    monkeypatch.setattr(demo_fleet, "load_profile", slow)
    monkeypatch.setattr(
        demo_fleet, "DemoFleet", functools.partial(demo_fleet.DemoFleet, zero_delay=False)
    )
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready"])
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await until(pilot, lambda: states(app)[0] in ("wiping", "rebooting", "verifying"))
        await pilot.press("x")
        await until(pilot, lambda: notified(app, "cannot become quarantined"))
        assert not isinstance(app.screen, QuarantineReason)  # no reason asked for in vain
        await until(pilot, lambda: len(events(ctx, "certificate.issued")) == 1)  # erased
    assert not [p for _, p in events(ctx, "device.state") if p["to"] == "quarantined"]
    ctx.close()


async def test_an_auditor_cannot_quarantine(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    admin = check_pin(ctx, "demo-admin", "1234")
    add_operator(ctx, "revisor", "auditor", "1357", by=admin)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="revisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "1357")
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready"])
        assert "Quarantine" not in footer(app) and "Release" not in footer(app)
        await pilot.press("x")  # hidden: nothing happens
        await pilot.pause(0.2)
        assert isinstance(app.screen, StationScreen)
        app.quarantine(ANDROID)  # past the screen, the core refuses and audits it
        await until(pilot, lambda: notified(app, "may not quarantine"))
        assert not isinstance(app.screen, QuarantineReason)
    denied = [p for _, p in events(ctx, "access.denied")]
    assert denied == [{"permission": "quarantine", "role": "auditor"}]
    assert _device(ctx, "android").state == "detected"
    ctx.close()
