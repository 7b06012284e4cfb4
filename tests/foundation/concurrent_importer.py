"""Run as a separate process by test_concurrency: one station importing return lists in a loop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wipe_station.audit import log as audit
from wipe_station.context import open_station
from wipe_station.intake import import_csv

ORG = "974760673"


def main(home: str, db_url: str, files: int, lines: int, start_at: float) -> None:
    ctx = open_station(Path(home), db_url)
    actor = audit.Actor("worker")
    station = ctx.station_id
    paths = []
    for f in range(files):
        path = Path(home) / f"returns-{f}.csv"
        path.write_text(
            "org;serial;employee_name;employee_phone\n"
            + "".join(f"{ORG};{station}F{f}L{i};Person {i};+4790{i:06d}\n" for i in range(lines))
        )
        paths.append(path)
    while time.time() < start_at:  # start together so the transactions really interleave
        time.sleep(0.005)
    for path in paths:
        result = import_csv(ctx, actor, path)
        assert not result.errors, result.errors[:3]
        print(" ".join(map(str, result.loaded)), flush=True)
    ctx.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
