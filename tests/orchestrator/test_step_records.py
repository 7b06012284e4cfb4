"""The engine's records per pipeline step: a step's evidence and its state move are one
transaction, evidence keeps the field-length rules of an ORM flush, and a held attested erasure
gets no certificate from the engine's last step."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from drivers.contract import (
    DeviceFacts,
    EvidenceItem,
    Outcome,
    Platform,
    VerificationLevel,
)
from drivers.pipeline import PipelineResult
from wipe_station import settings
from wipe_station.audit.log import Actor
from wipe_station.certify import issue_certificate, issue_unless_held
from wipe_station.context import StationContext
from wipe_station.db.lengths import TooLong
from wipe_station.db.models import AuditEvent, Device, Evidence, WipeJob
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState as S
from wipe_station.orchestrator import records

ANNA = Actor("anna", None, "technician")
FACTS = DeviceFacts(Platform.ANDROID, "Google", "Pixel 8", "shiba", "39021FDH2000AB", "14")


def _items(step: str, n: int) -> list[EvidenceItem]:
    return [EvidenceItem(step, f"{step}_{i}", f"ask {i}", f"answer {i}", True) for i in range(n)]


def _evidence(ctx: StationContext, job_id: int) -> list[tuple[int, str]]:
    with ctx.session() as s:
        rows = s.exec(select(Evidence).where(Evidence.job_id == job_id)).all()
        return sorted((r.seq, r.check) for r in rows)


def _verified(ctx: StationContext, level: VerificationLevel) -> int:
    found = records.identified(ctx, ANNA, FACTS, "1-1", _items("identify", 3), emulated=True)
    assert found.job_id is not None and found.device.id is not None
    dev = found.device.id
    for state, step in ((S.WIPING, "blockers"), (S.REBOOTING, "erase"), (S.VERIFYING, "wait")):
        records.advance(ctx, ANNA, dev, state, found.job_id, _items(step, 2))
    result = PipelineResult(Outcome.VERIFIED, "ok", facts=FACTS, method="m", level=level)
    assert records.finish_job(ctx, ANNA, found.job_id, dev, result, _items("verify", 2)) is (
        S.VERIFIED
    )
    return found.job_id


def test_steps_number_their_evidence_in_order(station: StationContext) -> None:
    job_id = _verified(station, VerificationLevel.READBACK)
    seen = _evidence(station, job_id)
    assert [seq for seq, _ in seen] == list(range(1, 12))
    assert seen[0][1] == "identify_0" and seen[-1][1] == "verify_1"
    with station.session() as s:
        moves = s.exec(
            select(AuditEvent.payload)  # type: ignore[call-overload]
            .where(AuditEvent.action == "device.state")
            .order_by(col(AuditEvent.seq))
        ).all()
    assert [m.split('"to":"')[1].split('"')[0] for m in moves] == [
        "wiping",
        "rebooting",
        "verifying",
        "verified",
    ]


def test_a_refused_move_writes_no_evidence(station: StationContext) -> None:
    found = records.identified(station, ANNA, FACTS, "1-1", [], emulated=True)
    assert found.job_id is not None and found.device.id is not None
    with pytest.raises(StationError):  # DETECTED cannot jump to VERIFYING
        records.advance(
            station, ANNA, found.device.id, S.VERIFYING, found.job_id, _items("blockers", 2)
        )
    assert _evidence(station, found.job_id) == []


def test_a_settled_phone_gets_no_job_and_no_evidence(station: StationContext) -> None:
    job_id = _verified(station, VerificationLevel.READBACK)
    issue_certificate(station, job_id, ANNA)
    again = records.identified(station, ANNA, FACTS, "1-1", _items("identify", 2), emulated=True)
    assert again.job_id is None and again.device.state == S.CERTIFIED.value
    with station.session() as s:
        assert len(s.exec(select(WipeJob)).all()) == 1
        assert len(s.exec(select(Evidence)).all()) == 11


@pytest.mark.parametrize(
    "item",
    [
        EvidenceItem("identify", "c" * 65, "ask", "answer", True),  # evidence.check is 64
        EvidenceItem("identify", "nul\x00", "ask", "answer", True),
    ],
)
def test_evidence_keeps_the_field_rules(station: StationContext, item: EvidenceItem) -> None:
    with pytest.raises(TooLong):
        records.identified(station, ANNA, FACTS, "1-1", [item], emulated=True)
    with station.session() as s:  # the whole step was rolled back, device included
        assert s.exec(select(Device)).all() == []


def test_a_held_attested_erasure_is_not_certified(station: StationContext) -> None:
    with station.session() as s:
        settings.put(s, "erasure.attested", "hold")
    job_id = _verified(station, VerificationLevel.ATTESTED)
    assert issue_unless_held(station, job_id, ANNA) is None
    with pytest.raises(StationError, match="supervisor"):
        issue_certificate(station, job_id, ANNA)


def test_certificates_carry_stored_settings_and_defaults(station: StationContext) -> None:
    with station.session() as s:
        settings.put(s, "depot.organization", "Depot Nord AS")
    cert = issue_unless_held(station, _verified(station, VerificationLevel.READBACK), ANNA)
    assert cert is not None
    assert '"organization":"Depot Nord AS"' in cert.payload_json
    timezone = settings.DEFAULTS["depot.timezone"]
    assert f'"timezone":"{timezone}"' in cert.payload_json
