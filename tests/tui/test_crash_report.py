"""When the station UI itself fails, the operator sees one line and where the detail went; the
traceback goes to the private log without local variables, so a PIN typed at sign-in never
reaches the screen or the log."""

from __future__ import annotations

from pathlib import Path

from wipe_station.context import open_station
from wipe_station.tui.app import WipeStationApp

PIN = "8642"


def test_a_ui_crash_prints_one_line_and_logs_without_locals(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    app = WipeStationApp(ctx)

    def sign_in(pin: str) -> None:
        raise RuntimeError("the records went away")

    try:
        sign_in(PIN)
    except RuntimeError:
        app._fatal_error()
    (shown,) = app._exit_renderables
    line = str(shown)
    assert line.startswith("error: the station UI stopped on an unexpected failure (RuntimeError)")
    assert "details in " in line and PIN not in line
    log = Path(line.rsplit("details in ", 1)[1])
    text = log.read_text(encoding="utf-8")
    assert "the records went away" in text and "sign_in" in text
    assert PIN not in text  # frames and messages only, never local variables
    assert log.stat().st_mode & 0o077 == 0
    ctx.close()
