from __future__ import annotations

import pytest

from wipe_station.context import StationContext
from wipe_station.numbering import allocate, format_number


def test_numbers_are_sequential_per_station_and_year(station: StationContext) -> None:
    sid = station.station_id
    with station.session() as s:
        assert allocate(s, sid, 2026) == (1, f"WS-{sid}-2026-000001")
        assert allocate(s, sid, 2026)[0] == 2
        assert allocate(s, sid, 2027)[0] == 1
        assert allocate(s, "OTHER1", 2026)[0] == 1


def test_a_rolled_back_certificate_leaves_no_gap(station: StationContext) -> None:
    sid = station.station_id
    with pytest.raises(RuntimeError), station.session() as s:
        allocate(s, sid, 2026)
        raise RuntimeError("rendering failed")
    with station.session() as s:
        assert allocate(s, sid, 2026)[0] == 1


def test_format() -> None:
    assert format_number("OSL01", 2026, 42) == "WS-OSL01-2026-000042"
