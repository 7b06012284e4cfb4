"""The whole pipeline on a mixed lab fleet: phones in, certificates out, records consistent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from certificates.render import render_certificate
from certificates.verify import verify_pdf
from wipe_station.audit.store import verify_database
from wipe_station.certify import signed_from_record
from wipe_station.context import open_station
from wipe_station.db.models import Certificate, Device, Evidence, WipeJob
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.headless import run_headless


def test_mixed_fleet_ends_with_the_right_outcomes(home: Path, db_url: str) -> None:
    ctx = open_station(home, db_url)
    try:
        op = demo_operator(ctx, None, None)
        summary = asyncio.run(run_headless(ctx, actor_of(op), 16))
        # 8 Android (4 clean, 1 guided, FRP, SIM, liar) + 8 iPhones (5 clean, Find My, SIM, liar).
        assert (summary.phones, summary.certified, summary.blocked, summary.failed) == (
            16,
            10,
            4,
            2,
        )
        with ctx.session() as s:
            devices = s.exec(select(Device)).all()
            by_state = {d.serial: d.state for d in devices}
            assert sorted(by_state.values()).count("certified") == 10
            assert all(d.emulated for d in devices)
            liars = [d for d in devices if d.serial.startswith("R5CW30LI")]
            assert [d.state for d in liars] == ["failed"]
            certs = s.exec(select(Certificate)).all()
            assert len(certs) == 10 and all(c.emulated for c in certs)
            levels: dict[str | None, int] = {}
            numbers = sorted(c.sequence for c in certs)
            assert numbers == list(range(1, 11))  # gapless under concurrency
            for cert in certs:
                job = s.get(WipeJob, cert.job_id)
                assert job is not None and job.outcome == "verified"
                checks = s.exec(select(Evidence.check).where(Evidence.job_id == job.id)).all()
                # Each certificate rests on what proves its route: a restarted boot count and a
                # new Android ID (Test Harness), the technician's confirmation (guided
                # recovery), or an iPhone refusing the old pairing.
                proof = {
                    "test_harness": {"boot_count_restarted", "android_id_changed"},
                    "guided_recovery": {"technician_attestation"},
                    "mobilebackup2": {"old_pairing_rejected"},
                }[job.route or ""]
                assert proof <= set(checks), (job.route, checks)
                levels[job.verification_level] = levels.get(job.verification_level, 0) + 1
            assert levels == {"readback": 9, "attested": 1}
            pem = ctx.identity.public_key_pem().encode()
            (verified,) = verify_pdf(render_certificate(signed_from_record(certs[0])), pem)
            assert verified.payload.emulated is True
            reports = verify_database(s, ctx.identity)
        assert all(r.ok for r in reports), [r.problem for r in reports]
    finally:
        ctx.close()
