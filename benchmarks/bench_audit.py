"""Audit-log figures: `audit verify` over N events, and events appended per second with one station
and with two stations on one PostgreSQL.

    python benchmarks/bench_audit.py --events 1000000 --pg postgresql://postgres@127.0.0.1:5432/test

With --keep DIR the SQLite log is built once in DIR and only verified on later runs (profiling).
CPU figures count the verify's worker processes too.

Prints a markdown table. Not a test: run it by hand on the reference machine.
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing as mp
import resource
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import insert

from wipe_station.audit import log as audit
from wipe_station.audit.chain import canonical, checkpoint_message, event_hash
from wipe_station.audit.store import verify_database
from wipe_station.context import open_station
from wipe_station.db.models import AuditCheckpoint, AuditEvent, AuditHead
from wipe_station.timeutil import iso, utcnow


def _fill(home: Path, db_url: str, n: int) -> float:
    """Write n chained events straight into the table (fast path for building a big log), with
    a signed checkpoint every CHECKPOINT_EVERY events as `audit.append` writes them, so verify
    checks as many signatures as on a real station's log."""
    ctx = open_station(home, db_url)
    sid = ctx.station_id
    with ctx.session() as s:
        head = s.get(AuditHead, sid)
        assert head is not None
        prev, seq = head.last_hash, head.last_seq
    t0 = time.perf_counter()
    batch: list[dict[str, object]] = []
    checkpoints: list[dict[str, object]] = []
    at = iso(utcnow())
    for i in range(n):
        seq += 1
        payload = canonical({"device": i % 500, "from": "wiping", "to": "rebooting"}).decode()
        h = event_hash(
            station=sid,
            seq=seq,
            at=at,
            operator="bench",
            action="device.state",
            device=i % 500,
            payload=payload,
            prev=prev,
        )
        batch.append(
            dict(
                station_id=sid,
                seq=seq,
                at=at,
                operator="bench",
                action="device.state",
                device_id=i % 500,
                payload=payload,
                prev_hash=prev,
                hash=h,
            )
        )
        prev = h
        if seq % audit.CHECKPOINT_EVERY == 0:
            msg = checkpoint_message(station=sid, seq=seq, head=h, at=at)
            signature = base64.b64encode(ctx.identity.sign(msg)).decode("ascii")
            checkpoints.append(
                dict(station_id=sid, seq=seq, head_hash=h, at=at, signature=signature)
            )
        if len(batch) == 20_000:
            with ctx.engine.begin() as conn:
                conn.execute(insert(AuditEvent), batch)
                if checkpoints:
                    conn.execute(insert(AuditCheckpoint), checkpoints)
            batch.clear()
            checkpoints.clear()
    with ctx.session() as s:
        if batch:
            s.execute(insert(AuditEvent), batch)
        if checkpoints:
            s.execute(insert(AuditCheckpoint), checkpoints)
        head = s.get(AuditHead, sid)
        assert head is not None
        head.last_seq, head.last_hash = seq, prev
        s.add(head)
        s.flush()
        audit.checkpoint_head(s, ctx.identity)
    ctx.engine.dispose()
    return time.perf_counter() - t0


def bench_verify(db_url: str, n: int, home: Path | None = None) -> tuple[float, float, float]:
    """Wall and CPU seconds of `verify_database`; with ``home`` given and already filled (by an
    earlier run with the same --keep), the log is verified again without being rebuilt."""
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    if not (home / "filled").exists():
        _fill(home, db_url, n)
        (home / "filled").write_text(f"{n}\n")
    ctx = open_station(home, db_url)
    t0, c0 = time.perf_counter(), _cpu()
    with ctx.session() as s:
        (report,) = verify_database(s, ctx.identity)
    elapsed, cpu = time.perf_counter() - t0, _cpu() - c0
    assert report.ok, report.problem
    # n events, plus the few the new station wrote about itself.
    assert report.events >= n and report.checkpoints >= n // audit.CHECKPOINT_EVERY, report
    ctx.engine.dispose()
    peak_mb = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return elapsed, cpu, peak_mb / 1024


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (verify may use worker processes)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _appender(home: str, db_url: str, seconds: float, start_at: float, out: mp.Queue) -> None:
    ctx = open_station(Path(home), db_url)
    actor = audit.Actor("bench")
    while time.time() < start_at:
        time.sleep(0.001)
    n, t_end = 0, time.time() + seconds
    while time.time() < t_end:
        with ctx.session() as s:
            audit.append(s, ctx.identity, actor, "bench.event", {"n": n})
        n += 1
    ctx.close()
    out.put(n)


def bench_append(db_url: str, stations: int, seconds: float) -> float:
    root = Path(tempfile.mkdtemp(prefix="bench-append-"))
    homes = [root / f"s{i}" for i in range(stations)]
    for h in homes:
        open_station(h, db_url).close()
    q: mp.Queue = mp.Queue()
    start = time.time() + 1.0
    procs = [mp.Process(target=_appender, args=(str(h), db_url, seconds, start, q)) for h in homes]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return sum(q.get() for _ in procs) / seconds


def _fresh_pg(admin_url: str) -> str:
    name = f"ws_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each append run")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument("--verify-only", action="store_true", help="skip the append runs")
    ap.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the SQLite log in DIR once and verify it again on later runs (same --events)",
    )
    args = ap.parse_args()

    rows = []
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        db_dir, home = args.keep, args.keep / "home"
    else:
        db_dir, home = Path(tempfile.mkdtemp(prefix="bench-sqlite-")), None
    secs, cpu, peak = bench_verify(f"sqlite:///{db_dir / 'audit.db'}", args.events, home)
    rows.append(
        (
            f"audit verify, {args.events:,} events, SQLite",
            f"{secs:.1f} s, CPU {cpu:.1f} s ({args.events / secs:,.0f} events/s, "
            f"peak RSS {peak:.0f} MB)",
        )
    )
    if not args.no_pg:
        secs, cpu, peak = bench_verify(_fresh_pg(args.pg), args.events)
        rows.append(
            (
                f"audit verify, {args.events:,} events, PostgreSQL",
                f"{secs:.1f} s, CPU {cpu:.1f} s ({args.events / secs:,.0f} events/s, "
                f"peak RSS {peak:.0f} MB)",
            )
        )
    if not args.verify_only:
        tmp = Path(tempfile.mkdtemp(prefix="bench-sqlite-"))
        rate = bench_append(f"sqlite:///{tmp / 'append.db'}", 1, args.seconds)
        rows.append(("appends/s, one station, SQLite (one transaction each)", f"{rate:,.0f}"))
    if not (args.verify_only or args.no_pg):
        rate = bench_append(_fresh_pg(args.pg), 1, args.seconds)
        rows.append(("appends/s, one station, PostgreSQL", f"{rate:,.0f}"))
        rate = bench_append(_fresh_pg(args.pg), 2, args.seconds)
        rows.append(("appends/s, two stations, one PostgreSQL (sum)", f"{rate:,.0f}"))
    print("| measurement | figure |\n|---|---|")
    for name, fig in rows:
        print(f"| {name} | {fig} |")


if __name__ == "__main__":
    main()
