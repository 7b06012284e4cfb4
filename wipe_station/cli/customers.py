"""`wipe-station customers …`: employers, organisation numbers, contract ends."""

from __future__ import annotations

from datetime import date

import click

from wipe_station.cli.runtime import Runtime, iso_date, pass_runtime
from wipe_station.customers import add_customer, list_customers, set_contract_end
from wipe_station.operators import actor_of
from wipe_station.roles import Permission
from wipe_station.safe_text import visible


@click.group(short_help="Customers: organisation number, name and contract end.")
def customers() -> None:
    """Customers: employers with their organisation number and contract end."""


@customers.command("add")
@click.argument("org")
@click.option("--name", required=True, help="The customer's name, as on reports.")
@click.option("--contract-end", callback=iso_date, help="YYYY-MM-DD; drives retention.")
@pass_runtime
def add(rt: Runtime, org: str, name: str, contract_end: date | None) -> None:
    """Add a customer (organisation number checked with its mod-11 digit)."""
    op = rt.operator(Permission.MANAGE_CUSTOMERS)
    cust = add_customer(rt.station(), actor_of(op), org, name, contract_end)
    click.echo(f"added {cust.org_number} {visible(cust.name)}")


@customers.command("set")
@click.argument("org")
@click.option(
    "--contract-end", callback=iso_date, required=True, help="YYYY-MM-DD; drives retention."
)
@pass_runtime
def set_(rt: Runtime, org: str, contract_end: date | None) -> None:
    """Change a customer's contract end."""
    op = rt.operator(Permission.MANAGE_CUSTOMERS)
    cust = set_contract_end(rt.station(), actor_of(op), org, contract_end)
    click.echo(f"{cust.org_number} contract ends {cust.contract_end}")


@customers.command("list")
@pass_runtime
def list_(rt: Runtime) -> None:
    """List customers."""
    rt.operator(Permission.MANAGE_CUSTOMERS)
    rows = list_customers(rt.station())
    for cust in rows:
        end = cust.contract_end.isoformat() if cust.contract_end else "-"
        click.echo(f"{cust.org_number}  {visible(cust.name):<40} contract ends {end}")
    if not rows:
        click.echo("no customers (add one: wipe-station customers add ORG --name NAME)")
