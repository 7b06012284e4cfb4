from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner

from drivers.emulated.android.lab import AndroidLab


@pytest.fixture
def lab() -> Iterator[AndroidLab]:
    with AndroidLab() as lab:
        yield lab


@pytest.fixture(scope="session")
def signer(tmp_path_factory: pytest.TempPathFactory) -> PythonRSASigner:
    path: Path = tmp_path_factory.mktemp("adbkey") / "adbkey"
    keygen(str(path))
    return PythonRSASigner(path.with_suffix(".pub").read_text(), path.read_text())
