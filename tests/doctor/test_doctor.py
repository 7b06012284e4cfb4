"""`wipe-station doctor` on this machine: each check made to fail for real and then to pass.

Only where a real failure cannot be made here is the OS boundary replaced: `timedatectl` is a
script on PATH (this container has no systemd), and the USB check's "sees buses" case uses the
lab's virtual bus (this machine has no USB bus)."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.usb.udev_rules import render_rules
from wipe_station import doctor
from wipe_station.context import open_station
from wipe_station.doctor import Bench, Level


def _bench(tmp_path: Path, **kw: object) -> Bench:
    return Bench(home=tmp_path / "home", **kw)  # type: ignore[arg-type]


def test_libusb_without_buses_is_a_problem_and_a_bus_is_ok(tmp_path: Path) -> None:
    from drivers.emulated.android.lab import AndroidLab
    from drivers.emulated.android.profile import load_profile
    from drivers.emulated.usb_bus import VirtualUsbBus

    # This machine's libusb: it loads; whether it sees a bus depends on the machine (this
    # container has none), and the finding says which.
    real = doctor.check_libusb(_bench(tmp_path))
    assert (real.level is Level.OK) == ("sees" in real.message and "no USB bus" not in real.message)
    # A bus with nothing on it, and one with a phone: the lab's pyusb backend.
    empty = doctor.check_libusb(_bench(tmp_path, usb_backend=VirtualUsbBus().backend()))
    assert empty.level is Level.PROBLEM and "no USB bus" in empty.message and empty.fix
    with AndroidLab() as lab:
        lab.attach(load_profile("pixel-8-clean"), tcp_port=None, zero_delay=True)
        seen = doctor.check_libusb(_bench(tmp_path, usb_backend=lab.bus.backend()))
    assert seen.level is Level.OK and "1 USB bus" in seen.message


def test_udev_rule_missing_then_installed_then_group(tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    empty = doctor.check_udev(_bench(tmp_path, udev_dirs=(rules,), user="daemon"))
    assert empty.level is Level.PROBLEM and "udev install" in empty.fix
    (rules / "70-wipe-station.rules").write_text(render_rules(group="plugdev"))
    outsider = doctor.check_udev(_bench(tmp_path, udev_dirs=(rules,), user="daemon"))
    assert outsider.level is Level.PROBLEM
    assert outsider.fix.startswith("sudo usermod -aG plugdev daemon")
    # daemon's own group is daemon: a rule for that group lets it in.
    (rules / "70-wipe-station.rules").write_text(render_rules(group="daemon"))
    member = doctor.check_udev(_bench(tmp_path, udev_dirs=(rules,), user="daemon"))
    assert member.level is Level.OK and "in group daemon" in member.message


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_running_adb_server_is_a_problem_until_killed(tmp_path: Path) -> None:
    port = _free_port()
    subprocess.run(["adb", "-P", str(port), "start-server"], check=True, capture_output=True)
    try:
        held = doctor.check_adb_server(_bench(tmp_path, adb_port=port))
    finally:
        subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True)
    assert held.level is Level.PROBLEM and held.fix.startswith("adb kill-server")
    after = doctor.check_adb_server(_bench(tmp_path, adb_port=port))
    # Other engineers' adb servers may run on this machine; ours must be gone.
    assert f"port {port}" not in after.message
    if after.level is Level.OK:
        assert "no adb server" in after.message


def test_usbmuxd_socket_missing_dead_and_answering(tmp_path: Path) -> None:
    path = tmp_path / "usbmuxd"
    missing = doctor.check_usbmuxd(_bench(tmp_path, usbmuxd_socket=path))
    assert missing.level is Level.PROBLEM and "not running" in missing.message
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()  # the file stays, nobody listens: a crashed daemon
    stale = doctor.check_usbmuxd(_bench(tmp_path, usbmuxd_socket=path))
    assert stale.level is Level.PROBLEM and "does not answer" in stale.message
    path.unlink()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen(1)
        ok = doctor.check_usbmuxd(_bench(tmp_path, usbmuxd_socket=path))
    assert ok.level is Level.OK


def test_home_key_database_and_migrations(tmp_path: Path) -> None:
    bench = _bench(tmp_path)
    (nothing,) = doctor.check_home(bench)
    assert nothing.level is Level.PROBLEM and "users add" in nothing.fix
    (no_db,) = doctor.check_database(bench)
    assert no_db.level is Level.PROBLEM
    open_station(bench.home).close()
    assert [f.level for f in doctor.check_home(bench)] == [Level.OK, Level.OK]
    assert [f.level for f in doctor.check_database(bench)] == [Level.OK, Level.OK]
    key = next((bench.home / "keys").glob("*.pem"))
    key.chmod(0o644)
    (_, shared) = doctor.check_home(bench)
    assert shared.level is Level.PROBLEM and shared.fix == f"chmod 600 {key}"
    key.chmod(stat.S_IRUSR | stat.S_IWUSR)
    db = next(bench.home.glob("*.db"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    (_, old) = doctor.check_database(bench)
    assert old.level is Level.WARNING and "0001" in old.message
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    (broken,) = doctor.check_database(bench)
    assert broken.level is Level.PROBLEM and "restore" in broken.fix


def test_postgresql_answering_and_not(tmp_path: Path, pg_url: str) -> None:
    open_station(tmp_path / "home", pg_url).close()
    up = doctor.check_database(_bench(tmp_path, db_url=pg_url))
    assert [f.level for f in up] == [Level.OK, Level.OK] and "PostgreSQL" in up[0].message
    down = doctor.check_database(
        _bench(tmp_path, db_url=f"postgresql://postgres@127.0.0.1:{_free_port()}/x")
    )
    assert down[0].level is Level.PROBLEM and "PostgreSQL does not answer" in down[0].message


@pytest.fixture
def timedatectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    yield bindir / "timedatectl"


@pytest.mark.parametrize("answer,level", [("no", Level.PROBLEM), ("yes", Level.OK)])
def test_clock_synchronisation(
    tmp_path: Path, timedatectl: Path, answer: str, level: Level
) -> None:
    timedatectl.write_text(f"#!/bin/sh\necho {answer}\n")
    timedatectl.chmod(0o755)
    got = doctor.check_clock(_bench(tmp_path))
    assert got.level is level
    assert ("set-ntp" in got.fix) is (level is Level.PROBLEM)


def test_clock_without_an_answer_from_timedatectl_reads_the_kernel(
    tmp_path: Path, timedatectl: Path
) -> None:
    # timedatectl that cannot reach systemd (as in this container): adjtimex(2) answers.
    timedatectl.write_text("#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n")
    timedatectl.chmod(0o755)
    kernel = doctor._kernel_synchronised()
    assert kernel is not None
    got = doctor.check_clock(_bench(tmp_path))
    assert got.level is (Level.OK if kernel else Level.PROBLEM) and "kernel" in got.message


def test_free_disk(tmp_path: Path) -> None:
    full = doctor.check_disk(_bench(tmp_path, min_free_bytes=1 << 62))
    assert full.level is Level.PROBLEM
    fine = doctor.check_disk(_bench(tmp_path, min_free_bytes=0, low_free_bytes=0))
    assert fine.level is Level.OK and "GiB free" in fine.message


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"WSDOCTOR_{uuid.uuid4().hex[:8]}"
    subprocess.run(["lpadmin", "-p", name, "-E", "-v", "file:///dev/null"], check=True)
    try:
        yield name
    finally:
        subprocess.run(["lpadmin", "-x", name], check=False)


def test_printers_stopped_rejecting_unknown_and_ready(tmp_path: Path, queue: str) -> None:
    def check(*names: str) -> doctor.Finding:
        (got,) = doctor.check_printers(_bench(tmp_path, printers=names))
        return got

    assert check(queue).level is Level.OK
    subprocess.run(["cupsdisable", queue], check=True)
    stopped = check(queue)
    assert stopped.level is Level.PROBLEM and stopped.fix == f"cupsenable {queue}"
    subprocess.run(["cupsenable", queue], check=True)
    subprocess.run(["cupsreject", queue], check=True)
    rejecting = check(queue)
    assert rejecting.level is Level.PROBLEM and rejecting.fix == f"cupsaccept {queue}"
    subprocess.run(["cupsaccept", queue], check=True)
    assert check(queue).level is Level.OK
    assert check(queue + "_GONE").level is Level.PROBLEM


def test_fonts(tmp_path: Path) -> None:
    assert doctor.check_fonts(_bench(tmp_path)).level is Level.OK
    gone = doctor.check_fonts(_bench(tmp_path, font_dir=tmp_path))
    assert gone.level is Level.PROBLEM and "missing" in gone.message


def test_exit_status_counts_only_problems() -> None:
    warn = doctor.Finding("disk", Level.WARNING, "low")
    bad = doctor.Finding("clock", Level.PROBLEM, "off")
    assert doctor.exit_status([warn]) == 0
    assert doctor.exit_status([warn, bad]) == 1


def test_the_command_names_each_problem_and_fails(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("doctor", "--usbmuxd-socket", str(tmp_path / "none"))
    assert code == 1
    for name in ("libusb", "udev", "usbmuxd", "home", "database", "clock", "printers", "fonts"):
        assert f" {name}: " in out
    assert "fix: wipe-station users add" in out
    assert out.strip().splitlines()[-1].endswith("warning(s)")


def test_audit_says_when_the_chain_was_last_verified_whole(tmp_path: Path) -> None:
    """Start-up walks only what came after the last verified checkpoint; `doctor` says when the
    whole chain was last walked (a first start or `audit verify --full` does)."""
    import json
    from datetime import timedelta

    from wipe_station.audit import resume
    from wipe_station.paths import resolve_db_url
    from wipe_station.startup import start_station
    from wipe_station.timeutil import iso, utcnow

    bench = _bench(tmp_path)
    assert doctor.check_audit(bench) == []  # no station here: `home` says so
    open_station(bench.home).close()
    (never,) = doctor.check_audit(bench)
    assert never.level is Level.WARNING and never.fix == "wipe-station audit verify --full"
    start_station(bench.home, None).stop()  # no mark yet: the walk is whole
    (fresh,) = doctor.check_audit(bench)
    assert fresh.level is Level.OK and utcnow().date().isoformat() in fresh.message
    start_station(bench.home, None).stop()  # resumed: the date of the whole walk stays
    marks = bench.home / "audit" / "verified.json"
    data = json.loads(marks.read_text())
    (entry,) = data[next(iter(data))].values()
    assert "seq" in entry
    entry["full_at"] = iso(utcnow() - timedelta(days=doctor.FULL_AUDIT_DAYS + 9))
    marks.write_text(json.dumps(data))
    (stale,) = doctor.check_audit(bench)
    assert (
        stale.level is Level.WARNING and f"{doctor.FULL_AUDIT_DAYS + 9} days ago" in stale.message
    )
    url = resolve_db_url(None, bench.home)
    station = json.loads((bench.home / "station.json").read_text())["station_id"]
    assert resume.last_full(bench.home, url, station) is not None
