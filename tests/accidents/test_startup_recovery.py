"""Start-up is recovery: whatever a previous process left (Ctrl-C, SIGTERM, a crash, an outage
between two transactions), the next start settles it, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from drivers.contract import Outcome, VerificationLevel
from drivers.pipeline import PipelineResult
from tests.accidents.bench import facts, items, phone_at
from wipe_station import settings
from wipe_station.audit.log import Actor
from wipe_station.audit.store import verify_database
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent, Certificate, Device, WipeJob
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState as S
from wipe_station.numbering import NumberLedger
from wipe_station.operators import actor_of, add_operator
from wipe_station.orchestrator import records
from wipe_station.startup import start_station


def _tech(ctx: StationContext) -> Actor:
    admin = add_operator(ctx, "ada", "admin", "1357", by=None)
    return actor_of(add_operator(ctx, "anna", "technician", "2468", by=admin))


def _restart(home: Path, db_url: str, ctx: StationContext):  # type: ignore[no-untyped-def]
    ctx.engine.dispose()  # as a killed process leaves it: nothing signed, nothing settled
    return start_station(home, db_url)


def test_erasures_in_flight_become_interrupted_and_their_jobs_close(
    station: StationContext, home: Path, db_url: str
) -> None:
    anna = _tech(station)
    cut = {
        st: phone_at(station, anna, f"SER{st.value}", st)
        for st in (S.WIPING, S.REBOOTING, S.VERIFYING)
    }
    before_erase = phone_at(station, anna, "SERWAITING", None)  # waiting for approval
    started = _restart(home, db_url, station)
    try:
        ctx = started.ctx
        assert sorted(started.recovery.interrupted) == sorted(d for d, _ in cut.values())
        assert started.recovery.jobs_closed == 1
        assert "cut off last time" in started.recovery.lines()[0]
        with ctx.session() as s:
            for dev_id, job_id in cut.values():
                dev, job = s.get(Device, dev_id), s.get(WipeJob, job_id)
                assert dev is not None and dev.state == S.INTERRUPTED.value
                assert job is not None and job.outcome == "interrupted" and job.ended_at
            dev = s.get(Device, before_erase[0])
            job = s.get(WipeJob, before_erase[1])
            assert dev is not None and dev.state == S.DETECTED.value  # nothing was erased
            assert job is not None and job.outcome == "stopped" and job.ended_at is not None
            moves = s.exec(
                select(AuditEvent.payload)  # type: ignore[call-overload]
                .where(AuditEvent.action == "device.state")
                .where(col(AuditEvent.payload).contains('"to":"interrupted"'))
            ).all()
            assert len(moves) == 3  # each in the audit log
            (report,) = verify_database(s, ctx.identity)
            assert report.ok, report.problem
        # An interrupted phone plugged in again has a way forward: a new job, which judges
        # it by what it reports (tests/accidents/test_interrupted_phone_returns.py), with
        # what the records kept of the erasure before.
        again = records.identified(
            ctx, anna, facts(f"SER{S.REBOOTING.value}"), "1-1", [], emulated=True
        )
        assert again.job_id is not None and again.device.state == S.INTERRUPTED.value
        assert again.before is not None
    finally:
        started.stop()


def test_a_verified_phone_left_without_its_certificate_gets_it_at_start(
    station: StationContext, home: Path, db_url: str
) -> None:
    anna = _tech(station)
    dev_id, job_id = phone_at(station, anna, "SERVERIFIED", S.VERIFIED)
    started = _restart(home, db_url, station)
    try:
        (number,) = started.recovery.certified
        with started.ctx.session() as s:
            cert = s.exec(select(Certificate).where(Certificate.job_id == job_id)).one()
            dev = s.get(Device, dev_id)
            assert cert.number == number and dev is not None and dev.state == "certified"
            assert '"name":"anna"' in cert.payload_json  # who ran the erasure, not "system"
            issued = s.exec(
                select(AuditEvent).where(AuditEvent.action == "certificate.issued")
            ).one()
            assert cert.audit_event_id == issued.id
        again = start_station  # a second start finds nothing left to do
        started.stop()
        started = again(home, db_url)
        assert started.recovery.certified == [] and started.recovery.lines() == []
    finally:
        started.stop()


def test_a_held_erasure_stays_held_and_is_named(
    station: StationContext, home: Path, db_url: str
) -> None:
    with station.session() as s:
        settings.put(s, "erasure.attested", "hold")
    anna = _tech(station)
    found = records.identified(station, anna, facts("SERHELD"), "1-1", [], emulated=True)
    assert found.job_id is not None and found.device.id is not None
    for st in (S.WIPING, S.REBOOTING, S.VERIFYING):
        records.advance(station, anna, found.device.id, st, found.job_id, [])
    result = PipelineResult(Outcome.VERIFIED, "ok", method="m", level=VerificationLevel.ATTESTED)
    records.finish_job(station, anna, found.job_id, found.device.id, result, items("verify"))
    started = _restart(home, db_url, station)
    try:
        assert started.recovery.held == ["SERHELD"] and started.recovery.certified == []
        assert "certificate release" in started.recovery.lines()[0]
    finally:
        started.stop()


def test_verification_and_certificate_commit_together(station: StationContext) -> None:
    anna = _tech(station)
    dev_id, job_id = phone_at(station, anna, "SERTOGETHER", S.VERIFYING)
    result = PipelineResult(Outcome.VERIFIED, "ok", method="m", level=VerificationLevel.READBACK)
    done = records.finish_and_certify(station, anna, job_id, dev_id, result, items("verify"))
    assert done.state is S.CERTIFIED and done.certificate is not None
    with station.session() as s:
        dev = s.get(Device, dev_id)
        assert dev is not None and dev.state == "certified"


def test_a_certificate_that_cannot_be_issued_leaves_the_verification_for_start_up(
    station: StationContext, home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The number ledger cannot be written (a full disk): the verification commits, the phone
    says why it is not yet certified, and the next start certifies it."""
    anna = _tech(station)
    dev_id, job_id = phone_at(station, anna, "SERFULL", S.VERIFYING)

    def full(self: NumberLedger, year: int, seq: int) -> None:
        raise StationError("cannot write the certificate number ledger: No space left on device")

    with monkeypatch.context() as m:
        m.setattr(NumberLedger, "reserve", full)
        result = PipelineResult(
            Outcome.VERIFIED, "ok", method="m", level=VerificationLevel.READBACK
        )
        done = records.finish_and_certify(station, anna, job_id, dev_id, result, items("verify"))
    assert done.state is S.VERIFIED and done.certificate is None
    assert done.problem is not None and "No space left" in done.problem
    with station.session() as s:
        assert s.exec(select(Certificate)).all() == []  # no number without its certificate
        job = s.get(WipeJob, job_id)
        assert job is not None and job.outcome == "verified"  # the erasure is not lost
    started = _restart(home, db_url, station)
    try:
        assert len(started.recovery.certified) == 1
    finally:
        started.stop()


