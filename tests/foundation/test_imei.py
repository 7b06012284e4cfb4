from __future__ import annotations

import pytest

from drivers.contract import DeviceFacts, Platform
from wipe_station.audit.log import Actor
from wipe_station.context import StationContext
from wipe_station.errors import StationError
from wipe_station.orchestrator.records import device_detected, set_imei

TECH = Actor("tech1", None, "technician")


def test_typed_imei_is_luhn_checked_and_audited(station: StationContext) -> None:
    facts = DeviceFacts(Platform.ANDROID, "Google", "Pixel 8", "shiba", "39021FDH2000AB", "14")
    dev = device_detected(station, TECH, facts, "1-1", emulated=False)
    assert dev.id is not None
    with pytest.raises(StationError, match="not a valid IMEI"):
        set_imei(station, TECH, dev.id, "356938035643808")  # wrong check digit
    with pytest.raises(StationError, match="not a valid IMEI"):
        set_imei(station, TECH, dev.id, "12345")
    assert set_imei(station, TECH, dev.id, "35 693803 564380 9") == "356938035643809"
    assert set_imei(station, TECH, dev.id, "490154203237518") == "490154203237518"
    from wipe_station.db.models import Device

    with station.session() as s:
        row = s.get(Device, dev.id)
        assert row is not None and (row.imei, row.imei2) == ("356938035643809", "490154203237518")
