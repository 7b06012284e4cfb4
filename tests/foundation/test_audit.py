from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from wipe_station.audit import log as audit
from wipe_station.audit.chain import commitment
from wipe_station.audit.store import export_bundle, verify_bundle, verify_database
from wipe_station.context import StationContext
from wipe_station.db.models import AuditPersonal
from wipe_station.errors import StationError
from wipe_station.identity import load_or_create

ACTOR = audit.Actor("tech1", 1, "technician")


def _append(station: StationContext, n: int, **kw: object) -> None:
    with station.session() as s:
        for i in range(n):
            audit.append(s, station.identity, ACTOR, "test.event", {"i": i}, **kw)  # type: ignore[arg-type]


def _verify(station: StationContext) -> str | None:
    with station.session() as s:
        reports = verify_database(s, station.identity)
    bad = [r for r in reports if not r.ok]
    return bad[0].problem if bad else None


def _sql(station: StationContext, stmt: str) -> None:
    with station.engine.begin() as conn:
        conn.execute(text(stmt))


def test_intact_chain_verifies(station: StationContext) -> None:
    _append(station, 150)
    with station.session() as s:
        (report,) = verify_database(s, station.identity)
    assert report.ok, report.problem
    assert report.events == 151  # plus station.registered
    assert report.checkpoints == 2  # every 64 events
    assert report.summary().startswith("OK: station ")


def test_changed_payload_byte_is_named(station: StationContext) -> None:
    _append(station, 10)
    _sql(station, "UPDATE audit_events SET payload = REPLACE(payload, '7', '8') WHERE seq = 9")
    problem = _verify(station)
    assert problem is not None and problem.startswith("event #9 (test.event")
    assert "does not match its hash" in problem


def test_changed_operator_is_named(station: StationContext) -> None:
    _append(station, 5)
    _sql(station, "UPDATE audit_events SET operator = 'someone' WHERE seq = 3")
    assert (_verify(station) or "").startswith("event #3 ")


def test_deleted_event_is_named(station: StationContext) -> None:
    _append(station, 10)
    _sql(station, "DELETE FROM audit_events WHERE seq = 6")
    assert _verify(station) == "event #6 missing: the sequence jumps to #7"


def test_deleted_tail_is_detected(station: StationContext) -> None:
    _append(station, 10)
    _sql(station, "DELETE FROM audit_events WHERE seq > 8")
    assert "events were deleted" in (_verify(station) or "")


def test_rewritten_chain_with_recomputed_hashes_breaks_the_signed_checkpoint(
    station: StationContext,
) -> None:
    _append(station, 70)  # checkpoint at #64
    # A forger with database access rewrites event 10 and recomputes every hash after it.
    from wipe_station.audit.chain import event_hash
    from wipe_station.audit.store import iter_events

    with station.session() as s:
        events = list(iter_events(s.connection(), station.station_id))
    prev = events[8].hash
    with station.engine.begin() as conn:
        for ev in events[9:]:
            payload = ev.payload.replace('"i":8', '"i":999') if ev.seq == 10 else ev.payload
            digest = event_hash(
                station=ev.station,
                seq=ev.seq,
                at=ev.at,
                operator=ev.operator,
                action=ev.action,
                device=ev.device,
                payload=payload,
                prev=prev,
            )
            conn.execute(
                text(
                    "UPDATE audit_events SET payload=:p, prev_hash=:prev, hash=:h "
                    "WHERE station_id=:s AND seq=:q"
                ),
                {"p": payload, "prev": prev, "h": digest, "s": ev.station, "q": ev.seq},
            )
            prev = digest
    problem = _verify(station) or ""
    assert "differs from the signed checkpoint" in problem and "#64" in problem


def test_forged_checkpoint_signature_is_detected(station: StationContext) -> None:
    _append(station, 64)
    _sql(station, "UPDATE audit_checkpoints SET signature = 'AAAA' WHERE seq = 64")
    assert "invalid signature" in (_verify(station) or "")


def test_personal_values_are_committed_not_chained(station: StationContext) -> None:
    with station.session() as s:
        ev = audit.append(
            s,
            station.identity,
            ACTOR,
            "intake.line",
            {"serial": "R58N"},
            personal={"employee_phone": "+47 912 34 567"},
        )
        payload = json.loads(ev.payload)
    # The whole number, in the forms it could take: three digits alone may turn up in a hash.
    assert "912 34 567" not in ev.payload and "91234567" not in ev.payload
    with station.session() as s:
        row = s.exec(select(AuditPersonal)).one()
        assert row.salt is not None and row.value is not None
        assert payload["personal"]["employee_phone"] == commitment(row.salt, row.value)
    assert _verify(station) is None
    # Changing the personal value is detected; erasing it (retention) is not a break.
    _sql(station, "UPDATE audit_personal SET value = '+47 000 00 000'")
    assert "employee_phone does not match" in (_verify(station) or "")
    _sql(station, "UPDATE audit_personal SET value = NULL, salt = NULL")
    assert _verify(station) is None


def test_bundle_verifies_offline_only_with_the_right_key(
    station: StationContext, tmp_path: Path
) -> None:
    _append(station, 100)
    bundle = tmp_path / "audit.jsonl"
    with station.session() as s:
        audit.checkpoint_head(s, station.identity)
    with station.session() as s:
        assert (
            export_bundle(s, station.station_id, station.identity.public_key_pem(), bundle) == 101
        )
    pem = station.identity.public_key_pem().encode()
    assert verify_bundle(bundle, pem).ok

    other = load_or_create(tmp_path / "other").public_key_pem().encode()
    assert "invalid signature" in (verify_bundle(bundle, other).problem or "")

    lines = bundle.read_text().splitlines()
    tampered = tmp_path / "tampered.jsonl"
    lines[-5] = lines[-5].replace('\\"i\\":95', '\\"i\\":96')
    tampered.write_text("\n".join(lines) + "\n")
    assert "event #97 (test.event" in (verify_bundle(tampered, pem).problem or "")

    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("\n".join(bundle.read_text().splitlines()[:-3]) + "\n")
    assert not verify_bundle(truncated, pem).ok


def test_broken_bundle_file_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"%PDF-1.7 not a bundle")
    key = load_or_create(tmp_path / "k").public_key_pem().encode()
    with pytest.raises(StationError, match="is not an audit bundle"):
        verify_bundle(junk, key)
    with pytest.raises(StationError, match="cannot read bundle"):
        verify_bundle(tmp_path / "missing.jsonl", key)
