"""`wipe-station privacy export`: data-subject access requests."""

from __future__ import annotations

from pathlib import Path

import click

from wipe_station import privacy as privacy_core
from wipe_station.cli.runtime import Runtime, output_file, pass_runtime, write_file
from wipe_station.operators import actor_of
from wipe_station.roles import Permission


@click.group()
def privacy() -> None:
    """Privacy: what the station holds about a person."""


@privacy.command("export", short_help="Write everything held about one employee as JSON.")
@click.option("--phone", help="The employee's phone number.")
@click.option("--employee", help="The employee's name.")
@output_file(help="File to write (.json).")
@pass_runtime
def export(rt: Runtime, phone: str | None, employee: str | None, output: Path) -> None:
    """Write every record about one employee as JSON, for the employer to forward."""
    op = rt.operator(Permission.PRIVACY_EXPORT)
    report = privacy_core.subject_access(rt.station(), actor_of(op), phone=phone, employee=employee)
    write_file(output, privacy_core.to_json(report))
    click.echo(
        f"wrote {len(report['records'])} records and {len(report['audit_log_mentions'])} "
        f"audit-log mentions to {output}"
    )
