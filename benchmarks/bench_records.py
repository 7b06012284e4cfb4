"""Five years of a depot's records (issue 30): the commands people run, timed as they run them.

    python benchmarks/bench_records.py --certificates 50000 --db postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/bench_records.py --certificates 50000 --db sqlite

Builds a new database (PostgreSQL: a new database beside the one named; SQLite: a file in a new
station home) the way four stations fill it in five years, scaled to ``--certificates`` (the
issue's base: 500,000 certificates, ~2,000 customers, ~600,000 intake lines, ~5,000 batches):
- customers through `customers.add_customer`, intake lines through `intake.import_text` (the
  project's own import: lines, chained events and personal-value commitments), 1.2 per phone;
- one phone through the real records path (detected, erased, verified, certified): its signed
  payload is the template for the others;
- the other phones, their jobs, evidence, certificates (payloads signed with the station's key)
  and recycling batches (with an ~18 KB signed-manifest text each) by bulk inserts into the same
  tables, and their chained events through `audit.append_many`, spread over five years and a
  little more (so retention has certificates to purge); a fifth of the customers' contracts
  ended more than six months ago (personal data to anonymise).
Then runs each command as a user would (`wipe-station …` in a subprocess, signed in by
environment) and prints its wall time, peak RSS (the child's own, from wait4) and exit status;
``--json`` prints one line instead of the table.

``--keep`` keeps the base built (its folder and database) and names it; ``--base FOLDER`` runs
the commands on a fresh copy of a kept base instead of building one (the commands change the
records: an import, a batch, retention).

Not a test: run it by hand. At 500,000 certificates the build takes about 10 minutes on
PostgreSQL and 3 on SQLite here (README, "Five years of records").
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import rfc8785
from sqlalchemy import select
from stdnum import luhn

from wipe_station.audit import log as audit
from wipe_station.context import StationContext, open_station
from wipe_station.customers import add_customer
from wipe_station.db import bulk
from wipe_station.db.models import (
    BatchItem,
    Certificate,
    Customer,
    Device,
    Evidence,
    IntakeLine,
    RecyclingBatch,
    Station,
    WipeJob,
)
from wipe_station.intake import import_text
from wipe_station.operators import add_operator
from wipe_station.timeutil import iso, utcnow

PIN = "2468"
STATIONS = 4
CHUNK = 5000
EVIDENCE_PER_JOB = 4
PHONES_PER_BATCH = 100
FIVE_YEARS = timedelta(days=5 * 365 + 60)  # a little over: some are due for purging


def _org(i: int) -> str:
    """A valid Norwegian organisation number (mod 11), distinct for each i."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    for t in range(3):  # some bodies have no check digit: the next of i's three
        body = f"9{i * 3 + t:07d}"
        rest = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if rest != 10:
            return body + ("0" if rest == 11 else str(rest))
    raise ValueError(i)


def _imei(i: int) -> str:
    body = f"35{i:012d}"
    return body + luhn.calc_check_digit(body)


def _fresh_db(spec: str, home: Path) -> str:
    if spec == "sqlite":
        return f"sqlite:///{home / 'records.db'}"
    name = f"bench_records_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(spec.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    base = spec.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def _admin_url(db_url: str) -> str:
    """The server's maintenance database, to create and drop the bench's databases from."""
    return db_url.replace("postgresql+psycopg", "postgresql").rsplit("/", 1)[0] + "/postgres"


def _copy_base(base: Path, spec: str) -> tuple[Path, str]:
    """A new home and database holding what ``base`` (kept with --keep) holds: the commands
    change the records (an import, a batch, retention), so each run starts from the base as
    built. PostgreSQL copies the database as a template (no session may be on it)."""
    info = json.loads((base / "bench-info.json").read_text())
    home = Path(tempfile.mkdtemp(prefix="bench-records-"))
    shutil.copytree(base, home, dirs_exist_ok=True, ignore=shutil.ignore_patterns("out", "*.csv"))
    os.sync()  # the copy's writeback must not run into the first timed command
    source = info["db_url"]
    if source.startswith("sqlite"):
        return home, f"sqlite:///{home / 'records.db'}"
    name = f"bench_records_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_url(source), autocommit=True) as c:
        # FILE_COPY: PostgreSQL 15's default copies the base through the WAL (3 GB), and the
        # checkpoints that follow ran into the timed commands.
        c.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{source.rsplit("/", 1)[1]}" STRATEGY FILE_COPY'
        )
    return home, f"{source.rsplit('/', 1)[0]}/{name}"


