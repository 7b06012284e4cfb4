"""Issuing certificates from records, printing them, verifying them offline via the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import select

from wipe_station.audit.log import Actor
from wipe_station.certify import issue_certificate, signed_from_record
from wipe_station.cli.main import main
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent, Certificate, Device, Evidence, WipeJob
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState
from wipe_station.timeutil import utcnow

TECH = Actor("tech1", None, "technician")


def make_verified_job(station: StationContext, serial: str = "R58N12ABCDE") -> int:
    with station.session() as s:
        dev = Device(
            station_id=station.station_id,
            platform="android",
            serial=serial,
            manufacturer="samsung",
            model="Galaxy S23",
            model_code="SM-S911B",
            os_version="14",
            imei="356938035643809",
            state=DeviceState.VERIFIED,
        )
        s.add(dev)
        s.flush()
        job = WipeJob(
            device_id=dev.id,
            station_id=station.station_id,
            method="Recovery reset",
            erasure_class="purge",
            outcome="verified",
            ended_at=utcnow(),
        )
        s.add(job)
        s.flush()
        for i, (step, check, ok) in enumerate(
            [
                ("blockers", "frp_account", True),
                ("verify", "accounts", True),
                ("verify", "setup_wizard", True),
            ],
            start=1,
        ):
            s.add(
                Evidence(
                    job_id=job.id,
                    seq=i,
                    step=step,
                    check=check,
                    request="dumpsys account",
                    response="Accounts: 0",
                    ok=ok,
                )
            )
        assert job.id is not None
        return job.id


def test_verified_job_gets_a_signed_numbered_certificate(station: StationContext) -> None:
    job_id = make_verified_job(station)
    cert = issue_certificate(station, job_id, TECH)
    assert cert.number == f"WS-{station.station_id}-{utcnow().year}-000001"
    signed = signed_from_record(cert)
    signed.verify(station.identity.public_key)
    p = signed.payload
    assert p.media.serial_number == "R58N12ABCDE" and p.sanitization.method_type == "Purge"
    assert p.mobile.imeis == ("356938035643809",)
    assert [b.code for b in p.mobile.blockers] == ["frp_account"]
    with station.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "certificate.issued")).one()
        dev = s.get(Device, cert.device_id)
        assert dev is not None and dev.state == "certified"
    assert (p.audit.seq, p.audit.event_hash) == (event.seq, event.hash)
    # Issuing again for the same job returns the same certificate, never a second number.
    assert issue_certificate(station, job_id, TECH).number == cert.number


def test_only_verified_erasures_are_certified(station: StationContext) -> None:
    job_id = make_verified_job(station)
    with station.session() as s:
        job = s.get(WipeJob, job_id)
        assert job is not None
        job.outcome = "failed"
        s.add(job)
    with pytest.raises(StationError, match="only a verified erasure gets a certificate"):
        issue_certificate(station, job_id, TECH)
    with station.session() as s:
        assert s.exec(select(Certificate)).all() == []


def _cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_export_batch_and_offline_verify_on_the_command_line(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wipe_station.operators import add_operator

    add_operator(station, "boss", "admin", "2468", by=None)
    numbers = [
        issue_certificate(station, make_verified_job(station, f"SER{i}"), TECH).number
        for i in range(3)
    ]
    monkeypatch.setenv("WIPE_STATION_DB", db_url)
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "boss")
    monkeypatch.setenv("WIPE_STATION_PIN", "2468")
    code, out, _ = _cli(capsys, monkeypatch, "certificate", "list")
    assert code == 0 and all(n in out for n in numbers) and "3 certificates" in out

    pdf, pem, batch = tmp_path / "c.pdf", tmp_path / "station.pem", tmp_path / "batch.pdf"
    assert _cli(capsys, monkeypatch, "certificate", "export", numbers[1], "-o", str(pdf))[0] == 0
    pem.write_text(station.identity.public_key_pem())
    code, out, _ = _cli(
        capsys, monkeypatch, "certificate", "verify", str(pdf), "--public-key", str(pem)
    )
    assert code == 0 and out.startswith(f"VALID: {numbers[1]}") and "SER1" in out

    assert _cli(capsys, monkeypatch, "certificate", "batch", "-o", str(batch))[0] == 0
    code, out, _ = _cli(
        capsys, monkeypatch, "certificate", "verify", str(batch), "--public-key", str(pem)
    )
    assert code == 0 and out.count("VALID: ") == 3

    data = bytearray(pdf.read_bytes())
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(data[: len(data) // 2]))
    code, _, err = _cli(
        capsys, monkeypatch, "certificate", "verify", str(broken), "--public-key", str(pem)
    )
    assert code == 1 and err.startswith("error: FORGED: broken.pdf:")
