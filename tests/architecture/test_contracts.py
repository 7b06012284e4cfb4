"""The layers hold: every import-linter contract in pyproject.toml is kept, and each can fail.

A broken contract fails its own test, named by the contract's id, with the contract's name and
the offending import chain in the message. The contracts that list their source modules one by
one are checked for coverage: a new module must be put in a list (or named an exception here).
The proofs copy the three packages into a temporary folder, add one import that breaks one
contract, and run import-linter there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("wipe_station", "drivers", "certificates")


def contracts(root: Path = REPO) -> list[dict[str, object]]:
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def contract(cid: str) -> dict[str, object]:
    (found,) = [c for c in contracts() if c["id"] == cid]
    return found


def lint(root: Path, cid: str) -> subprocess.CompletedProcess[str]:
    """import-linter on the packages under ``root``, one contract."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            "--no-logo",
            "--contract",
            cid,
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("cid", [str(c["id"]) for c in contracts()])
def test_contract_is_kept(cid: str) -> None:
    done = lint(REPO, cid)
    assert done.returncode == 0, f"BROKEN: {contract(cid)['name']}\n{done.stdout}{done.stderr}"
    assert f"{contract(cid)['name']} KEPT" in done.stdout


def modules(root: Path, package: str) -> set[str]:
    base = root / package
    names = set()
    for path in base.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def covered(module: str, sources: list[str]) -> bool:
    return any(module == s or module.startswith(s + ".") for s in sources)


# Modules no contract needs to list, and why.
UNLISTED = {
    # Package markers: a docstring (and the version) only.
    "core-without-ui": {"wipe_station", "wipe_station.orchestrator"},
    # The lab, and the lab's entry points inside the station (see the contract's comment).
    "lab-only-from-entry-points": {
        "wipe_station",
        "drivers",
        "wipe_station.orchestrator",
        "wipe_station.orchestrator.demo_fleet",
        "wipe_station.orchestrator.fleet_files",
        "wipe_station.orchestrator.headless",
        "wipe_station.orchestrator.fleet_report",
        "wipe_station.cli",
        "wipe_station.cli.demo",
        "wipe_station.cli.lab",
    },
    "screens-without-app": {"wipe_station.tui", "wipe_station.tui.app"},
}
# What each of those contracts covers: every module of these packages but those under these.
SCOPE = {
    "core-without-ui": (("wipe_station",), ("wipe_station.tui", "wipe_station.cli")),
    "lab-only-from-entry-points": (PACKAGES, ("drivers.emulated",)),
    "screens-without-app": (("wipe_station.tui",), ()),
}


def uncovered(root: Path, cid: str) -> set[str]:
    packages, outside = SCOPE[cid]
    packages = tuple(p.replace(".", "/") for p in packages)
    (found,) = [c for c in contracts(root) if c["id"] == cid]
    sources = list(found["source_modules"])  # type: ignore[call-overload]
    every = set().union(*(modules(root, p) for p in packages))
    return {
        m
        for m in every
        if not covered(m, sources) and not covered(m, list(outside)) and m not in UNLISTED[cid]
    }


@pytest.mark.parametrize("cid", sorted(SCOPE))
def test_every_module_is_in_the_contract(cid: str) -> None:
    missing = uncovered(REPO, cid)
    assert not missing, (
        f"{contract(cid)['name']}: add {sorted(missing)} to its source_modules in pyproject.toml"
    )


# -- each contract can fail ------------------------------------------------------------------


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


# (contract id, module to change, the import that breaks the contract)
BREAKS = [
    ("drivers-certificates-standalone", "drivers/usb/vendors.py", "import wipe_station.paths"),
    ("drivers-certificates-standalone", "certificates/qr.py", "from wipe_station import errors"),
    ("certificates-without-drivers", "certificates/text.py", "import drivers.contract"),
    ("core-without-ui", "wipe_station/lifecycle.py", "import textual.app"),
    ("core-without-ui", "wipe_station/orchestrator/engine.py", "from rich.text import Text"),
    ("core-without-ui", "wipe_station/printing.py", "from wipe_station.tui import session"),
    ("core-without-ui", "wipe_station/db/models.py", "import wipe_station.cli.runtime"),
    # Indirectly, through the demo's fleet (an entry point of the lab).
    (
        "lab-only-from-entry-points",
        "wipe_station/orchestrator/engine.py",
        "from wipe_station.orchestrator import demo_fleet",
    ),
    ("lab-only-from-entry-points", "drivers/android/driver.py", "import drivers.emulated.usb_bus"),
    (
        "lab-only-from-entry-points",
        "wipe_station/tui/screens/station.py",
        "from drivers.emulated.android import profile",
    ),
    ("screens-without-app", "wipe_station/tui/screens/help.py", "from wipe_station.tui import app"),
    ("screens-without-app", "wipe_station/tui/widgets/header.py", "import wipe_station.tui.app"),
    ("screens-without-app", "wipe_station/tui/signing.py", "from wipe_station.tui.app import App"),
]


@pytest.mark.parametrize(("cid", "target", "line"), BREAKS)
def test_a_breaking_import_fails_with_the_contract_name(
    copy: Path, cid: str, target: str, line: str
) -> None:
    path = copy / target
    original = path.read_text(encoding="utf-8")
    path.write_text(f"{original}\n{line}  # noqa\n", encoding="utf-8")
    try:
        done = lint(copy, cid)
    finally:
        path.write_text(original, encoding="utf-8")
    name = str(contract(cid)["name"])
    assert done.returncode != 0, done.stdout
    assert f"{name} BROKEN" in done.stdout, done.stdout
    assert target.removesuffix(".py").replace("/", ".") in done.stdout.replace("\n", " ")


def test_the_copy_keeps_every_contract_before_a_change(copy: Path) -> None:
    """The proofs' copy is the real code: unchanged, it passes (so their failures are the line)."""
    for c in contracts():
        assert lint(copy, str(c["id"])).returncode == 0, c["name"]


def test_a_new_module_must_be_listed(copy: Path) -> None:
    new = copy / "wipe_station" / "orchestrator" / "shortcut.py"
    new.write_text('"""A new core module."""\n', encoding="utf-8")
    try:
        assert uncovered(copy, "lab-only-from-entry-points") == {
            "wipe_station.orchestrator.shortcut"
        }
        assert uncovered(copy, "core-without-ui") == set()  # `wipe_station.orchestrator` covers it
        (copy / "wipe_station" / "stock.py").write_text('"""New."""\n', encoding="utf-8")
        assert uncovered(copy, "core-without-ui") == {"wipe_station.stock"}
    finally:
        new.unlink()
        (copy / "wipe_station" / "stock.py").unlink(missing_ok=True)
