from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wipe_station.errors import StationError
from wipe_station.identity import KEY_FILE, load_or_create, load_public_key


def test_first_use_creates_a_private_key_file_and_reuses_it(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    key_file = tmp_path / "keys" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    again = load_or_create(tmp_path)
    assert again.station_id == first.station_id
    assert again.public_key_pem() == first.public_key_pem()
    assert load_public_key(first.public_key_pem()) is not None
    assert "PRIVATE" not in repr(first) and "BEGIN" not in repr(first)


def test_station_id_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIPE_STATION_ID", "osl01")
    assert load_or_create(tmp_path).station_id == "OSL01"


def test_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    load_or_create(tmp_path)
    (tmp_path / "keys" / KEY_FILE).unlink()
    with pytest.raises(StationError, match="is missing; restore it from backup"):
        load_or_create(tmp_path)


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create(tmp_path)
    (tmp_path / "keys" / KEY_FILE).chmod(0o644)
    with pytest.raises(StationError, match="readable by others"):
        load_or_create(tmp_path)


def test_damaged_key_is_a_clear_error(tmp_path: Path) -> None:
    load_or_create(tmp_path)
    key = tmp_path / "keys" / KEY_FILE
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(StationError, match="damaged or not a PEM private key"):
        load_or_create(tmp_path)


def test_wrong_public_key_type_is_refused() -> None:
    with pytest.raises(StationError, match="not a PEM public key"):
        load_public_key(b"hello")
