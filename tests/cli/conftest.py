"""Running the real entry point in-process: exit code, stdout and stderr of one command."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from wipe_station.cli.main import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path) -> Run:
    """``run(*argv, stdin="")`` -> (exit code, stdout, stderr), in the ``home`` fixture's home."""

    def call(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err

    return call


@pytest.fixture
def admin(run: Run, monkeypatch: pytest.MonkeyPatch) -> str:
    """A station set up the README's way, its first admin signed in for every later command."""
    code, _, err = run("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")
    assert code == 0, err
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "kari")
    monkeypatch.setenv("WIPE_STATION_PIN", "4321")
    return "kari"
