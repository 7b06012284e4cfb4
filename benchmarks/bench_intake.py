"""`intake import` of a customer's return list: N rows (serial, IMEI, name, phone, reason).

    python benchmarks/bench_intake.py --rows 21000

Builds the CSV (about 1.9 MB for 21,000 rows) in a new station home, then times `import_csv`
alone: parsing, checks against announced returns, the intake lines and their audit events with
personal-data commitments, and the commit. Prints the wall and CPU seconds (CPU time is the
steadier figure on a shared machine), rows per second, the file size and the 1-minute load.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from stdnum import luhn

from wipe_station.context import open_station
from wipe_station.customers import add_customer
from wipe_station.intake import import_csv
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import demo_operator

ORG = "923609016"  # a valid Norwegian organisation number (mod 11)


def write_csv(path: Path, rows: int) -> None:
    lines = ["org_number,serial,imei,employee_name,employee_phone,reason"]
    for i in range(rows):
        body = f"35{i:012d}"
        imei = body + luhn.calc_check_digit(body)
        lines.append(
            f"{ORG},SN{i:010d},{imei},Employee {i},+47 4{i % 10_000_000:07d},returned at lease end"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=21_000)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    ctx = open_station(home, None)
    actor = actor_of(demo_operator(ctx, None, None))
    add_customer(ctx, actor, ORG, "Bench AS", None)
    csv_path = home / "returns.csv"
    write_csv(csv_path, args.rows)
    t0, c0 = time.perf_counter(), time.process_time()
    result = import_csv(ctx, actor, csv_path)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(result.loaded) == args.rows and not result.errors, result.errors[:3]
    size_mb = csv_path.stat().st_size / 1e6
    print("| measurement | figure |\n|---|---|")
    print(
        f"| intake import, {args.rows:,} rows ({size_mb:.1f} MB) | {secs:.2f} s, CPU {cpu:.2f} s "
        f"({args.rows / secs:,.0f} rows/s; 1-minute load {os.getloadavg()[0]:.2f}) |"
    )
    ctx.close()


if __name__ == "__main__":
    main()
