"""`demo --headless --fleet FILE… --json`: exactly the given lab profiles, Android and iOS, end to
end, with each phone's route and verification level; attested erasures held for a supervisor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from wipe_station.cli.main import main
from wipe_station.context import open_station
from wipe_station.db.models import AuditEvent, Certificate, Evidence, WipeJob

PROFILES = {
    # Android 14, no screen lock, debugging authorised: Test Harness, read back over ADB.
    "th.yaml": "extends: pixel-8-clean\n",
    # Screen lock with an unknown PIN: guided recovery, the technician confirms the screen.
    "locked.yaml": "extends: pixel-7-locked\n",
    # Debugging off and a Google account still signed in, which the station cannot see: the
    # guided reset ends on "Verify your account", so the phone goes back to the customer.
    "frp.yaml": (
        "platform: android\nextends: pixel-6a-debug-off\nserial: 26061JEC2000FR\n"
        "accounts: [com.google]\n"
    ),
    "iphone.yaml": "extends: iphone-13-clean\n",
}


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    files = []
    for name, text in PROFILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    with pytest.raises(SystemExit) as done:
        main(["demo", "--headless", *args, "--fleet", *files, "--json"])
    out = capsys.readouterr().out
    assert done.value.code == 0, out
    return json.loads(out)


def test_fleet_files_report_route_and_level_per_phone(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run(tmp_path, capsys)
    phones = {p["serial"]: p for p in report["phones"]}
    assert len(phones) == 4
    th, locked, frp = phones["39021FDH2000AB"], phones["28211FDH3000LK"], phones["26061JEC2000FR"]
    assert (th["state"], th["route"], th["verification"]) == (
        "certified",
        "test_harness",
        "readback",
    )
    assert (locked["state"], locked["route"], locked["verification"]) == (
        "certified",
        "guided_recovery",
        "attested",
    )
    assert (frp["state"], frp["route"], frp["certificate"]) == (
        "quarantined",
        "guided_recovery",
        None,
    )
    assert frp["activation_lock"] == "locked"
    (iphone,) = [p for p in report["phones"] if p["platform"] == "ios"]
    assert (iphone["state"], iphone["verification"]) == ("certified", "readback")
    assert report["summary"]["certified_by_level"] == {"readback": 2, "attested": 1}
    assert report["summary"]["quarantined"] == 1

    ctx = open_station(home, None)
    try:
        with ctx.session() as s:
            cert = s.exec(
                select(Certificate).where(Certificate.number == locked["certificate"])
            ).one()
            payload = json.loads(cert.payload_json)["mobile"]
            assert payload["verification_level"] == "attested"
            assert payload["attested_by"] == "demo-technician"
            assert payload["reset_route"] == "guided_recovery"
            job = s.get(WipeJob, cert.job_id)
            assert job is not None and job.attested_by is not None
            said = s.exec(
                select(Evidence).where(
                    Evidence.job_id == job.id, Evidence.check == "technician_attestation"
                )
            ).one()
            assert said.ok and said.response.startswith("welcome")
            attested = s.exec(
                select(AuditEvent).where(AuditEvent.action == "erasure.attested")
            ).all()
            assert sorted(json.loads(e.payload)["screen"] for e in attested) == [
                "owner_lock",
                "welcome",
            ]
            assert {e.operator for e in attested} == {"demo-technician"}
    finally:
        ctx.close()


def test_attested_erasures_wait_for_a_supervisor_when_the_depot_says_so(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPE_STATION_PIN", "1234")
    with pytest.raises(SystemExit):
        main(["demo", "--headless", "--phones", "1"])  # makes the demo home and its operators
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["--operator", "demo-admin", "settings", "set", "erasure.attested", "hold"])
    assert done.value.code == 0
    capsys.readouterr()
    report = _run(tmp_path, capsys)
    phones = {p["serial"]: p for p in report["phones"]}
    held = phones["28211FDH3000LK"]
    assert (held["state"], held["certificate"]) == ("verified", None)
    assert phones["39021FDH2000AB"]["state"] == "certified"  # read back: never held

    # Releasing is a supervisor's (admin's) decision, not the technician's.
    with pytest.raises(SystemExit) as done:
        main(["--operator", "demo-technician", "certificate", "release", "28211FDH3000LK"])
    assert done.value.code != 0
    assert "release" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["--operator", "demo-admin", "certificate", "release", "28211FDH3000LK"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "released and certified: WS-" in out
    ctx = open_station(home, None)
    try:
        with ctx.session() as s:
            job = s.exec(select(WipeJob).where(WipeJob.verification_level == "attested")).first()
            assert job is not None and job.released_by is not None
            assert s.exec(select(AuditEvent).where(AuditEvent.action == "erasure.released")).one()
    finally:
        ctx.close()
