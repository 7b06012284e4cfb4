"""Snapshots of the key screens at 80x24 (fixed data, so they do not depend on timing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from drivers.contract import Blocker, BlockerCode, DeviceFacts, Platform
from wipe_station.batches import BatchPhone
from wipe_station.context import open_station
from wipe_station.orchestrator.engine import PhoneView
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.quarantine import QuarantineReason
from wipe_station.tui.screens.station import StationScreen
from wipe_station.tui.session import UiSession

SIZES = [(80, 24), (160, 50)]
PHONES = [
    BatchPhone("WS-OSL01-2026-000041", "Apple", "iPhone 13", "F2LXK0AAAAAA", "350439788378889"),
    BatchPhone("WS-OSL01-2026-000042", "Google", "Pixel 8", "39021FDH2000AB", ""),
]


class _FixedSession(UiSession):
    """Reads nothing from the records: the snapshot shows fixed rows."""

    async def in_thread(self, fn, *args):  # type: ignore[no-untyped-def,override]
        return False, None


FACTS = DeviceFacts(Platform.ANDROID, "Google", "Pixel 8", "shiba", "39021FDH2000AB", "14")


def _views() -> list[PhoneView]:
    clean = PhoneView(
        "1-1.1", Platform.ANDROID, state="ready", progress="ready", facts=FACTS, started=0.0
    )
    frp = PhoneView(
        "1-1.2",
        Platform.ANDROID,
        state="blocked",
        progress="2 Google accounts",
        facts=FACTS,
        started=0.0,
        blockers=[
            Blocker(
                BlockerCode.FRP_ACCOUNT,
                "2 Google account(s) signed in",
                "Settings > Accounts: remove every Google account; re-check.",
            )
        ],
    )
    done = PhoneView(
        "D19E9222B7",
        Platform.IOS,
        state="certified",
        progress="certified",
        facts=DeviceFacts(
            Platform.IOS,
            "Apple",
            "iPhone 13",
            "iPhone14,5",
            "F2LXK0AAAAAA",
            "17.5",
            imeis=("350439788378889",),
        ),
        certificate="WS-OSL01-2026-000042",
        started=0.0,
        port="1-1.4",  # from usbmuxd's LocationID, not the UDID's tail
    )
    confirm = PhoneView(
        "1-1.3",
        Platform.ANDROID,
        state="confirm",
        progress="Tap 'Allow' on the phone, then confirm what it shows",
        facts=DeviceFacts(
            Platform.ANDROID, "motorola", "moto g54 5G", "cancunf", "ZY22H7LKQP", "14"
        ),
        started=0.0,
    )
    views = [clean, frp, done, confirm]
    for v in views:
        v.stage, v.stage_since = v.state, 0.0
    return views


class StaticApp(WipeStationApp):
    """The real screens, fed fixed phone views instead of a live engine."""

    async def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # skip the sign-in screen the base class would push
        screen = StationScreen("kari (technician)   ·   USB", read_only=False)
        await self.push_screen(screen)
        for view in _views():
            screen.show(view)
        screen.query_one("#phones").move_cursor(row=1)


@pytest.fixture(autouse=True)
def _cursors_held_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A focused field's cursor blinks every half second, so a picture taken late on a loaded
    machine caught it off (a flaky snapshot): every field's cursor stays as focus left it."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


def _app(home: Path, sqlite_url: str) -> StaticApp:
    return StaticApp(open_station(home, sqlite_url))


def test_sign_in_screen(snap_compare, home: Path, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    app = WipeStationApp(
        open_station(home, sqlite_url), operator_hint="kari", sign_in_hint="Demo home: PIN 1234"
    )
    app.sub_title = "station OSL01"
    assert snap_compare(app, terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES)
def test_station_screen_with_a_mixed_fleet(
    snap_compare, home: Path, sqlite_url: str, monkeypatch, size
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wipe_station.tui.presenter.clock", lambda: 125.0)
    app = _app(home, sqlite_url)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_help_lists_the_station_keys(
    snap_compare, home: Path, sqlite_url: str, monkeypatch, size
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wipe_station.tui.presenter.clock", lambda: 125.0)
    app = _app(home, sqlite_url)
    assert snap_compare(app, terminal_size=size, press=["question_mark"])


@pytest.mark.parametrize("size", SIZES)
def test_close_batch_confirmation_names_batch_and_count(
    snap_compare, home: Path, sqlite_url: str, monkeypatch, size
) -> None:  # type: ignore[no-untyped-def]
    from wipe_station.tui.screens.confirm import Confirm

    monkeypatch.setattr("wipe_station.tui.presenter.clock", lambda: 125.0)
    app = _app(home, sqlite_url)

    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.push_screen(
            Confirm(
                "Close RB-OSL01-2026-0002?",
                "2 phones for Miljøretur AS. A closed batch takes no more phones; it can then "
                "be handed over.",
                "Close it",
            )
        )

    assert snap_compare(app, terminal_size=size, run_before=ask)


def test_confirmation_names_the_count(
    snap_compare, home: Path, sqlite_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wipe_station.tui.presenter.clock", lambda: 125.0)
    app = _app(home, sqlite_url)

    async def confirm(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.push_screen(ConfirmErase(6, "All ready phones."))

    assert snap_compare(app, terminal_size=(80, 24), run_before=confirm)


def test_quarantine_asks_for_a_reason(
    snap_compare, home: Path, sqlite_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("wipe_station.tui.presenter.clock", lambda: 125.0)
    app = _app(home, sqlite_url)

    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.push_screen(QuarantineReason("Pixel 8 (39021FDH2000AB)"))
        await pilot.press(*"screen cracked")

    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)


@pytest.mark.parametrize("size", SIZES)
def test_batch_screen_after_scans(
    snap_compare, home: Path, sqlite_url: str, monkeypatch, size
) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from wipe_station.batches import BatchSummary
    from wipe_station.tui.screens.batches import BatchesScreen

    monkeypatch.setattr("wipe_station.tui.presenter.clock", lambda: 125.0)
    app = _app(home, sqlite_url)
    when = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    rows = [
        BatchSummary("RB-OSL01-2026-0001", "Miljøretur AS", "handed_over", 48, when, when, "Ola"),
        BatchSummary("RB-OSL01-2026-0002", "Miljøretur AS", "open", 2, when, None, None),
    ]

    async def scan(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = BatchesScreen(_FixedSession(pilot.app.ctx, None, pilot.app.notify), rows)  # type: ignore[arg-type]
        await pilot.app.push_screen(screen)
        await pilot.pause()  # laid out: the log wraps to its real width
        screen.show_phones("RB-OSL01-2026-0002", PHONES)
        screen.scanned("356938035643809", "Apple iPhone 13 F2LXK0AAAAAA", ok=True)
        screen.scanned(
            "R5CW30AB001",
            "R5CW30AB001 is not certified (it is blocked); erase and certify it first",
            ok=False,
        )
        scan_field = screen.query_one("#scan")
        scan_field.focus()
        await pilot.pause()
        assert scan_field.has_focus

    assert snap_compare(app, terminal_size=size, run_before=scan)
