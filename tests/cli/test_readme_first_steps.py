"""The README's "First steps on a real station", pasted in order on a fresh station, works.

The block is read from the README itself, so the README and this test cannot drift apart.
What cannot run here is replaced by its headless equivalent: the UI line (`wipe-station`) by
the engine erasing one lab phone, the `sudo tee` line is skipped, the PIN prompt is answered
through WIPE_STATION_PIN / --pin-stdin, and the example certificate number and batch code by
the ones this station issued."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from wipe_station.context import open_station
from wipe_station.operators import actor_of, sign_in
from wipe_station.orchestrator.fleet_files import load_fleet
from wipe_station.orchestrator.headless import run_fleet

README = Path(__file__).resolve().parents[2] / "README.md"
PIN = "4321"
LAB_SERIAL = "39021FDH2000AB"  # the bundled pixel-8-clean profile's serial


def first_steps() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## First steps on a real station", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert blocks, "the first-steps section has no sh block"
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def _erase_a_lab_phone(home: Path, tmp_path: Path) -> None:
    """What the technician does in the UI: plug a phone in; the station erases and certifies."""
    fleet_file = tmp_path / "phone.yaml"
    fleet_file.write_text("extends: pixel-8-clean\n")
    ctx = open_station(home, create=False)
    try:
        actor = actor_of(sign_in(ctx, "kari", PIN))
        summary, _ = asyncio.run(run_fleet(ctx, actor, 1, profiles=load_fleet([fleet_file])))
    finally:
        ctx.close()
    assert summary.certified == 1, summary.line()


def test_the_first_steps_work_in_order_on_a_fresh_station(
    run: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WIPE_STATION_ID", "OSL01")
    monkeypatch.setenv("WIPE_STATION_PIN", PIN)
    # The customer's return list announces the phone that will be plugged in.
    (tmp_path / "returns.csv").write_text(
        f"org_number;serial;imei;employee_name;employee_phone;reason\n"
        f"974760673;{LAB_SERIAL};;Kari Nordmann;+47 912 34 567;end of lease\n"
    )
    issued: dict[str, str] = {}
    ran = []
    for line in first_steps():
        words = shlex.split(line, comments=True)
        if not words or "sudo" in words:
            continue  # udev rules need root once; the lab phone needs none
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, value)
            continue
        assert words[0] == "wipe-station", line
        if words == ["wipe-station"]:
            _erase_a_lab_phone(home, tmp_path)
            ran.append("ui")
            continue
        argv, stdin, into = words[1:], "", None
        if ">" in argv:
            at = argv.index(">")
            argv, into = argv[:at], tmp_path / argv[at + 1]
        if argv[:2] == ["users", "add"]:
            argv, stdin = [*argv, "--pin-stdin"], PIN + "\n"
        argv = [
            issued.get("certificate", a) if re.fullmatch(r"WS-OSL01-\d{4}-\d+", a) else a
            for a in argv
        ]
        argv = [
            issued.get("batch", a) if re.fullmatch(r"RB-OSL01-\d{4}-\d+", a) else a for a in argv
        ]
        code, out, err = run(*argv, stdin=stdin)
        assert code == 0, f"{line}\n-> exit {code}: {err}"
        ran.append(" ".join(argv[:2]))
        if into is not None:
            into.write_text(out)
        if argv[:2] == ["certificate", "list"]:
            issued["certificate"] = re.search(r"WS-OSL01-\d{4}-\d+", out).group(0)  # type: ignore[union-attr]
        if argv[:2] == ["batch", "create"]:
            issued["batch"] = out.strip()
    # The flow the README promises, end to end: set up, customer, intake, erase, certificate,
    # batch, offline checks.
    for step in ("users add", "customers add", "intake import", "ui", "certificate export"):
        assert step in ran
    assert ran.count("certificate verify") == 2 and "batch verify" in ran
    assert ran.index("customers add") < ran.index("intake import") < ran.index("ui")
    assert ran.index("ui") < ran.index("certificate list") < ran.index("batch create")
