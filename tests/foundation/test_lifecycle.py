from __future__ import annotations

import itertools

import pytest
from sqlmodel import func, select

from wipe_station.audit.log import SYSTEM_ACTOR
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent, Device
from wipe_station.errors import IllegalTransition
from wipe_station.lifecycle import TRANSITIONS, DeviceState, check, transition

HAPPY_PATH = [
    DeviceState.DETECTED,
    DeviceState.WIPING,
    DeviceState.REBOOTING,
    DeviceState.VERIFYING,
    DeviceState.VERIFIED,
    DeviceState.CERTIFIED,
    DeviceState.IN_BATCH,
    DeviceState.HANDED_OVER,
]


def _device(station: StationContext, state: DeviceState) -> int:
    with station.session() as s:
        dev = Device(station_id=station.station_id, platform="android", serial="X1", state=state)
        s.add(dev)
        s.flush()
        assert dev.id is not None
        return dev.id


def _events(station: StationContext) -> int:
    with station.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def test_happy_path_is_legal_and_audited(station: StationContext) -> None:
    dev_id = _device(station, DeviceState.RECEIVED)
    before = _events(station)
    for dst in HAPPY_PATH:
        with station.session() as s:
            dev = s.get(Device, dev_id)
            assert dev is not None
            transition(s, station.identity, SYSTEM_ACTOR, dev, dst)
    with station.session() as s:
        dev = s.get(Device, dev_id)
        assert dev is not None and dev.state == "handed_over"
    assert _events(station) == before + len(HAPPY_PATH)


def test_illegal_transition_raises_and_changes_nothing(station: StationContext) -> None:
    dev_id = _device(station, DeviceState.DETECTED)
    before = _events(station)
    with (
        pytest.raises(IllegalTransition, match="detected cannot become certified"),
        station.session() as s,
    ):
        dev = s.get(Device, dev_id)
        assert dev is not None
        transition(s, station.identity, SYSTEM_ACTOR, dev, DeviceState.CERTIFIED)
    with station.session() as s:
        dev = s.get(Device, dev_id)
        assert dev is not None and dev.state == "detected"
    assert _events(station) == before


@pytest.mark.parametrize("src,dst", list(itertools.product(DeviceState, DeviceState)))
def test_transition_table_is_the_only_authority(src: DeviceState, dst: DeviceState) -> None:
    if dst in TRANSITIONS[src]:
        check(src, dst)
    else:
        with pytest.raises(IllegalTransition):
            check(src, dst)


def test_nothing_leaves_handed_over_and_certificates_need_verification() -> None:
    assert TRANSITIONS[DeviceState.HANDED_OVER] == frozenset()
    sources = {s for s, dsts in TRANSITIONS.items() if DeviceState.CERTIFIED in dsts}
    assert sources == {DeviceState.VERIFIED, DeviceState.IN_BATCH}
