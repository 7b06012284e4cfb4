"""Fixtures for the iOS lab conformance tests: a lab on a private socket, instant delays."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from drivers.emulated.ios import IosLab


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are limited to ~107 bytes; pytest's tmp_path can exceed that."""
    path = Path(tempfile.mkdtemp(prefix="lab-ios-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def mux_path(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(short_dir / "usbmuxd")
    # pymobiledevice3 stores a new pair record with usbmuxd through the default address, which
    # honours the libusbmuxd variable; point it at the lab, never at a real /var/run/usbmuxd.
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", path)
    return path


@pytest.fixture
def records_dir(short_dir: Path) -> Path:
    path = short_dir / "records"
    path.mkdir()
    return path


@pytest.fixture
async def lab(mux_path: str) -> AsyncIterator[IosLab]:
    async with IosLab(mux_path, time_scale=0.0) as running:
        yield running
