"""Every state has a way forward on the station screen: a verified phone left without its
certificate is certified with `r`, from the footer's Re-check."""

from __future__ import annotations

from pathlib import Path

import pytest

from wipe_station.context import open_station
from wipe_station.errors import StationError
from wipe_station.numbering import NumberLedger
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase

from .helpers import sign_in, states, until


async def test_r_certifies_a_verified_phone_left_without_its_certificate(
    home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-admin")

    def full(self: NumberLedger, year: int, seq: int) -> None:
        raise StationError("cannot write the certificate number ledger: No space left on device")

    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready"])
        monkeypatch.setattr(NumberLedger, "reserve", full)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await until(pilot, lambda: states(app) == ["verified"], seconds=60)
        monkeypatch.undo()  # the disk has room again
        await pilot.press("r")
        await until(pilot, lambda: states(app) == ["certified"])
        (view,) = app.engine.phones.values()  # type: ignore[union-attr]
        assert view.certificate is not None and view.certificate.endswith("-000001")
        footer_keys = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        # Re-check is in the footer; Erase again only for a phone waiting for a decision.
        assert "r" in footer_keys and "e" not in footer_keys
    ctx.close()


async def test_e_erases_again_an_interrupted_phone_the_station_cannot_judge(
    home: Path, sqlite_url: str
) -> None:
    """A phone left mid-erase by a stopped station comes back with USB debugging off, and the
    station had no ADB to it before either: it cannot tell whether it was reset. The row says
    DECIDE (e), the footer offers Erase again, and `e` is the technician's named decision."""
    from drivers.emulated.android.profile import load_profile
    from tests.accidents.bench import phone_at
    from wipe_station.audit.log import Actor
    from wipe_station.lifecycle import DeviceState
    from wipe_station.orchestrator import records
    from wipe_station.orchestrator.fleet_files import FleetProfile

    from .helpers import events

    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    profile = load_profile("pixel-6a-debug-off")
    anna = Actor("anna", None, "technician")
    phone_at(ctx, anna, profile.serial, DeviceState.REBOOTING)
    assert records.interrupt_in_flight(ctx, anna)  # as start-up leaves it after a stop
    app = WipeStationApp(
        ctx,
        demo_phones=1,
        demo_profiles=[FleetProfile("android", profile, Path("pixel-6a-debug-off.yaml"))],
        operator_hint="demo-admin",
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["decide"])
        (view,) = app.engine.phones.values()  # type: ignore[union-attr]
        assert "press e to erase it again" in view.progress
        await until(
            pilot,
            lambda: "e" in {k for k, b in app.screen.active_bindings.items() if b.binding.show},
        )
        await pilot.press("e")
        await until(pilot, lambda: states(app) != ["decide"])
    [(event, payload)] = events(ctx, "device.decision")
    assert event.operator == "demo-admin" and payload["decision"] == "erase_again"
    ctx.close()


async def test_the_database_wait_has_its_own_title(home: Path, sqlite_url: str) -> None:
    """What the engine says about the database reaches the operator titled "Database", not
    under usbmuxd's "iPhones"."""
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-admin")
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None)
        assert app.engine is not None and app.engine.on_notice is not None
        app.engine.on_notice("Database", "Database: waiting … refuses connections")
        await until(
            pilot,
            lambda: any(n.title == "Database" for n in app._notifications),
        )
        (note,) = [n for n in app._notifications if n.title == "Database"]
        assert note.message.startswith("Database: waiting")
        assert not any(n.title == "iPhones" for n in app._notifications)
    ctx.close()
