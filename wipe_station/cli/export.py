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


@click.command(short_help="Export certificates or evidence as .csv or .json.")
@click.argument("kind", type=click.Choice(sorted(auditor_exports.ROW_TYPES)))
@click.option("--from", "start", callback=iso_date, help="First issue date (YYYY-MM-DD).")
@click.option("--to", "end", callback=iso_date, help="Last issue date (YYYY-MM-DD).")
@output_file(help="File to write: .csv or .json.")
@pass_runtime
def export(rt: Runtime, kind: str, start: date | None, end: date | None, output: Path) -> None:
    """Export certificates or their evidence as .csv or .json (no personal data). The file is
    written as the records are read: five years' records take a chunk of memory, not all."""
    op = rt.operator(Permission.EXPORT_RECORDS)
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise StationError(f"{output.name}: exports are written as .csv or .json")
    written = auditor_exports.Written()
    text = auditor_exports.export_text(
        rt.station(), actor_of(op), kind, suffix[1:], start, end, written
    )
    write_file(output, text)
    click.echo(f"wrote {written.count} {kind} rows to {output}")
