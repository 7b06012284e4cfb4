"""UI latency with a busy station: N lab phones erasing while more are plugged in and keys pressed.

    python benchmarks/bench_ui.py --phones 64

- attach-to-row: from a lab phone appearing on the (virtual) USB bus to its row being drawn
  (and of that, engine-to-row: from the engine telling the UI about the phone to the row drawn);
- key-press-to-screen: from a cursor key reaching the app (as the terminal driver hands it over)
  to the screen update that shows the table's cursor moved.
Runs headless in Textual's test driver at 120x40; the phones reset with real profile delays so
they stay busy for the whole measurement. The lab runs in its own process as in `demo`
(``--lab-in-process`` for the old arrangement).

The screen updates are timed where Textual hands them to the terminal (`App._display`), with
the terminal bytes built as a real terminal's driver would. Keys are sent as the driver sends
them, not with the pilot's ``press``: that one waits until the whole process has been idle
for 20 ms (or 1 s has passed) twice per key, which with 64 busy phones measures the phones,
not the UI. Also printed: how late the UI's event loop wakes up (a 10 ms sleep, repeated), the
station's CPU (this process, all threads) over the measurement, and the 1-minute load.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from textual import events
from textual._compositor import CompositorUpdate
from textual.widgets import DataTable

from wipe_station.context import open_station
from wipe_station.orchestrator import demo_fleet
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.station import StationScreen

_DemoFleet = demo_fleet.DemoFleet
KEY_GAP_S = 0.1  # between key presses: a person, not a key repeat


async def _until(pilot: Any, predicate: Callable[[], bool], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the UI never got there")
        await pilot.pause(0.005)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class ScreenWatch:
    """Times the screen updates the app sends to its terminal: ``drawn(predicate)`` waits for
    the first update after which ``predicate`` holds and returns when it was sent (wall clock,
    and the UI thread's own CPU clock: what it worked on meanwhile, whatever the load)."""

    def __init__(self, app: WipeStationApp) -> None:
        self.app = app
        self._waiting: list[tuple[Callable[[], bool], asyncio.Future[tuple[float, float]]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                # What a terminal driver does with it (the headless driver skips this).
                renderable.render_segments(app.console)
            now = (time.perf_counter(), time.thread_time())
            for entry in list(self._waiting):
                predicate, fut = entry
                if not fut.done() and predicate():
                    fut.set_result(now)
                    self._waiting.remove(entry)

        app._display = display  # type: ignore[method-assign]

    async def drawn(
        self, predicate: Callable[[], bool], seconds: float = 30.0
    ) -> tuple[float, float]:
        fut: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        self._waiting.append((predicate, fut))
        return await asyncio.wait_for(fut, seconds)


async def _loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late a 10 ms sleep on the UI's loop wakes up: what any key waits for at least."""
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append(time.perf_counter() - t0 - 0.01)


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
    # When the engine first told the UI about each phone (its listener, on the engine's side):
    # attach-to-row is USB discovery plus this, engine-to-row the UI's own part.
    first_told: dict[str, float] = {}
    listener = app._phone_changed

    def told(view: Any) -> None:
        first_told.setdefault(view.key, time.perf_counter())
        listener(view)

    app._phone_changed = told  # type: ignore[method-assign]
    # The benchmark's own calls to the lab (plugging phones in) wait for nobody's threads.
    bench_pool = ThreadPoolExecutor(1, thread_name_prefix="bench-lab")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"1234", "enter")
        await _until(pilot, lambda: isinstance(app.screen, StationScreen))
        await _until(pilot, lambda: app.engine is not None and len(app.engine.phones) == phones)
        engine = app.engine
        assert engine is not None

        def states() -> list[str]:
            return [v.state for v in list(engine.phones.values())]

        table = app.screen.query_one("#phones", DataTable)
        # Every phone identified: ready to erase or blocked with a reason.
        await _until(pilot, lambda: all(s in ("ready", "blocked", "failed") for s in states()))
        await pilot.press("a")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmErase))
        await pilot.press("y")
        await _until(pilot, lambda: isinstance(app.screen, StationScreen))
        await _until(pilot, lambda: sum(s in in_flight for s in states()) > 0)

        # Interleave plug-ins and key presses while the erasures run, and keep only samples
        # taken with phones in flight.
        watch = ScreenWatch(app)
        lag: list[float] = []
        stop = asyncio.Event()
        lag_task = asyncio.create_task(_loop_lag(lag, stop))
        lab = app._fleet.android
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        engine_to_row: list[float] = []
        keys: list[float] = []
        keys_cpu: list[float] = []
        loads: list[int] = []
        cpu0, ui0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        for i in range(attaches):
            load = sum(s in in_flight for s in states())
            if load == 0:
                break
            loads.append(load)
            port = f"1-20.{i + 1}"
            t0 = time.perf_counter()
            shown = asyncio.ensure_future(watch.drawn(lambda port=port: port in table.rows, 60))
            await loop.run_in_executor(
                bench_pool,
                functools.partial(
                    lab.attach, "pixel-8-clean", port_path=port, serial=f"BENCHUI{i:03d}"
                ),
            )
            drawn_at = (await shown)[0]
            latencies.append(drawn_at - t0)
            engine_to_row.append(drawn_at - first_told[port])
            for j in range(presses // attaches):
                if not sum(s in in_flight for s in states()):
                    break
                await asyncio.sleep(KEY_GAP_S)
                before = table.cursor_row
                moved = asyncio.ensure_future(
                    watch.drawn(lambda before=before: table.cursor_row != before)
                )
                t0, c0 = time.perf_counter(), time.thread_time()
                # As the terminal driver hands a key to the app.
                app._driver.send_message(events.Key("down" if j % 2 == 0 else "up", None))
                t1, c1 = await moved
                keys.append(t1 - t0)
                keys_cpu.append(c1 - c0)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        ui_cpu = time.thread_time() - ui0
        stop.set()
        await lag_task
        out["samples_attach"], out["samples_key"] = len(latencies), len(keys)
        out["load_min"], out["load_max"] = min(loads), max(loads)
        out["attach_median_ms"] = statistics.median(latencies) * 1000
        out["attach_max_ms"] = max(latencies) * 1000
        out["engine_row_median_ms"] = statistics.median(engine_to_row) * 1000
        out["engine_row_max_ms"] = max(engine_to_row) * 1000
        out["key_median_ms"] = statistics.median(keys) * 1000
        out["key_p95_ms"] = _pct(keys, 95) * 1000
        out["key_max_ms"] = max(keys) * 1000
        out["key_cpu_median_ms"] = statistics.median(keys_cpu) * 1000
        out["key_cpu_p95_ms"] = _pct(keys_cpu, 95) * 1000
        out["lag_median_ms"] = statistics.median(lag) * 1000
        out["lag_p95_ms"] = _pct(lag, 95) * 1000
        out["cpu_pct"] = 100 * cpu / wall
        out["ui_cpu_pct"] = 100 * ui_cpu / wall
        out["seconds"] = wall
        app.exit()
    bench_pool.shutdown()
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
        f"({r['samples_attach']:.0f} plug-ins, {r['samples_key']:.0f} keys, "
        f"{r['seconds']:.1f} s); "
        f"attach-to-row median={r['attach_median_ms']:.0f} ms max={r['attach_max_ms']:.0f} ms "
        f"(of which engine-to-row median={r['engine_row_median_ms']:.0f} ms "
        f"max={r['engine_row_max_ms']:.0f} ms); "
        f"key-to-screen median={r['key_median_ms']:.1f} ms p95={r['key_p95_ms']:.1f} ms "
        f"max={r['key_max_ms']:.1f} ms (UI thread CPU meanwhile median="
        f"{r['key_cpu_median_ms']:.1f} ms p95={r['key_cpu_p95_ms']:.1f} ms); "
        f"UI loop lag median={r['lag_median_ms']:.1f} ms p95={r['lag_p95_ms']:.1f} ms; "
        f"station CPU {r['cpu_pct']:.0f}% of a core (UI thread {r['ui_cpu_pct']:.0f}%); "
        f"1-minute load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
