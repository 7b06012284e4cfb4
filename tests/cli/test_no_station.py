"""No command makes a station as a side effect: on a home without one, every command that needs
a station says so, names the home and how to set one up, and leaves the home as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.privacy.test_roles import MATRIX

# The commands that set a station up (the demo has its own test below), and the ones that
# never touch a station: offline checks of files, the lab, udev rules.
SETS_UP = {"users add"}
NO_STATION_NEEDED = {"certificate verify", "batch verify"}


def _argv(path: str, args: list[str], tmp: Path) -> list[str]:
    return path.split() + [a.replace("{tmp}", str(tmp)) for a in args]


@pytest.mark.parametrize(
    "path", [*sorted(set(MATRIX) - SETS_UP), "station public-key", "station info"]
)
def test_a_command_on_a_home_without_a_station_says_so_and_creates_nothing(
    run: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "kari")
    monkeypatch.setenv("WIPE_STATION_PIN", "4321")
    (tmp_path / "in.csv").write_text("org;serial\n974760673;SER1\n")
    args = MATRIX[path][0] if path in MATRIX else []
    code, out, err = run(*_argv(path, args, tmp_path))
    assert code == 2, (out, err)
    assert err.startswith(f"error: no station in {home}")
    assert "users add NAME --role admin" in err and "--home" in err
    assert "Traceback" not in err
    assert not home.exists(), "the refused command left files behind"


def test_public_key_after_the_demo_names_the_home_instead_of_making_a_second_station(
    run: Run, home: Path, tmp_path: Path
) -> None:
    """The issue's report: `station public-key` without --home after the demo made a new key."""
    demo_home = tmp_path / "demo"
    code, demo_pem, _ = run("--home", str(demo_home), "demo", "--public-key")
    assert code == 0 and demo_pem.startswith("-----BEGIN PUBLIC KEY-----")
    code, again, _ = run("--home", str(demo_home), "station", "public-key")
    assert (code, again) == (0, demo_pem)  # the README's two ways give the same key
    code, out, err = run("station", "public-key")  # the default home: nothing there
    assert code == 2 and out == "" and f"no station in {home}" in err
    assert not home.exists()


def test_users_add_sets_up_a_station_only_for_its_first_admin(run: Run, home: Path) -> None:
    code, _, err = run("users", "add", "ola", "--role", "technician", "--pin-stdin", stdin="1\n")
    assert code == 2 and "first operator must be an admin" in err
    assert not home.exists()
    code, out, err = run("users", "add", "kari", "--role", "admin", "--pin-stdin", stdin="4321\n")
    assert code == 0 and out.strip() == "added kari (admin)"
    assert "set up station" in err and str(home) in err
    code, out, _ = run("station", "info")
    assert code == 0 and f"home:       {home}" in out


def test_station_init_sets_up_once_and_then_only_says_which(run: Run, home: Path) -> None:
    code, out, _ = run("station", "init")
    assert code == 0 and "now holds station" in out
    first = out.split()[-1]
    code, out, _ = run("station", "init")
    assert code == 0 and out.strip() == f"{home} already holds station {first}"
    code, out, _ = run("station", "info")
    assert f"station id: {first}" in out


def test_offline_checks_need_no_station(run: Run, home: Path, tmp_path: Path) -> None:
    pdf, pem = tmp_path / "x.pdf", tmp_path / "k.pem"
    pdf.write_bytes(b"%PDF-1.4 not a certificate")
    pem.write_text("not a key")
    for path in sorted(NO_STATION_NEEDED):
        code, _, err = run(*path.split(), str(pdf), "--public-key", str(pem))
        assert code in (1, 2) and "no station" not in err, (path, err)
    assert not home.exists()