def _template(ctx: StationContext) -> dict[str, Any]:
    """One phone through the records path; its signed payload, as data."""
    from drivers.contract import DeviceFacts, EvidenceItem, Platform
    from wipe_station.certify import issue_certificate
    from wipe_station.lifecycle import DeviceState, transition
    from wipe_station.orchestrator import records

    actor = audit.Actor("tech", None, "technician")
    facts = DeviceFacts(
        platform=Platform.ANDROID,
        manufacturer="Samsung",
        model="Galaxy S23",
        model_code="SM-S911B",
        serial="R5TEMPLATE0",
        os_version="14",
        imeis=(_imei(0),),
    )
    dev = records.device_detected(ctx, actor, facts, "1-1.1", emulated=False)
    with ctx.session() as s:
        row = s.get(Device, dev.id)
        assert row is not None
        for state in (DeviceState.WIPING, DeviceState.REBOOTING, DeviceState.VERIFYING):
            transition(s, ctx.identity, actor, row, state)
        transition(s, ctx.identity, actor, row, DeviceState.VERIFIED)
        job = WipeJob(
            device_id=row.id or 0,
            station_id=ctx.station_id,
            method="Recovery reset",
            erasure_class="purge",
            outcome="verified",
            ended_at=utcnow(),
        )
        s.add(job)
        s.flush()
        job_id = job.id or 0
    records.add_evidence(
        ctx,
        job_id,
        [
            EvidenceItem("verify", "station_key_forgotten", "CNXN", "AUTH token", True),
            EvidenceItem("verify", "setup_wizard", "settings get", "0", True),
        ],
    )
    cert = issue_certificate(ctx, job_id, actor)
    return json.loads(cert.payload_json)


