"""`wipe-station audit …`: verify and export the tamper-evident audit log."""

from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path

import click
from sqlalchemy.exc import DatabaseError

from wipe_station.audit import log as audit_log
from wipe_station.audit import resume as verified_marks
from wipe_station.audit.store import export_bundle, verify_bundle, verify_database
from wipe_station.cli.runtime import (
    Runtime,
    claim_output,
    iso_date,
    output_file,
    pass_runtime,
    write_file,
)
from wipe_station.errors import DatabaseUnavailable, IntegrityFailure, StationError
from wipe_station.paths import home_path
from wipe_station.roles import Permission


@click.group(short_help="The audit log: verify its chain and signatures, export it.")
def audit() -> None:
    """The audit log: verify the hash chain and signatures, export for auditors."""


@audit.command("verify", short_help="Check the audit log's hash chain and signed checkpoints.")
@click.option(
    "--bundle",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Verify an exported bundle offline instead of the database.",
)
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The station's public key (PEM) to check the bundle against.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Walk every chain from its first event, not from the checkpoint verified last time.",
)
@pass_runtime
def verify(rt: Runtime, bundle: Path | None, public_key: Path | None, full: bool) -> None:
    """Recompute the hash chain of every station in the database and check its signed
    checkpoints (auditor or admin); with --bundle, check an exported bundle offline instead,
    with no database and no sign-in.

    A chain is walked from the last signed checkpoint an earlier verification on this station
    passed (and says so): the events since then are checked, not five years again. --full
    walks every event, and finds a change made before that checkpoint too.

    \b
    Exit status: 0 the chain is intact and every checkpoint verifies,
                 1 an event was changed, removed or forged (the first bad one is named),
                 2 usage or an unreadable file, 3 sign-in refused."""
    if bundle is not None:
        if public_key is None:
            raise StationError("--bundle needs --public-key (the station's key you trust)")
        try:
            pem = public_key.read_bytes()
        except OSError as exc:
            raise StationError(f"cannot read {public_key}: {exc.strerror}") from exc
        report = verify_bundle(bundle, pem)
        if not report.ok:
            raise IntegrityFailure(report.summary())
        click.echo(report.summary())
        return
    try:
        rt.operator(Permission.VERIFY_AUDIT)
        ctx = rt.station()
        marks = {} if full else verified_marks.load(ctx.home, ctx.db_url)
        began = time.monotonic()
        with ctx.session() as session:
            reports = verify_database(session, ctx.identity, resume=marks)
        took = time.monotonic() - began
    except (DatabaseError, sqlite3.DatabaseError, DatabaseUnavailable) as exc:
        # Damaged pages are a broken log, said with where they are: never a crash (exit 70).
        from wipe_station.db.integrity import describe_damage, sqlite_damage
        from wipe_station.paths import resolve_db_url

        if isinstance(exc, DatabaseUnavailable) and exc.kind != "damaged":
            raise
        url = resolve_db_url(rt.db_url, home_path(rt.home))
        damage = sqlite_damage(url)
        raise IntegrityFailure(
            "BROKEN: " + (describe_damage(url, damage) if damage else f"the database: {exc}")
        ) from exc
    broken = [r for r in reports if not r.ok]
    if broken:
        raise IntegrityFailure(broken[0].summary())
    verified_marks.save(ctx.home, ctx.db_url, reports)
    for report in reports:
        click.echo(report.summary())
    walked = sum(r.walked for r in reports)
    rate = f" ({walked / took:,.0f} events/s)" if took > 0 and walked else ""
    click.echo(f"checked {walked} events in {took:.1f} s{rate}")


@audit.command("export", short_help="Write the audit log as a bundle auditors verify offline.")
@output_file(help="Bundle to write (.jsonl: one JSON record a line).")
@click.option("--station", "station_id", help="Another station's chain (default: this station).")
@pass_runtime
def export(rt: Runtime, output: Path, station_id: str | None) -> None:
    """Write a self-contained bundle an auditor verifies with the station's public key."""
    claim_output(output)
    op = rt.operator(Permission.EXPORT_AUDIT)
    ctx = rt.station()
    sid = station_id or ctx.station_id
    from wipe_station.db.models import Station

    with ctx.session() as session:
        row = session.get(Station, sid)
        if row is None:
            raise StationError(f"no station {sid!r} in this database")
        audit_log.append(
            session,
            ctx.identity,
            audit_log.Actor(op.name, op.id, op.role),
            "audit.exported",
            {"station": sid, "file": output.name},
        )
        if sid == ctx.station_id:
            audit_log.checkpoint_head(session, ctx.identity)
    with ctx.session() as session:
        count = export_bundle(session, sid, row.public_key_pem, output)
    click.echo(f"exported {count} events of station {sid} to {output}")


@audit.command("sample", short_help="Draw a reproducible sample of certified phones to check.")
@click.option("--percent", type=float, required=True, help="Share of certified phones to draw.")
@click.option("--seed", help="Any text; the same seed draws the same sample. Default: today.")
@click.option("--from", "start", callback=iso_date, help="First issue date (YYYY-MM-DD).")
@click.option("--to", "end", callback=iso_date, help="Last issue date (YYYY-MM-DD).")
@output_file(required=False, help="Also write the sample as .csv.")
@pass_runtime
def sample(
    rt: Runtime,
    percent: float,
    seed: str | None,
    start: date | None,
    end: date | None,
    output: Path | None,
) -> None:
    """Draw a reproducible random sample of certified phones for physical spot checks."""
    from wipe_station import auditor_exports
    from wipe_station.operators import actor_of
    from wipe_station.timeutil import utcnow

    op = rt.operator(Permission.EXPORT_RECORDS)
    seed = seed or utcnow().date().isoformat()
    rows = auditor_exports.sample(rt.station(), actor_of(op), percent, seed, start, end)
    if output is not None:
        write_file(output, auditor_exports.to_csv(rows))
    from wipe_station.safe_text import visible

    click.echo(f"seed {visible(seed)!r}: {len(rows)} phones drawn")
    for r in rows:
        # Serials and models are what the phones said: controls and bidi shown, not run.
        click.echo(
            f"{visible(r.number):<28} {visible(r.serial):<20} {visible(r.manufacturer)} "
            f"{visible(r.model)}  {visible(r.batch) or '-'}"
        )
