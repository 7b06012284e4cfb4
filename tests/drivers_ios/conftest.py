"""Fixtures for the iOS driver tests: a lab on a private socket and a station key directory."""

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
    path = Path(tempfile.mkdtemp(prefix="drv-ios-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def key_dir(short_dir: Path) -> Path:
    return short_dir / "keys"


@pytest.fixture
async def lab(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[IosLab]:
    # The driver must always use the address it was given; any fallback to the default usbmuxd
    # lands on a path that does not exist and fails the test instead of touching a real one.
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(short_dir / "no-such-usbmuxd"))
    async with IosLab(str(short_dir / "usbmuxd"), time_scale=0.0) as running:
        yield running