def _analyze(ctx: StationContext) -> None:
    """What autovacuum does on a depot's server as the tables grow: fresh planner statistics.
    This machine's PostgreSQL runs with autovacuum off (its conf.d/90-ci.conf), so a base
    built in minutes would otherwise be planned as if its tables were empty."""
    if ctx.engine.dialect.name != "postgresql":
        return
    with ctx.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def build(ctx: StationContext, n: int, seed: int = 30) -> dict[str, Any]:
    """The five-year base for ``n`` certificates; returns what the commands need."""
    rng = random.Random(seed)
    boss = audit.Actor("bench", None, "admin")
    t0 = time.perf_counter()
    customers = max(20, n * 2000 // 500_000)
    orgs = [_org(i) for i in range(customers)]
    for i, org in enumerate(orgs):
        add_customer(ctx, boss, org, f"Customer {i} AS", None)
    with ctx.session() as s:
        cust_ids = dict(s.execute(select(Customer.org_number, Customer.id)).all())
        others = [f"ST{k}" for k in range(1, STATIONS)]
        pem = ctx.identity.public_key_pem()
        for sid in others:
            s.add(Station(id=sid, name=f"Bench station {sid}", public_key_pem=pem))
    stations = [ctx.station_id, *others]
    # One big customer (the issue's: 27,000 of 500,000 phones), the rest spread.
    big = orgs[0]
    org_index = {org: i for i, org in enumerate(orgs)}
    weights = [0.054 * customers] + [1.0] * (customers - 1)
    phone_org = rng.choices(orgs, weights=weights, k=n)
    template = _template(ctx)
    # Intake lines, 1.2 a phone: the announced phones (most) and others never sent.
    lines = [(phone_org[i], f"R5{i:09d}", _imei(i + 1)) for i in range(n)]
    lines += [(rng.choice(orgs), f"NS{i:09d}", _imei(n + i + 1)) for i in range(n // 5)]
    header = "org_number,serial,imei,employee_name,employee_phone,reason\n"
    for f in range(0, len(lines), 20_000):
        text = header + "".join(
            f"{o},{sn},{im},Employee {f + k},+47 4{(f + k) % 10_000_000:07d},lease end\n"
            for k, (o, sn, im) in enumerate(lines[f : f + 20_000])
        )
        result = import_text(ctx, boss, text, f"returns-{f // 20_000:03d}.csv")
        assert not result.errors, result.errors[:3]
    _analyze(ctx)
    with ctx.session() as s:
        line_ids = dict(s.execute(select(IntakeLine.serial, IntakeLine.id)).all())
    t_lines = time.perf_counter()

    now = utcnow()
    start = now - FIVE_YEARS
    span = (now - timedelta(days=2) - start).total_seconds()
    times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))
    key = ctx.identity.private_key
    seqs = {sid: 0 for sid in stations}
    manifest = json.dumps({"phones": [{"serial": f"X{i:08d}"} for i in range(1000)]})[:18_000]
    recent = n - max(1, n // 200)  # the newest 0.5 % are certified and wait for a batch
    batch_no = 0
    for c0 in range(0, n, CHUNK):
        idx = range(c0, min(n, c0 + CHUNK))
        with ctx.session() as s:
            dev_rows = []
            for i in idx:
                handed = i < recent
                dev_rows.append(
                    (
                        stations[i % STATIONS],
                        "android",
                        lines[i][1],
                        lines[i][2],
                        "Samsung",
                        "Galaxy S23",
                        "SM-S911B",
                        "14",
                        "handed_over" if handed else "certified",
                        times[i],
                        cust_ids[phone_org[i]],
                        line_ids[lines[i][1]],
                        times[i],
                    )
                )
            dev_ids = bulk.insert_tuples(
                s,
                Device,
                (
                    "station_id",
                    "platform",
                    "serial",
                    "imei",
                    "manufacturer",
                    "model",
                    "model_code",
                    "os_version",
                    "state",
                    "state_since",
                    "customer_id",
                    "intake_line_id",
                    "created_at",
                ),
                dev_rows,
                key="serial",
            )
            job_ids = bulk.insert_tuples(
                s,
                WipeJob,
                (
                    "device_id",
                    "station_id",
                    "method",
                    "erasure_class",
                    "outcome",
                    "reusable",
                    "route",
                    "verification_level",
                    "started_at",
                    "ended_at",
                ),
                [
                    (
                        d,
                        stations[i % STATIONS],
                        "Recovery reset",
                        "purge",
                        "verified",
                        True,
                        "test_harness",
                        "readback",
                        times[i] - timedelta(minutes=9),
                        times[i],
                    )
                    for d, i in zip(dev_ids, idx, strict=True)
                ],
                key="device_id",
            )
            bulk.insert_plain_tuples(
                s,
                Evidence,
                ("job_id", "seq", "step", "check", "request", "response", "ok", "at"),
                [
                    (
                        j,
                        q,
                        "verify",
                        f"check_{q}",
                        "settings get secure android_id",
                        "null (no user data)",
                        True,
                        times[i],
                    )
                    for j, i in zip(job_ids, idx, strict=True)
                    for q in range(1, EVIDENCE_PER_JOB + 1)
                ],
            )
            audit.append_many(
                s,
                ctx.identity,
                boss,
                [
                    audit.Pending(action, {"from": a, "to": b}, device_id=d)
                    for d in dev_ids
                    for action, a, b in (
                        ("device.state", "detected", "wiping"),
                        ("device.state", "verifying", "verified"),
                    )
                ]
                + [
                    audit.Pending("certificate.issued", {"number": f"#{i}"}, device_id=d)
                    for d, i in zip(dev_ids, idx, strict=True)
                ],
            )
            cert_rows = []
            for d, j, i in zip(dev_ids, job_ids, idx, strict=True):
                sid = stations[i % STATIONS]
                seqs[sid] += 1
                at = times[i]
                number = f"WS-{sid}-{at.year}-{seqs[sid]:06d}"
                org = phone_org[i]
                body = dict(template)
                body.update(number=number, issued_at=iso(at), station_id=sid)
                body["media"] = dict(template["media"], serial_number=lines[i][1])
                body["mobile"] = dict(template["mobile"], imeis=[lines[i][2]])
                body["customer"] = {"name": f"Customer {org_index[org]} AS", "org_number": org}
                raw = rfc8785.dumps(body)
                cert_rows.append(
                    (
                        number,
                        sid,
                        at.year,
                        seqs[sid],
                        d,
                        j,
                        at,
                        raw.decode(),
                        base64.b64encode(key.sign(raw)).decode(),
                        hashlib.sha256(raw).hexdigest(),
                        False,
                    )
                )
            cert_ids = bulk.insert_tuples(
                s,
                Certificate,
                (
                    "number",
                    "station_id",
                    "year",
                    "sequence",
                    "device_id",
                    "job_id",
                    "issued_at",
                    "payload_json",
                    "signature",
                    "digest",
                    "emulated",
                ),
                cert_rows,
                key="number",
            )
            # Recycling batches of the phones that left, each with its signed manifest text.
            for b0 in range(0, len(dev_ids), PHONES_PER_BATCH):
                members = [
                    k
                    for k in range(b0, min(len(dev_ids), b0 + PHONES_PER_BATCH))
                    if idx[k] < recent
                ]
                if not members:
                    continue
                batch_no += 1
                when = times[idx[members[-1]]] + timedelta(days=3)
                (bid,) = bulk.insert_tuples(
                    s,
                    RecyclingBatch,
                    (
                        "code",
                        "recycler",
                        "state",
                        "created_at",
                        "closed_at",
                        "handed_over_at",
                        "received_by",
                        "manifest_json",
                        "manifest_signature",
                    ),
                    [
                        (
                            f"RB-BENCH-{batch_no:06d}",
                            "Recycler AS",
                            "handed_over",
                            when,
                            when,
                            when,
                            "Ola",
                            manifest,
                            "c2lnbmF0dXJl",
                        )
                    ],
                    key="code",
                )
                bulk.insert_plain_tuples(
                    s,
                    BatchItem,
                    ("batch_id", "device_id", "certificate_id", "added_at"),
                    [(bid, dev_ids[k], cert_ids[k], when) for k in members],
                )
        print(f"  built {min(n, c0 + CHUNK):,} of {n:,} certificates", file=sys.stderr)
        if (c0 // CHUNK) % 20 == 19:
            _analyze(ctx)
    # Numbering goes on from the bulk-inserted certificates.
    with ctx.session() as s:
        from wipe_station.db.models import CertificateCounter

        for sid in stations:
            for year in range(start.year, now.year + 1):
                s.merge(CertificateCounter(station_id=sid, year=year, last_seq=seqs[sid]))
        # A fifth of the customers' contracts ended more than six months ago.
        for org in orgs[1 : 1 + customers // 5]:
            s.get(Customer, cust_ids[org]).contract_end = date.today() - timedelta(days=240)  # type: ignore[union-attr]
    _analyze(ctx)
    t_end = time.perf_counter()
    return {
        "big_customer": big,
        "some_certificate": cert_rows[0][0],
        "build_s": round(t_end - t0, 1),
        "lines_s": round(t_lines - t0, 1),
        "orgs": orgs,
    }


def run_command(env: dict[str, str], argv: list[str], timeout: float) -> dict[str, Any]:
    """Run ``wipe-station argv`` as a user would; wall time, the child's peak RSS (wait4),
    exit status, and its output."""
    exe = str(Path(sys.executable).with_name("wipe-station"))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([exe, *argv], env=env, stdout=out, stderr=err)
        code: int | str
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                _, _, usage = os.wait4(proc.pid, 0)
                code = "timeout"
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = 0  # reaped above: Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace").strip()
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": code,
        "stdout": stdout,
        "stderr": stderr.splitlines()[-1] if stderr and code != 0 else "",
    }


def commands(home: Path, info: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    big = info["big_customer"]
    today = date.today()
    month_from = (today - timedelta(days=60)).isoformat()
    month_to = (today - timedelta(days=30)).isoformat()
    intake_csv = home / "intake-20000.csv"
    intake_csv.write_text(
        "org_number,serial,imei,employee_name,employee_phone,reason\n"
        + "".join(
            f"{info['orgs'][i % len(info['orgs'])]},NEW{i:08d},{_imei(90_000_000 + i)},"
            f"Employee N{i},+47 9{i:07d},lease end\n"
            for i in range(20_000)
        )
    )
    out = home / "out"
    out.mkdir(exist_ok=True)
    return [
        ("certificate list", "interactive", ["certificate", "list"]),
        ("certificate list --customer", "interactive", ["certificate", "list", "--customer", big]),
        (
            "certificate export (one)",
            "interactive",
            ["certificate", "export", info["some_certificate"], "-o", str(out / "one.pdf")],
        ),
        (
            "report customer (one month)",
            "interactive",
            [
                "report",
                "customer",
                big,
                "--from",
                month_from,
                "--to",
                month_to,
                "-o",
                str(out / "report.csv"),
            ],
        ),
        (
            "privacy export",
            "interactive",
            ["privacy", "export", "--phone", "+47 40000007", "-o", str(out / "privacy.json")],
        ),
        ("intake import 20,000 lines", "interactive", ["intake", "import", str(intake_csv)]),
        ("batch create", "interactive", ["batch", "create", "--recycler", "Bench Recycler AS"]),
        ("batch add --all-certified", "interactive", ["batch", "add", "@BATCH", "--all-certified"]),
        (
            "export certificates (all)",
            "batch",
            ["export", "certificates", "-o", str(out / "all.csv")],
        ),
        (
            "export evidence (one month)",
            "batch",
            [
                "export",
                "evidence",
                "--from",
                month_from,
                "--to",
                month_to,
                "-o",
                str(out / "evidence.csv"),
            ],
        ),
        ("audit sample --percent 2", "batch", ["audit", "sample", "--percent", "2"]),
        ("audit verify --full", "batch", ["audit", "verify", "--full"]),
        ("audit verify (from checkpoint)", "batch", ["audit", "verify"]),
        ("retention run --dry-run", "batch", ["retention", "run", "--dry-run"]),
        ("retention run", "batch", ["retention", "run"]),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--certificates", type=int, default=500_000)
    ap.add_argument(
        "--db",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL URL (a new database is made beside it) or 'sqlite'",
    )
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--timeout", type=float, default=900, help="seconds a command may take")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the base built (its folder and PostgreSQL database), for query plans and --base",
    )
    ap.add_argument(
        "--base",
        type=Path,
        help="run on a copy of a base kept before (the folder --keep names) instead of building",
    )
    ap.add_argument("--build-into", help=argparse.SUPPRESS)  # internal: the building child
    args = ap.parse_args()
    if args.build_into:
        # In a process of its own: a command started from a process holding the base's build
        # data would start with that process's memory in its peak RSS (fork copies it).
        home, db_url = Path(args.build_into), args.db
        ctx = open_station(home, db_url)
        add_operator(ctx, "bench-admin", "admin", PIN, by=None)
        info = build(ctx, args.certificates)
        info.update(certificates=args.certificates, db_url=db_url)
        ctx.engine.dispose()
        (home / "bench-info.json").write_text(json.dumps(info))
        return
    if args.base:
        home, db_url = _copy_base(args.base, args.db)
        info = json.loads((home / "bench-info.json").read_text())
        args.certificates = info["certificates"]
    else:
        home = Path(tempfile.mkdtemp(prefix="bench-records-"))
        db_url = _fresh_db(args.db, home)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--certificates",
                str(args.certificates),
                "--db",
                db_url,
                "--build-into",
                str(home),
            ],
            check=True,
        )
        info = json.loads((home / "bench-info.json").read_text())
        print(
            f"  base built in {info['build_s']} s (intake lines {info['lines_s']} s)",
            file=sys.stderr,
        )
        if args.keep:
            # The commands change the records: they run on a copy, the base stays as built.
            print(f"  kept: --base {home} ({db_url})", file=sys.stderr)
            home, db_url = _copy_base(home, args.db)
    env = dict(
        os.environ,
        WIPE_STATION_HOME=str(home),
        WIPE_STATION_DB=db_url,
        WIPE_STATION_OPERATOR="bench-admin",
        WIPE_STATION_PIN=PIN,
        CI="true",
    )
    # A base kept by an earlier version is brought to this version's schema first, untimed:
    # a depot migrates once, when it upgrades, not in the first command a user runs after.
    run_command(env, ["doctor"], args.timeout)  # its verdict is not the point: opening is
    results: dict[str, dict[str, Any]] = {}
    batch_code = ""
    for name, kind, argv in commands(home, info):
        argv = [batch_code if a == "@BATCH" else a for a in argv]
        r = run_command(env, argv, args.timeout)
        if name == "batch create":
            batch_code = r["stdout"].strip()
        results[name] = {"kind": kind, **r}
        print(
            f"  {name}: {r['wall_s']} s, {r['peak_rss_mb']} MB, exit {r['exit']} {r['stderr']}",
            file=sys.stderr,
        )
    dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    # The base the commands ran on goes (with --keep or --base it was a copy).
    if dialect == "postgresql":
        with psycopg.connect(_admin_url(db_url), autocommit=True) as c:
            c.execute(f'DROP DATABASE "{db_url.rsplit("/", 1)[1]}"')
    shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(
            json.dumps(
                {
                    "certificates": args.certificates,
                    "db": dialect,
                    "commands": {
                        k: {f: v[f] for f in ("kind", "wall_s", "peak_rss_mb", "exit")}
                        for k, v in results.items()
                    },
                }
            )
        )
        return
    print(
        f"| command ({args.certificates:,} certificates, {dialect}) "
        "| kind | wall | peak RSS | exit |"
    )
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| `{name}` | {r['kind']} | {r['wall_s']} s | {r['peak_rss_mb']} MB | {r['exit']} |")


if __name__ == "__main__":
    main()
