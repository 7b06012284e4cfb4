"""Records that agree with what was signed (issue 16): a changed certified fact supersedes the
certificate, manifests are signed and verified offline, and a phone leaves the depot once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from certificates.payload import CertificatePayload
from tests.logistics.conftest import (
    ACME,
    BOSS,
    TECH,
    certified_phone,
    cli_as,
    plug_in,
    run_cli,
)
from wipe_station import auditor_exports, batches, intake
from wipe_station.audit.log import Actor
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent, Certificate, Device
from wipe_station.errors import StationError
from wipe_station.orchestrator import records

ADMIN = Actor("admin1", None, "admin")


def _certs(station: StationContext, serial: str) -> list[Certificate]:
    with station.session() as s:
        return list(
            s.exec(
                select(Certificate)
                .join(Device, col(Device.id) == Certificate.device_id)
                .where(Device.serial == serial)
                .order_by(col(Certificate.id))
            ).all()
        )


def _handed_over(station: StationContext, *serials: str) -> str:
    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    for serial in serials:
        batches.add_phone(station, BOSS, b.code, serial)
    batches.close_batch(station, BOSS, b.code)
    batches.hand_over(station, BOSS, b.code, "Ola Mottaker")
    return b.code


def test_assigning_a_customer_after_certification_supersedes_the_certificate(
    station: StationContext,
) -> None:
    certified_phone(station, "LATE1", imeis=("356938035643809",))
    (old,) = _certs(station, "LATE1")
    assert CertificatePayload.from_json(old.payload_json).customer is None
    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    batches.add_phone(station, BOSS, b.code, "LATE1")

    intake.assign(station, BOSS, "LATE1", org=ACME)

    first, second = _certs(station, "LATE1")  # both kept
    assert first.superseded_by_id == second.id and second.superseded_by_id is None
    new = CertificatePayload.from_json(second.payload_json)
    assert new.customer is not None and new.customer.org_number == ACME
    assert new.supersedes == first.number and new.mobile.imeis == ("356938035643809",)
    with station.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "certificate.superseded"))
        assert f'"old":"{first.number}"' in event.one().payload
    # Exports, reports and the batch all use the current certificate.
    rows = auditor_exports.certificates(station, BOSS)
    assert [(r.number, r.customer) for r in rows] == [(second.number, ACME)]
    m = batches.manifest(station, BOSS, b.code)
    assert [p.certificate_number for p in m.phones] == [second.number]  # type: ignore[union-attr]
    # Nothing changed: no new certificate.
    intake.assign(station, BOSS, "LATE1", org=ACME)
    assert len(_certs(station, "LATE1")) == 2


def test_verify_with_the_audit_bundle_says_superseded(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "admin")
    certified_phone(station, "LATE2")
    (old,) = _certs(station, "LATE2")
    pdf, pem, bundle = tmp_path / "old.pdf", tmp_path / "station.pem", tmp_path / "audit.jsonl"
    assert run_cli(capsys, monkeypatch, "certificate", "export", old.number, "-o", str(pdf))[0] == 0
    intake.assign(station, BOSS, "LATE2", org=ACME)
    _, new = _certs(station, "LATE2")
    pem.write_text(station.identity.public_key_pem())
    assert run_cli(capsys, monkeypatch, "audit", "export", "-o", str(bundle))[0] == 0

    code, out, _ = run_cli(capsys, monkeypatch, "certificate", "verify", str(pdf),
                           "--public-key", str(pem))  # fmt: skip
    assert code == 0 and f"VALID: {old.number}" in out  # genuine on its own
    code, out, err = run_cli(capsys, monkeypatch, "certificate", "verify", str(pdf),
                             "--public-key", str(pem), "--bundle", str(bundle))  # fmt: skip
    assert code == 1 and f"superseded by {new.number}" in err


def test_signed_manifest_cli_verify_and_draft(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "logistics")
    certified_phone(station, "M1")
    certified_phone(station, "M2")
    pem = tmp_path / "station.pem"
    pem.write_text(station.identity.public_key_pem())
    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    batches.add_phone(station, BOSS, b.code, "M1")
    draft = tmp_path / "draft.pdf"
    assert run_cli(capsys, monkeypatch, "batch", "manifest", b.code, "-o", str(draft))[0] == 0
    code, _, err = run_cli(capsys, monkeypatch, "batch", "verify", str(draft),
                           "--public-key", str(pem))  # fmt: skip
    assert code == 1 and "DRAFT" in err and "not signed" in err
    batches.add_phone(station, BOSS, b.code, "M2")
    batches.close_batch(station, BOSS, b.code)
    batches.hand_over(station, BOSS, b.code, "Ola Mottaker")
    first, again = tmp_path / "m1.pdf", tmp_path / "m2.pdf"
    assert run_cli(capsys, monkeypatch, "batch", "manifest", b.code, "-o", str(first))[0] == 0
    assert run_cli(capsys, monkeypatch, "batch", "manifest", b.code, "-o", str(again))[0] == 0
    assert first.read_bytes() == again.read_bytes()  # the manifest kept from the hand-over
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "verify", str(first),
                           "--public-key", str(pem))  # fmt: skip
    assert code == 0 and f"VALID: manifest {b.code}, 2 phones" in out
    assert "received by: Ola Mottaker" in out
    for cert in _certs(station, "M1") + _certs(station, "M2"):
        assert cert.number in out


def test_a_phone_handed_over_once_is_flagged_when_it_returns(station: StationContext) -> None:
    certified_phone(station, "BACK1", imeis=("356938035643809",))
    code = _handed_over(station, "BACK1")
    again = plug_in(station, "BACK1", imeis=("356938035643809",))
    assert again.state == "quarantined"
    assert again.quarantine_reason is not None
    assert again.quarantine_reason.startswith(f"handed over in {code} on ")
    # The same phone known only by its IMEI (a new serial read) is caught as well.
    by_imei = plug_in(station, "OTHERSERIAL", imeis=("356938035643809",))
    assert by_imei.state == "quarantined"

    assert again.id is not None
    with pytest.raises(StationError, match="only an admin"):
        records.release_left_before(station, TECH, again.id, "returned by the recycler")
    with pytest.raises(StationError, match="say why"):
        records.release_left_before(station, ADMIN, again.id, "  ")
    records.release_left_before(station, ADMIN, again.id, "returned by the recycler")
    with station.session() as s:
        dev = s.get(Device, again.id)
        assert dev is not None and dev.state == "detected"


def _certified_again(station: StationContext, serial: str) -> int:
    """A second record of a phone that left, certified before anyone noticed (e.g. an old
    release); its id."""
    from tests.logistics.conftest import certify

    with station.session() as s:
        s.add(Device(station_id=station.station_id, platform="android", serial=serial,
                     state="detected"))  # fmt: skip
    with station.session() as s:
        dev = s.exec(select(Device).where(Device.serial == serial, Device.state == "detected"))
        dev_id = dev.one().id
    assert dev_id is not None
    certify(station, dev_id)
    return dev_id


def test_a_phone_is_never_in_two_hand_overs_without_a_release(station: StationContext) -> None:
    certified_phone(station, "TWICE")
    first = _handed_over(station, "TWICE")
    dev_id = _certified_again(station, "TWICE")
    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    with pytest.raises(StationError, match=f"handed over in {first} on .*admin must release"):
        batches.add_phone(station, BOSS, b.code, "TWICE")
    records.release_left_before(station, ADMIN, dev_id, "sent back by the recycler")
    batches.add_phone(station, BOSS, b.code, "TWICE")


def test_an_admin_releases_a_returned_phone_from_the_cli(
    station: StationContext,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "admin")
    certified_phone(station, "BACK2")
    _handed_over(station, "BACK2")
    assert plug_in(station, "BACK2").state == "quarantined"
    code, _, err = run_cli(capsys, monkeypatch, "batch", "release", "BACK2", "--reason", " ")
    assert code != 0 and "say why" in err
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "release", "BACK2", "--reason", "RMA")
    assert code == 0 and "released BACK2" in out
    assert plug_in(station, "BACK2").state == "detected"  # not flagged again once released


def test_all_certified_goes_on_past_a_refused_phone_across_transactions(
    station: StationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`add_all_certified` adds a bench's phones a chunk a transaction, each in a savepoint:
    a phone refused in the middle of a chunk is rolled back alone, the rest go in, and the
    audit chain holds exactly the phones that went in."""
    certified_phone(station, "GONE")
    _handed_over(station, "GONE")
    for serial in ("A1", "A2"):
        certified_phone(station, serial)
    again_id = _certified_again(station, "GONE")
    for serial in ("A3", "A4"):
        certified_phone(station, serial)
    monkeypatch.setattr(batches, "ADD_CHUNK", 2)
    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    added, refused = batches.add_all_certified(station, BOSS, b.code)
    assert sorted(d.serial for d in added) == ["A1", "A2", "A3", "A4"]
    assert [(serial, "admin must release" in why) for serial, why in refused] == [("GONE", True)]
    assert [p.serial for p in batches.batch_phones(station, b.code)] == ["A1", "A2", "A3", "A4"]
    with station.session() as s:
        assert s.get(Device, again_id).state == "certified"  # type: ignore[union-attr]
        into = s.exec(
            select(AuditEvent.device_id).where(
                AuditEvent.action == "device.state", col(AuditEvent.payload).contains(b.code)
            )
        ).all()
    assert len(into) == 4 and again_id not in into
    from wipe_station.audit.store import verify_database

    with station.session() as s:
        assert all(r.ok for r in verify_database(s, station.identity))
