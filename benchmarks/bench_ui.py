"""UI latency with a busy station: N lab phones erasing while more are plugged in and keys pressed.

    python benchmarks/bench_ui.py --phones 64

- attach-to-row: from a lab phone appearing on the (virtual) USB bus to its row in the table;
- key-press-to-screen: from a cursor key to the table's cursor having moved and the screen
  being refreshed (Textual's pilot waits for the app to process the key and repaint).
Runs headless in Textual's test driver at 120x40; the phones reset with real profile delays so
they stay busy for the whole measurement. The lab runs in its own process as in `demo`
(``--lab-in-process`` for the old arrangement).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import tempfile
import time
from pathlib import Path

from textual.widgets import DataTable

from wipe_station.context import open_station
from wipe_station.orchestrator import demo_fleet
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.station import StationScreen

_DemoFleet = demo_fleet.DemoFleet


async def _until(pilot, predicate, seconds: float = 120.0, step: float = 0.005) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the UI never got there")
        await pilot.pause(step)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(phones: int, attaches: int, presses: int, lab_process: bool) -> dict[str, float]:
    # Phones take their profiles' reset and boot times, so they stay busy while we measure.
    demo_fleet.DemoFleet = functools.partial(_DemoFleet, zero_delay=False)  # type: ignore[misc]
    ctx = open_station(Path(tempfile.mkdtemp(prefix="bench-ui-")), None)
    demo_operator(ctx, None, None)
    # The lab in its own process, as `demo` runs it: the UI's figures are the station's own.
    app = WipeStationApp(
        ctx, demo_phones=phones, operator_hint="demo-technician", lab_process=lab_process
    )
    out: dict[str, float] = {}
    in_flight = ("wiping", "rebooting", "verifying")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"1234", "enter")
        await _until(pilot, lambda: isinstance(app.screen, StationScreen))
        await _until(pilot, lambda: app.engine is not None and len(app.engine.phones) == phones)
        engine = app.engine
        assert engine is not None
        table = app.screen.query_one("#phones", DataTable)
        # Every phone identified: ready to erase or blocked with a reason.
        await _until(
            pilot,
            lambda: all(v.state in ("ready", "blocked", "failed") for v in engine.phones.values()),
        )
        await pilot.press("a")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await _until(pilot, lambda: isinstance(app.screen, StationScreen))
        await _until(pilot, lambda: sum(v.state in in_flight for v in engine.phones.values()) > 0)

        # Interleave plug-ins and key presses while the erasures run, and keep only samples
        # taken with phones in flight.
        lab = app._fleet.android
        latencies: list[float] = []
        keys: list[float] = []
        loads: list[int] = []
        for i in range(attaches):
            load = sum(v.state in in_flight for v in engine.phones.values())
            if load == 0:
                break
            loads.append(load)
            port = f"1-20.{i + 1}"
            t0 = time.perf_counter()
            await asyncio.to_thread(
                lab.attach, "pixel-8-clean", port_path=port, serial=f"BENCHUI{i:03d}", tcp_port=None
            )
            await _until(pilot, lambda port=port: port in table.rows)
            latencies.append(time.perf_counter() - t0)
            for j in range(presses // attaches):
                before = table.cursor_row
                t0 = time.perf_counter()
                await pilot.press("down" if j % 2 == 0 else "up")
                await _until(pilot, lambda before=before: table.cursor_row != before, seconds=5)
                keys.append(time.perf_counter() - t0)
        out["samples_attach"], out["samples_key"] = len(latencies), len(keys)
        out["load_min"], out["load_max"] = min(loads), max(loads)
        out["attach_median_ms"] = statistics.median(latencies) * 1000
        out["attach_max_ms"] = max(latencies) * 1000
        out["key_median_ms"] = statistics.median(keys) * 1000
        out["key_p95_ms"] = _pct(keys, 95) * 1000
        app.exit()
    ctx.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--phones", type=int, default=64)
    ap.add_argument("--attaches", type=int, default=8)
    ap.add_argument("--presses", type=int, default=64)
    ap.add_argument(
        "--lab-in-process", action="store_true", help="the lab in the station's process (before)"
    )
    args = ap.parse_args()
    r = asyncio.run(run(args.phones, args.attaches, args.presses, not args.lab_in_process))
    print(
        f"phones={args.phones} in flight while measuring={r['load_min']:.0f}..{r['load_max']:.0f} "
        f"({r['samples_attach']:.0f} plug-ins, {r['samples_key']:.0f} keys); "
        f"attach-to-row median={r['attach_median_ms']:.0f} ms max={r['attach_max_ms']:.0f} ms; "
        f"key-to-screen median={r['key_median_ms']:.1f} ms p95={r['key_p95_ms']:.1f} ms; "
        f"1-minute load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
