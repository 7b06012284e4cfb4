"""The bench check in the UI: one line in the header when something is wrong, `d` for the list.

Runs the real checks on this machine; the socket path it reads for usbmuxd is one the test
makes missing, so at least that problem is there on any machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from wipe_station import doctor
from wipe_station.context import open_station
from wipe_station.doctor import Level
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.doctor import DoctorScreen, findings_content, summary


@pytest.fixture
def no_usbmuxd(tmp_path: Path) -> Path:
    return tmp_path / "no-usbmuxd"


async def test_the_header_warns_and_d_lists_the_same_checks(
    home: Path, sqlite_url: str, no_usbmuxd: Path
) -> None:
    ctx = open_station(home, sqlite_url)
    app = WipeStationApp(ctx, bench_check=True, usbmux_address=str(no_usbmuxd))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "bench:" in app.sub_title and "problem" in app.sub_title
        app.action_doctor()
        await pilot.pause()
        assert isinstance(app.screen, DoctorScreen)
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        checks = {f.check for f in screen.findings}
        assert {"libusb", "udev", "usbmuxd", "clock", "printers", "fonts"} <= checks
        (mux,) = [f for f in screen.findings if f.check == "usbmuxd"]
        assert mux.level is Level.PROBLEM and str(no_usbmuxd) in mux.message
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DoctorScreen)
        assert "bench:" in app.sub_title
    ctx.close()


def test_the_one_line_summary_and_text_never_markup() -> None:
    ok = doctor.Finding("disk", Level.OK, "fine")
    assert summary([ok]) == ""
    bad = doctor.Finding("printers", Level.PROBLEM, "printer [bold]X[/] is stopped", "cupsenable X")
    assert summary([ok, bad]) == "bench: 1 problem(s) (d: details)"
    assert "[bold]X[/]" in findings_content([bad]).plain
