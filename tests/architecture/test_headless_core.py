"""The core erases a phone with no UI loaded: a whole headless erase in a fresh interpreter.

A child Python runs `demo --headless`'s path (the demo operator, recovery of cut-off erasures,
the lab fleet, the engine, certificates) on one Android and one iPhone lab phone, and records
every import it ever makes (an audit hook sees each one, also one later removed from
`sys.modules`) and which module asked for it. No module of Textual, Rich or the station's UI
may be among them, with one exception written here: pymobiledevice3 (the iOS library the
station requires) imports Rich for its own progress bars as soon as lockdown is imported; Rich
loaded that way, and Rich's own modules, are allowed. A station module asking for Rich is not
(the import-linter contract `core-without-ui` forbids it in the source as well).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

UI_PACKAGES = ("textual", "rich", "wipe_station.tui", "wipe_station.cli")

CHILD = r"""
import asyncio, json, sys

UI = tuple(sys.argv[3].split(","))
seen = {}  # UI module -> the module whose code asked for it

def is_ui(name):
    return any(name == p or name.startswith(p + ".") for p in UI)

def importer():
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return "?" if frame is None else str(frame.f_globals.get("__name__", "?"))

def audit(event, args):
    if event == "import" and is_ui(args[0]):
        seen.setdefault(args[0], importer())

sys.addaudithook(audit)

from pathlib import Path
from wipe_station.context import open_station
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import announce_demo_returns, demo_operator
from wipe_station.orchestrator.fleet_files import load_fleet
from wipe_station.orchestrator.headless import run_fleet
from wipe_station.orchestrator.records import interrupt_in_flight

home, profiles = Path(sys.argv[1]), [Path(p) for p in sys.argv[2].split(",")]
ctx = open_station(home, f"sqlite:///{home / 'station.db'}")
try:
    op = demo_operator(ctx, None, None)
    interrupt_in_flight(ctx, actor_of(op))
    summary, views = asyncio.run(run_fleet(
        ctx, actor_of(op), len(profiles), profiles=load_fleet(profiles),
        announce=lambda ids: announce_demo_returns(ctx, ids),
    ))
finally:
    ctx.close()
for name in sys.modules:
    if is_ui(name):
        seen.setdefault(name, "?")
print(json.dumps({
    "certified": summary.certified,
    "states": sorted(v.state for v in views),
    "ui_modules": seen,
}))
"""


# Third-party code that may load a UI package for its own use, and why.
ALLOWED_IMPORTERS = {
    "rich": ("rich", "pymobiledevice3"),  # pymobiledevice3.progress: its progress bars
}


def root(name: str) -> str:
    return name.split(".", 1)[0]


def ui_imports(report: dict[str, object]) -> dict[str, str]:
    """The UI modules the child imported that no exception allows, with who asked for each."""
    loaded = report["ui_modules"]
    assert isinstance(loaded, dict)
    return {
        module: by
        for module, by in loaded.items()
        if root(by) not in ALLOWED_IMPORTERS.get(root(module), ())
    }


def run_child(home: Path, profiles: list[Path], ui: tuple[str, ...]) -> dict[str, object]:
    env = {**os.environ, "WIPE_STATION_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), ",".join(map(str, profiles)), ",".join(ui)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LAB_PHONES = ["pixel-8-clean", "iphone-15-pro-clean"]  # bundled lab profiles, one a platform


def fleet_files(tmp_path: Path, names: list[str]) -> list[Path]:
    files = []
    for name in names:
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"extends: {name}\n", encoding="utf-8")
        files.append(path)
    return files


def test_a_headless_erase_imports_no_ui_module(tmp_path: Path) -> None:
    report = run_child(tmp_path / "home", fleet_files(tmp_path, LAB_PHONES), UI_PACKAGES)
    assert report["states"] == ["certified", "certified"], report
    assert report["certified"] == 2
    assert ui_imports(report) == {}, f"a headless erase imported UI modules: {ui_imports(report)}"


@pytest.mark.parametrize("probe", ["yaml", "wipe_station.orchestrator.engine"])
def test_the_check_sees_a_module_the_erase_imports(tmp_path: Path, probe: str) -> None:
    """The same child, told that a module the erase needs is UI, names it: the check can fail."""
    report = run_child(tmp_path / "home", fleet_files(tmp_path, LAB_PHONES[:1]), (probe,))
    assert probe in ui_imports(report), report


def test_rich_is_allowed_only_from_pymobiledevice3() -> None:
    report = {
        "ui_modules": {
            "rich": "pymobiledevice3.progress",
            "rich.console": "rich.progress",
            "rich.text": "wipe_station.orchestrator.engine",
            "textual.app": "pymobiledevice3.utils",
        }
    }
    assert ui_imports(report) == {
        "rich.text": "wipe_station.orchestrator.engine",
        "textual.app": "pymobiledevice3.utils",
    }
