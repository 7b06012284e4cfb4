"""`wipe-station intake …`: announced returns from customers, and matching them to phones."""

from __future__ import annotations

from pathlib import Path

import click

from wipe_station import intake as intake_core
from wipe_station.cli.runtime import Runtime, how_many, limit_option, pass_runtime
from wipe_station.operators import actor_of
from wipe_station.roles import Permission
from wipe_station.safe_text import joined, visible


@click.group(short_help="Announced returns: import CSVs, list lines, assign phones.")
def intake() -> None:
    """Announced returns: import a customer's CSV, list lines, assign unmatched phones."""


@intake.command(
    "import", short_help="Load a customer's return list (CSV); exit 1 if rows rejected."
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def import_(click_ctx: click.Context, file: Path) -> None:
    """Load FILE.csv: org_number, serial and/or imei, employee_name, employee_phone, reason.

    Bad rows are reported with their line numbers (exit 1); the good rows load anyway."""
    rt: Runtime = click_ctx.obj
    op = rt.operator(Permission.IMPORT_INTAKE)
    result = intake_core.import_csv(rt.station(), actor_of(op), file)
    for error in result.errors:
        # Messages quote the customer's cells: shown, never sent to the terminal as escapes.
        click.echo(f"{visible(file)}:{error.line}: {visible(error.message)}", err=True)
    if result.ignored_columns:
        click.echo(f"ignored columns: {joined(result.ignored_columns)}", err=True)
    click.echo(
        f"loaded {len(result.loaded)} of {result.rows} rows from {visible(file.name)}"
        + (f"; {len(result.errors)} rejected" if result.errors else "")
        + (f"; {result.matched} matched to phones already here" if result.matched else "")
    )
    if result.errors:
        click_ctx.exit(1)


@intake.command("list", short_help="List announced returns with the employees' details.")
@click.option("--unmatched", is_flag=True, help="Only lines no phone has been matched to.")
@limit_option
@pass_runtime
def list_(rt: Runtime, unmatched: bool, limit: int) -> None:
    """List announced returns, newest first (with the employee's details, for logistics staff
    only), and say how many there are."""
    rt.operator(Permission.IMPORT_INTAKE)
    ctx = rt.station()
    total = intake_core.count_lines(ctx, unmatched_only=unmatched)
    lines = intake_core.list_lines(ctx, unmatched_only=unmatched, newest=limit or None)
    if not lines:
        click.echo("no intake lines waiting for a phone" if unmatched else "no intake lines")
        return
    for v in lines:
        # Every cell came from a customer's spreadsheet or a phone: controls shown, not run.
        ident = " / ".join(visible(x) for x in (v.serial, v.imei) if x)
        who = ", ".join(visible(x) for x in (v.employee_name, v.employee_phone) if x) or "-"
        phone = f"matched {visible(v.device_serial)}" if v.device_serial else "waiting"
        click.echo(f"{v.id:>6}  {visible(v.customer)}  {ident:<34} {who:<36} {phone}")
    what = "intake lines waiting for a phone" if unmatched else "intake lines"
    click.echo(how_many(len(lines), total, what))


@intake.command("unmatched")
@pass_runtime
def unmatched(rt: Runtime) -> None:
    """Phones at the station that no intake line announced."""
    rt.operator(Permission.IMPORT_INTAKE)
    devices = intake_core.unmatched_devices(rt.station())
    if not devices:
        click.echo("no unmatched phones")
    for dev in devices:
        imei = visible(dev.imei) or "-"
        click.echo(
            f"{visible(dev.serial):<20} {imei:<16} {visible(dev.manufacturer)} "
            f"{visible(dev.model)}  ({dev.state})"
        )


@intake.command("assign", short_help="Assign an unmatched phone to an intake line or customer.")
@click.argument("phone", metavar="SERIAL|IMEI")
@click.option("--line", "line_id", type=int, help="Intake line id (see `intake list`).")
@click.option("--customer", "org", help="Organisation number, when no line announced it.")
@pass_runtime
def assign(rt: Runtime, phone: str, line_id: int | None, org: str | None) -> None:
    """Assign an unmatched phone by hand to an intake line or a customer."""
    op = rt.operator(Permission.IMPORT_INTAKE)
    dev = intake_core.assign(rt.station(), actor_of(op), phone, line_id=line_id, org=org)
    click.echo(f"assigned {visible(dev.serial)}")
