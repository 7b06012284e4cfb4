"""Whole-pipeline figures: N clean lab phones with zero device delay, from attach to certificate.

    python benchmarks/bench_pipeline.py --phones 64

Reports total seconds, the ratio to a single phone, station CPU per phone and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from wipe_station.context import open_station
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.headless import run_headless


def run(phones: int) -> tuple[float, float, int]:
    ctx = open_station(Path(tempfile.mkdtemp(prefix="bench-pipeline-")), None)
    actor = actor_of(demo_operator(ctx, None, None))
    cpu0 = time.process_time()
    summary = asyncio.run(run_headless(ctx, actor, phones, clean_only=True))
    cpu = time.process_time() - cpu0
    ctx.close()
    assert summary.certified == phones, summary.line()
    return summary.seconds, cpu, summary.certified


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--phones", type=int, default=64)
    args = ap.parse_args()
    one, _cpu_one, _ = run(1)
    many, cpu_many, certified = run(args.phones)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| measurement | figure |\n|---|---|")
    print(f"| 1 phone, attach to certificate | {one:.2f} s |")
    print(
        f"| {args.phones} phones, attach to certificate | {many:.1f} s "
        f"({many / one:.1f}x one phone), {certified} certified |"
    )
    print(
        f"| station CPU per phone ({args.phones} phones) | {cpu_many / args.phones * 1000:.0f} ms |"
    )
    print(f"| peak memory (RSS) | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
