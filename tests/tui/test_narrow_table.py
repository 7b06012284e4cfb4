"""The phone table at 80 columns: every serial or IMEI whole, the state whole; the model, the
progress and the port give way first. Local times as the depot's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drivers.contract import DeviceFacts, Platform
from wipe_station.orchestrator.engine import PhoneView
from wipe_station.tui import presenter

IMEI = "350439788378889"
LONG_SERIAL = "RZCW30ABCDE1234XYZ"  # 18 characters: longer than an IMEI


@pytest.mark.parametrize("total", [60, 72, 80, 100, 120, 160, 200])
def test_widths_fit_and_keep_serial_and_state_whole(total: int) -> None:
    widths = presenter.column_widths(total, ident=len(LONG_SERIAL))
    used = sum(widths.values()) + presenter.CELL_PADDING * len(widths) + presenter.SCROLLBAR
    assert used <= total or set(widths) == {"Model", "Serial/IMEI", "State", "Progress"}
    assert widths["Serial/IMEI"] >= len(LONG_SERIAL) and widths["State"] == 13
    assert list(widths) == [c for c in presenter.COLUMNS if c in widths]


def test_at_80_columns_os_goes_first_and_a_certificate_number_fits() -> None:
    widths = presenter.column_widths(80)
    assert "OS" not in widths and {"Port", "Time"} <= set(widths)
    assert widths["Progress"] >= len("WS-OSL01-2026-000042")
    assert presenter.column_widths(160).keys() == set(presenter.COLUMNS)


def _view(**kw: object) -> PhoneView:
    facts = DeviceFacts(Platform.IOS, "Apple", "iPhone 13", "iPhone14,5", "F2LXK0AAAAAA", "17")
    return PhoneView("00008110-000A1C3E2E78801E", Platform.IOS, facts=facts, **kw)  # type: ignore[arg-type]


def test_the_row_shows_the_whole_ident_and_an_iphones_port() -> None:
    view = _view(port="1-1.4")
    widths = presenter.column_widths(80, ident=presenter.ident_width([view]))
    cells = dict(zip(widths, presenter.row(view, widths), strict=True))
    assert cells["Serial/IMEI"].plain == "F2LXK0AAAAAA"
    assert cells["Port"].plain == "1-1.4"  # not the tail of its UDID
    assert presenter.port(_view()) == ""  # not known yet: nothing, rather than a hash


def test_local_time_is_the_depots_wall_clock() -> None:
    winter = datetime(2026, 12, 7, 20, 5)  # naive: stored in UTC
    assert presenter.local_time(winter, "Europe/Oslo") == "2026-12-07 21:05 CET"
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert presenter.local_time(summer, "Europe/Oslo") == "2026-07-01 10:00 CEST"
    assert presenter.local_time(summer, "Not/AZone") == "2026-07-01 08:00 UTC"
