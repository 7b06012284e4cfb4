"""An iPhone that names itself with markup, a formula and a bidi override (lockdown's XML plists
cannot carry C0 control characters, so those come only from Android and files): erased and
certified like any other, its serial kept exactly, shown escaped, exported inert."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from wipe_station.cli.main import main

SERIAL = "=cmd|' /C calc'!A0[/b]\u202e"
PROFILE = (
    "extends: iphone-13-clean\n"
    "captured:\n"
    '  "":\n'
    f"    SerialNumber: {json.dumps(SERIAL)}\n"
    '    DeviceName: "[@click=app.quit]Kari\'s iPhone"\n'
)


def test_hostile_iphone_is_certified_and_exported_inert(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hostile.yaml").write_text(PROFILE, encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["demo", "--headless", "--fleet", str(tmp_path / "hostile.yaml"), "--json"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert "\u202e" not in out and "\\u202e" in out  # the JSON document escapes it
    (phone,) = json.loads(out)["phones"]
    assert (phone["serial"], phone["state"]) == (SERIAL, "certified")
    monkeypatch.setenv("WIPE_STATION_PIN", "1234")
    export = tmp_path / "certificates.csv"
    with pytest.raises(SystemExit) as done:
        main(["--operator", "demo-admin", "export", "certificates", "-o", str(export)])
    assert done.value.code == 0
    with export.open(newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["serial"] == "'" + SERIAL  # a spreadsheet shows it, never runs it
