"""Whole-pipeline figures: N clean lab phones with the lab's real delays, attach to certificate.

    python benchmarks/bench_pipeline.py --phones 64 [--json]

The lab runs in its own process (iPhones behind its usbmuxd socket, Android phones on its USB
bus socket), so the station's CPU (this process, all threads) and the lab's are counted apart.
One Android phone alone, one iPhone alone, then N (half each), each with a new station home.
A station with N phones should finish when its slowest phone does, so the ratio is the N-phone
wall time over the slower of the two single phones (an iPhone alone takes longer than an
Android phone alone: its lab delays are 2 s trust + 4 s erase against 2 s + 2 s). Reports wall
times, that ratio, CPU milliseconds per phone of station and lab in the N-phone run, and the
station's peak RSS. The pipeline signs certificates but renders no PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from drivers.android.keys import load_or_create
from drivers.contract import Platform
from drivers.ios.pairing import load_host_identity
from drivers.ios.records import PairRecordStore
from wipe_station.context import open_station
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.engine import Engine
from wipe_station.orchestrator.headless import run_fleet


def run(phones: int, zero_delay: bool, only: Platform | None = None) -> tuple[float, float, float]:
    """(wall seconds, station CPU seconds, lab CPU seconds) for one fleet."""
    ctx = open_station(Path(tempfile.mkdtemp(prefix="bench-pipeline-")), None)
    actor = actor_of(demo_operator(ctx, None, None))
    # A station in service made its ADB key and its iPhone host identity once, when it was
    # set up: each run's new home makes them here, before the clock, not during the first
    # phone (0.3-0.5 s of RSA key generation and encoding, 5-8 ms per phone of a 64-phone run).
    load_or_create(ctx.keys_dir / "adb")
    load_host_identity(PairRecordStore(Engine.pairing_dir(ctx)))
    cpu0 = time.process_time()
    summary, views = asyncio.run(
        run_fleet(
            ctx,
            actor,
            phones,
            clean_only=True,
            zero_delay=zero_delay,
            lab_process=True,
            only=only,
        )
    )
    cpu = time.process_time() - cpu0
    ctx.close()
    failed = [f"{v.key}: {v.state}: {v.reason}" for v in views if v.state != "certified"]
    assert summary.certified == phones, "\n".join([summary.line(), *failed[:5]])
    assert summary.lab_cpu_s is not None, "the lab process did not report its CPU"
    return summary.seconds, cpu, summary.lab_cpu_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--phones", type=int, default=64)
    ap.add_argument("--zero-delay", action="store_true", help="lab phones answer at once")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = ap.parse_args()
    android, _, _ = run(1, args.zero_delay, Platform.ANDROID)
    iphone, _, _ = run(1, args.zero_delay, Platform.IOS)
    one = max(android, iphone)
    many, station_cpu, lab_cpu = run(args.phones, args.zero_delay)
    figures = {
        "phones": args.phones,
        "one_phone_s": round(one, 2),
        "one_android_s": round(android, 2),
        "one_iphone_s": round(iphone, 2),
        "many_s": round(many, 2),
        "ratio": round(many / one, 2),
        "station_cpu_ms_per_phone": round(station_cpu / args.phones * 1000, 1),
        "lab_cpu_ms_per_phone": round(lab_cpu / args.phones * 1000, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(figures))
        return
    load = os.getloadavg()[0]
    print(f"| measurement | figure |  (1-minute load {load:.2f} at the end)\n|---|---|")
    print(f"| 1 Android phone alone, attach to certificate | {android:.2f} s |")
    print(f"| 1 iPhone alone, attach to certificate | {iphone:.2f} s |")
    print(f"| {args.phones} phones | {many:.1f} s ({many / one:.2f}x the slower single phone) |")
    print(f"| station CPU per phone | {figures['station_cpu_ms_per_phone']:.0f} ms |")
    print(f"| lab CPU per phone | {figures['lab_cpu_ms_per_phone']:.0f} ms |")
    print(f"| station peak memory (RSS) | {figures['peak_rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
