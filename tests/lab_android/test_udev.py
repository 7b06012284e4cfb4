from __future__ import annotations

import io
from pathlib import Path

import pytest

from drivers.usb.udev_rules import render_rules
from drivers.usb.vendors import ANDROID_VENDORS, APPLE
from wipe_station.cli.main import main

RULES = Path(__file__).resolve().parents[2] / "udev" / "70-wipe-station.rules"


def test_committed_rules_match_the_vendor_table() -> None:
    assert RULES.read_text() == render_rules("plugdev")
    for vid in [*ANDROID_VENDORS, APPLE]:
        assert f'ATTR{{idVendor}}=="{vid:04x}", MODE="0660", GROUP="plugdev"' in RULES.read_text()


def test_udev_install_writes_the_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rules.d" / "70-wipe-station.rules"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exc:
        main(["udev", "install", "--group", "depot", "--path", str(target)])
    assert exc.value.code == 0
    assert target.read_text() == render_rules("depot")
    assert "usermod -aG depot" in capsys.readouterr().out