def test_a_verified_phone_plugged_in_again_is_certified(station: StationContext) -> None:
    anna = _tech(station)
    dev_id, _ = phone_at(station, anna, "SERREPLUG", S.VERIFIED)
    number = records.certify_verified(station, dev_id)
    assert number is not None and number.endswith("-000001")
    assert records.certify_verified(station, dev_id) is None  # issued once


def test_a_nearly_full_disk_is_said_at_start(
    home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPE_STATION_MIN_FREE_MB", str(10**9))  # more than any disk here
    started = start_station(home, db_url, create=True)
    try:
        (line,) = started.lines()
        assert line.startswith("warning: only ") and "MB free on the disk of" in line
    finally:
        started.stop()


def test_certificate_release_certifies_a_verified_phone_left_without_one(
    station: StationContext,
) -> None:
    """The CLI's way forward without a restart (`certificate release SERIAL`)."""
    from wipe_station.certify import release_attested

    anna = _tech(station)
    dev_id, job_id = phone_at(station, anna, "SERRELEASE", S.VERIFIED)
    cert = release_attested(station, "SERRELEASE", Actor("ada", None, "admin"))
    assert cert.job_id == job_id and cert.device_id == dev_id
    with pytest.raises(StationError, match="no verified phone"):  # certified now: nothing held
        release_attested(station, "SERRELEASE", Actor("ada", None, "admin"))
