"""The commands a newcomer types, run through the real entry point (exit codes, one-line errors)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from wipe_station.cli.main import main


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
    pin: str | None = None,
    operator: str | None = None,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    if pin is None:
        monkeypatch.delenv("WIPE_STATION_PIN", raising=False)
    else:
        monkeypatch.setenv("WIPE_STATION_PIN", pin)
    if operator is None:
        monkeypatch.delenv("WIPE_STATION_OPERATOR", raising=False)
    else:
        monkeypatch.setenv("WIPE_STATION_OPERATOR", operator)
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path, db_url: str
):
    monkeypatch.setenv("WIPE_STATION_DB", db_url)

    def call(*args: str, **kw: str | None) -> tuple[int, str, str]:
        return run(capsys, monkeypatch, *args, **kw)  # type: ignore[arg-type]

    return call


def test_newcomer_flow_add_operator_verify_tamper(cli, home: Path, db_url: str) -> None:
    code, out, _ = cli("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")
    assert (code, out.strip()) == (0, "added kari (admin)")
    code, out, _ = cli("audit", "verify", operator="kari", pin="4321")
    assert code == 0 and out.startswith("OK: station ") and "events, chain intact" in out

    code, out, _ = cli("station", "public-key")
    assert code == 0 and out.startswith("-----BEGIN PUBLIC KEY-----")

    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
            db.execute(
                "UPDATE audit_events SET payload = REPLACE(payload, 'kari', 'kara') WHERE seq = 2"
            )
    else:
        import psycopg

        with psycopg.connect(db_url) as db:
            db.execute(
                "UPDATE audit_events SET payload = REPLACE(payload, 'kari', 'kara') WHERE seq = 2"
            )
    code, _, err = cli("audit", "verify", operator="kari", pin="4321")
    assert code == 1
    assert err.startswith("error: BROKEN: station ") and "event #2 (operator.added" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bundle_export_and_offline_verify(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")
    bundle, pem = tmp_path / "audit.jsonl", tmp_path / "station.pem"
    code, out, _ = cli("audit", "export", "-o", str(bundle), operator="kari", pin="4321")
    assert code == 0 and "exported" in out
    pem.write_text(cli("station", "public-key")[1])
    # Offline: no database, no home with keys.
    monkeypatch.setenv("WIPE_STATION_DB", "postgresql://nobody@127.0.0.1:1/none")
    code, out, err = cli("audit", "verify", "--bundle", str(bundle), "--public-key", str(pem))
    assert code == 0, err
    assert out.startswith("OK: station ")
    code, _, err = cli("audit", "verify", "--bundle", str(bundle))
    assert code == 2 and "needs --public-key" in err


def test_roles_and_pins_on_the_command_line(cli) -> None:
    cli("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")
    code, _, err = cli("users", "add", "ola", "--role", "technician", "--pin-stdin", stdin="5555\n")
    assert code == 3 and "sign in" in err
    code, out, _ = cli(
        "users",
        "add",
        "ola",
        "--role",
        "technician",
        "--pin-stdin",
        stdin="5555\n",
        operator="kari",
        pin="4321",
    )
    assert code == 0
    code, _, err = cli("users", "list", operator="ola", pin="5555")
    assert code == 3 and "ola (technician) may not manage users" in err
    code, _, err = cli("audit", "verify", operator="kari", pin="9999")
    assert code == 3 and "wrong PIN for kari (4 attempts left)" in err
    code, out, _ = cli("users", "list", operator="kari", pin="4321")
    assert "kari" in out and "ola" in out and "technician" in out


@pytest.mark.parametrize(
    "url,message",
    [
        ("postgresql://nobody@127.0.0.1:1/none", "refuses connections (is the server running?)"),
        ("mysql://x@localhost/db", "unsupported database"),
        ("::::", "not a database URL"),
    ],
)
def test_bad_database_urls_are_one_line_errors(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    url: str,
    message: str,
) -> None:
    code, _, err = run(capsys, monkeypatch, "--db", url, "station", "init")
    assert code == 2 and message in err and "Traceback" not in err


def test_locked_sqlite_file_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path, tmp_path: Path
) -> None:
    db = tmp_path / "locked.db"
    url = f"sqlite:///{db}"
    code, _, _ = run(capsys, monkeypatch, "--db", url, "station", "init")
    assert code == 0
    monkeypatch.setattr("wipe_station.db.engine.SQLITE_BUSY_MS", 300)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = run(
            capsys,
            monkeypatch,
            "--db",
            url,
            "users",
            "add",
            "x",
            "--role",
            "admin",
            "--pin-stdin",
            stdin="1234\n",
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 2 and "database is locked by another program" in err
