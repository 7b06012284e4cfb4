from __future__ import annotations

import io
from pathlib import Path

import pytest

from wipe_station.cli.main import main


def _cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO("2468\n"))
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_customers_with_validated_org_numbers(
    home: Path, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPE_STATION_DB", db_url)
    assert (
        _cli(capsys, monkeypatch, "users", "add", "boss", "--role", "admin", "--pin-stdin")[0] == 0
    )
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "boss")
    monkeypatch.setenv("WIPE_STATION_PIN", "2468")
    code, out, _ = _cli(
        capsys,
        monkeypatch,
        "customers",
        "add",
        "974 760 673",
        "--name",
        "Acme AS",
        "--contract-end",
        "2026-06-30",
    )
    assert (code, out.strip()) == (0, "added 974760673 Acme AS")
    code, _, err = _cli(capsys, monkeypatch, "customers", "add", "974760674", "--name", "Bad")
    assert code == 2 and "not a valid Norwegian organisation number" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = _cli(capsys, monkeypatch, "customers", "add", "974760673", "--name", "Again")
    assert code == 2 and "exists already" in err
    assert (
        _cli(capsys, monkeypatch, "customers", "set", "974760673", "--contract-end", "2027-01-31")[
            0
        ]
        == 0
    )
    code, out, _ = _cli(capsys, monkeypatch, "customers", "list")
    assert "974760673  Acme AS" in out and "2027-01-31" in out
