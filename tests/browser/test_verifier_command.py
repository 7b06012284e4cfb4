"""`wipe-station station verifier`: one HTML file, written whole, holding every station's key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.corpus import run_cli as run
from wipe_station.auditor_page import StationKey
from wipe_station.context import open_station


@pytest.mark.postgres
def test_a_depot_page_holds_each_stations_key_and_nothing_external(
    home: Path, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPE_STATION_DB", pg_url)
    second = open_station(tmp_path / "second-home", pg_url, create=True)  # another station
    second_key = StationKey(second.station_id, "", second.identity.public_key_pem())
    second.engine.dispose()
    code, _, err = run("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")
    assert code == 0, err
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "kari")
    monkeypatch.setenv("WIPE_STATION_PIN", "4321")
    code, _, err = run("users", "add", "ada", "--role", "auditor", "--pin-stdin", stdin="8642\n")
    assert code == 0, err
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "ada")
    monkeypatch.setenv("WIPE_STATION_PIN", "8642")
    out_file = tmp_path / "verify.html"
    code, out, err = run("station", "verifier", "-o", str(out_file))
    assert code == 0, err
    html = out_file.read_text(encoding="utf-8")
    assert second_key.fingerprint() in out and second_key.fingerprint() in html
    assert len(re.findall(r"station \w+: SHA-256", out)) == 2
    assert not list(tmp_path.glob(".*.partial"))  # renamed into place, nothing left beside it
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1) and "connect-src 'none'" in csp.group(1)
    # Nothing loaded from anywhere: no src or href attribute, no url() in the style.
    assert not re.search(r"\s(src|href)=", html) and not re.search(r"(?<!\w)url\(", html)
    code, _, err = run("station", "verifier", "-o", str(out_file))
    assert code != 0 and "exists" in err  # replaced only with --force


def test_a_technician_may_not_write_one(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")[0] == 0
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "kari")
    monkeypatch.setenv("WIPE_STATION_PIN", "4321")
    assert run("users", "add", "tom", "--role", "technician", "--pin-stdin", stdin="1111\n")[0] == 0
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "tom")
    monkeypatch.setenv("WIPE_STATION_PIN", "1111")
    code, _, _err = run("station", "verifier", "-o", str(tmp_path / "v.html"))
    assert code != 0 and not (tmp_path / "v.html").exists()
