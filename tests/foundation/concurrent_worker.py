"""Run as a separate process by test_concurrency: one station appending and numbering in a loop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wipe_station.audit import log as audit
from wipe_station.context import open_station
from wipe_station.numbering import allocate


def main(home: str, db_url: str, count: int, start_at: float) -> None:
    ctx = open_station(Path(home), db_url)
    while time.time() < start_at:  # start together so the transactions really interleave
        time.sleep(0.005)
    actor = audit.Actor("worker")
    for i in range(count):
        with ctx.session() as s:
            _seq, number = allocate(s, ctx.station_id, 2026)
            audit.append(s, ctx.identity, actor, "test.certificate", {"n": number, "i": i})
        print(number, flush=True)
    ctx.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
