"""`wipe-station report …`: aggregated employer reports (no identifiers, small counts hidden)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from wipe_station import reports
from wipe_station.cli.runtime import (
    Runtime,
    iso_date,
    output_file,
    output_or_print_folder,
    pass_runtime,
    print_option,
    send_to_printer,
    write_file,
)
from wipe_station.errors import StationError
from wipe_station.operators import actor_of
from wipe_station.roles import Permission


@click.group(short_help="Employer reports: counts by month, model and outcome only.")
def report() -> None:
    """Reports for customers: counts by month, model and outcome only."""


@report.command("customer")
@click.argument("org")
@click.option("--from", "start", callback=iso_date, required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", callback=iso_date, required=True, help="Last day (YYYY-MM-DD).")
@output_file(required=False, help="File to write: .pdf or .csv.")
@print_option
@pass_runtime
def customer(
    rt: Runtime, org: str, start: date, end: date, output: Path | None, print_to: str | None
) -> None:
    """Write the report for customer ORG as .pdf or .csv."""
    op = rt.operator(Permission.REPORTS)
    output = output_or_print_folder(rt, output, print_to, f"report-{org}")
    rep = reports.customer_report(rt.station(), actor_of(op), org, start, end)
    suffix = output.suffix.lower()
    if suffix == ".pdf":
        from certificates.report import render_report

        write_file(output, render_report(rep))
    elif suffix == ".csv":
        write_file(output, reports.report_csv(rep))
    else:
        raise StationError(f"{output.name}: the report is written as .pdf or .csv")
    total = sum(r.count for r in rep.by_outcome)
    click.echo(f"wrote the report for {rep.customer_org_number} ({total} phones) to {output}")
    send_to_printer(rt, output, print_to)
