"""`wipe-station export …`: certificates and evidence for auditors, as CSV or JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from wipe_station import auditor_exports
from wipe_station.cli.runtime import Runtime, iso_date, output_file, pass_runtime, write_file
from wipe_station.errors import StationError
from wipe_station.operators import actor_of
from wipe_station.roles import Permission

KINDS = {"certificates": auditor_exports.certificates, "evidence": auditor_exports.evidence}
ROW_TYPES = {
    "certificates": auditor_exports.CertificateRow,
    "evidence": auditor_exports.EvidenceRow,
}


@click.command(short_help="Export certificates or evidence as .csv or .json.")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--from", "start", callback=iso_date, help="First issue date (YYYY-MM-DD).")
@click.option("--to", "end", callback=iso_date, help="Last issue date (YYYY-MM-DD).")
@output_file(help="File to write: .csv or .json.")
@pass_runtime
def export(rt: Runtime, kind: str, start: date | None, end: date | None, output: Path) -> None:
    """Export certificates or their evidence as .csv or .json (no personal data)."""
    op = rt.operator(Permission.EXPORT_RECORDS)
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise StationError(f"{output.name}: exports are written as .csv or .json")
    rows = KINDS[kind](rt.station(), actor_of(op), start, end)
    if suffix == ".csv":
        text = auditor_exports.to_csv(rows, ROW_TYPES[kind])
    else:
        text = auditor_exports.to_json(rows, kind)
    write_file(output, text)
    click.echo(f"wrote {len(rows)} {kind} rows to {output}")
