"""The CLI with hostile input: listings show text, exports are inert, files stay private, no
traceback ever reaches the user, and nothing secret reaches the log."""

from __future__ import annotations

import contextlib
import csv
import io
import stat
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.hostile.strings import HOSTILE, SAMPLES, clean, hostile_text
from tests.logistics.conftest import ACME, certified_phone, cli_as, logistics_station, run_cli
from wipe_station import csv_safe
from wipe_station.context import StationContext
from wipe_station.db.models import Customer, Device
from wipe_station.errors import StationError

pytestmark = pytest.mark.usefixtures("home")


@pytest.fixture
def station(home: Path, db_url: str):  # type: ignore[no-untyped-def]
    yield from logistics_station(home, db_url)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _lines_clean(text: str) -> bool:
    return all(clean(line) for line in text.split("\n"))


def test_listings_and_exports_of_a_hostile_phone(
    station: StationContext, db_url: str, monkeypatch, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    model = '=HYPERLINK("http://evil")\x1b]0;owned\x07\u202e[/b]'
    certified_phone(station, "R58HOSTILE1", model=model)
    cli_as(station, db_url, monkeypatch, "admin")
    code, out, err = run_cli(capsys, monkeypatch, "certificate", "list")
    assert code == 0 and _lines_clean(out) and "R58HOSTILE1" in out
    code, out, _ = run_cli(capsys, monkeypatch, "intake", "unmatched")
    assert code == 0 and _lines_clean(out) and "\\x1b]0;owned\\x07\\u202e[/b]" in out
    code, out, _ = run_cli(capsys, monkeypatch, "audit", "sample", "--percent", "100")
    assert code == 0 and _lines_clean(out)
    target = tmp_path / "certs.csv"
    code, _, err = run_cli(capsys, monkeypatch, "export", "certificates", "-o", str(target))
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    for row in rows:
        assert not any(c.lstrip(" ").startswith(csv_safe.FORMULA_START) for c in row)
    assert any("'" + model in row for row in rows)  # the value kept, only made inert
    assert _mode(target) == 0o600


def test_output_never_overwrites_without_force_nor_touches_the_keys(
    station: StationContext, db_url: str, monkeypatch, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    certified_phone(station, "R58FILES01")
    cli_as(station, db_url, monkeypatch, "admin")
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    target.chmod(0o644)
    code, _, err = run_cli(capsys, monkeypatch, "export", "certificates", "-o", str(target))
    assert code == 2 and "--force" in err and target.read_text() == "keep me"
    code, _, err = run_cli(
        capsys, monkeypatch, "export", "certificates", "-o", str(target), "--force"
    )
    assert code == 0 and "R58FILES01" in target.read_text() and _mode(target) == 0o600
    # A link that leads to the signing key, and a new file beside it: both refused.
    key = next(p for p in station.keys_dir.iterdir() if p.is_file())
    link = tmp_path / "innocent.csv"
    link.symlink_to(key)
    before = {p: p.read_bytes() for p in station.keys_dir.iterdir()}
    for path in (link, station.keys_dir / "new.csv"):
        code, _, err = run_cli(
            capsys, monkeypatch, "export", "certificates", "-o", str(path), "--force"
        )
        assert code == 2 and "refusing" in err
    assert {p: p.read_bytes() for p in station.keys_dir.iterdir()} == before
    # The station still works afterwards.
    code, out, _ = run_cli(capsys, monkeypatch, "certificate", "list")
    assert code == 0 and "R58FILES01" in out


def test_home_database_and_logs_are_private_whatever_the_umask(
    tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    import os

    home = tmp_path / "loose"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    monkeypatch.setenv("WIPE_STATION_HOME", str(home))
    old = os.umask(0o022)
    try:
        code, _, err = run_cli(capsys, monkeypatch, "station", "init")
    finally:
        os.umask(old)
    assert code == 0
    assert "warning:" in err and str(home) in err  # it says it tightened the home
    assert _mode(home) == 0o700
    for name in ("station.db", "station.db-wal", "station.db-shm"):
        if (home / name).exists():
            assert _mode(home / name) == 0o600, name
    assert _mode(home / "station.db") == 0o600


def test_an_unexpected_error_is_one_line_and_the_log_holds_no_secret(
    station: StationContext, db_url: str, monkeypatch, capsys, home: Path
) -> None:  # type: ignore[no-untyped-def]
    cli_as(station, db_url, monkeypatch, "admin")
    secret_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

    def boom(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError(
            f"the row was {secret_hash} with -----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----"
        )

    monkeypatch.setattr("wipe_station.customers.list_customers", boom)
    monkeypatch.setattr("wipe_station.cli.customers.list_customers", boom)
    code, _out, err = run_cli(capsys, monkeypatch, "customers", "list")
    assert code == 70
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "RuntimeError" in err and "wipe-station.log" in err
    log = home / "logs" / "wipe-station.log"
    assert _mode(log) == 0o600
    text = log.read_text()
    assert "Traceback" in text and "boom" in text
    assert secret_hash not in text and "PRIVATE KEY-----x" not in text


def test_two_stations_adding_the_same_operator(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """The race: both checked, both inserted; the loser says so without the PIN hash."""
    from wipe_station import operators

    cli_as(station, db_url, monkeypatch, "admin")
    original = operators._insert_operator

    def racing(ctx, name, role_v, pin, by):  # type: ignore[no-untyped-def]
        original(ctx, name, role_v, pin, by)  # the other station wins the race …
        with ctx.session() as s:  # … and this one inserts too, past its own check
            row = operators.Operator(
                name=name, role=role_v.value, pin_hash=operators._hasher.hash(pin)
            )
            s.add(row)
            s.flush()

    monkeypatch.setattr(operators, "_insert_operator", racing)
    code, _out, err = run_cli(
        capsys,
        monkeypatch,
        "users",
        "add",
        "kari",
        "--role",
        "technician",
        "--pin-stdin",
        stdin="4321\n",
    )
    assert code == 2 and "operator 'kari' exists already" in err
    assert "argon2" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("retention.personal_months", "100000"),
        ("retention.accounting_years", "0"),
        ("ui.idle_minutes", "nan"),
        ("erasure.attested", "maybe"),
        ("depot.timezone", "Mars/Olympus"),
        ("depot.organization", "Depot\x1b]0;x\x07"),
        ("depot.org_number", "=1+2"),
    ],
)
def test_settings_out_of_range_are_refused_when_set(
    station: StationContext, db_url: str, monkeypatch, capsys, key: str, value: str
) -> None:  # type: ignore[no-untyped-def]
    cli_as(station, db_url, monkeypatch, "admin")
    code, _, err = run_cli(capsys, monkeypatch, "settings", "set", key, value)
    assert code == 2 and key in err and _lines_clean(err)
    code, _, _ = run_cli(capsys, monkeypatch, "settings", "set", "erasure.attested", "hold")
    assert code == 0


def test_dates_out_of_range_are_refused(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    cli_as(station, db_url, monkeypatch, "admin")
    code, _, err = run_cli(
        capsys, monkeypatch, "customers", "set", ACME, "--contract-end", "9999-12-31"
    )
    assert code == 2 and "out of range" in err
    code, _, err = run_cli(capsys, monkeypatch, "certificate", "list", "--from", "0001-01-01")
    assert code == 2 and "out of range" in err


def test_retention_goes_on_past_one_bad_customer(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """A contract end stored before dates were checked (9999-12-31) used to stop every run."""
    from tests.logistics.conftest import BOSS, OTHER
    from wipe_station.intake import import_text

    with station.session() as s:
        acme = s.exec(
            __import__("sqlmodel").select(Customer).where(Customer.org_number == ACME)
        ).one()
        acme.contract_end = date(9999, 12, 31)
        other = s.exec(
            __import__("sqlmodel").select(Customer).where(Customer.org_number == OTHER)
        ).one()
        other.contract_end = date(2020, 1, 31)
    import_text(
        station,
        BOSS,
        f"org_number;serial;employee_name\n{ACME};R58A;Kari Acme\n{OTHER};R58O;Ola Other\n",
        "returns.csv",
    )
    cli_as(station, db_url, monkeypatch, "admin")
    code, out, err = run_cli(capsys, monkeypatch, "retention", "run")
    assert code == 1 and f"skipped customer {ACME}" in err
    assert f"anonymised customer {OTHER}" in out
    from wipe_station import intake

    names = {v.serial: v.employee_name for v in intake.list_lines(station)}
    assert names == {"R58A": "Kari Acme", "R58O": None}


def test_a_128_kb_header_is_one_clear_error(
    station: StationContext, db_url: str, monkeypatch, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cli_as(station, db_url, monkeypatch, "logistics")
    big = tmp_path / "big.csv"
    big.write_text("org_number;serial;" + "x" * 131_072 + "\n974760673;R58X\n")
    code, _out, err = run_cli(capsys, monkeypatch, "intake", "import", str(big))
    assert code == 2 and "header row is at most" in err and len(err.splitlines()) == 1
    assert "Traceback" not in err


@settings(HOSTILE, max_examples=8)  # each example runs the CLI twice
@given(cell=hostile_text)
def test_intake_cells_come_back_as_text(
    station: StationContext, db_url: str, monkeypatch, capsys, tmp_path: Path, cell: str
) -> None:  # type: ignore[no-untyped-def]
    """Whatever a customer's spreadsheet holds, import reports it and lists it as text."""
    monkeypatch.setenv("WIPE_STATION_DB", db_url)
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "admin1")
    monkeypatch.setenv("WIPE_STATION_PIN", "2468")
    from wipe_station.operators import add_operator

    with contextlib.suppress(StationError):  # the first example made it
        add_operator(station, "admin1", "admin", "2468", by=None)
    quoted = cell.replace('"', '""')
    f = tmp_path / "hostile.csv"
    f.write_bytes(
        (f'org_number;serial;employee_name;"{quoted}"\n{ACME};"{quoted}";"{quoted}";x\n').encode(
            "utf-8", "surrogatepass"
        )
    )
    code, out, err = run_cli(capsys, monkeypatch, "intake", "import", str(f))
    assert code in (0, 1, 2) and "Traceback" not in err
    assert _lines_clean(out) and _lines_clean(err)
    code, out, err = run_cli(capsys, monkeypatch, "intake", "list")
    assert code == 0 and _lines_clean(out)


def test_device_descriptions_fit_their_fields_on_both_databases(station: StationContext) -> None:
    from tests.logistics.conftest import plug_in

    for text in SAMPLES:
        dev = plug_in(station, "R58LEN" + str(len(text)), model=text)
        with station.session() as s:
            stored = s.get(Device, dev.id)
            assert stored is not None and len(stored.model) <= 100
            assert text.replace("\x00", "\ufffd").startswith(stored.model.rstrip("…"))
