"""`wipe-station users …`: operators and their roles."""

from __future__ import annotations

import sys

import click

from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.errors import StationError
from wipe_station.operators import add_operator, count_operators, disable_operator, list_operators
from wipe_station.roles import Permission, Role
from wipe_station.safe_text import visible


@click.group()
def users() -> None:
    """Operators: technicians, logistics managers, auditors, admins."""


def _read_pin(pin_stdin: bool) -> str:
    if pin_stdin:
        line = sys.stdin.readline()
        if not line:
            raise StationError("--pin-stdin: no PIN on standard input")
        return line.strip()
    if not sys.stdin.isatty():
        raise StationError("no terminal to ask the new PIN in: use --pin-stdin")
    return click.prompt("New PIN", hide_input=True, confirmation_prompt="Repeat the PIN")


@users.command("add", short_help="Add an operator; on an empty home, set up the station.")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="What the operator may do (see the roles in the README); the first must be admin.",
)
@click.option("--pin-stdin", is_flag=True, help="Read the new PIN from standard input.")
@pass_runtime
def add(rt: Runtime, name: str, role: str, pin_stdin: bool) -> None:
    """Add an operator (the PIN is asked twice, or read with --pin-stdin).

    On an empty home this sets up the station (a new id and signing key) and adds its first
    operator, who must be an admin, without sign-in; otherwise an admin signs in."""
    from wipe_station.context import is_brand_new
    from wipe_station.identity import exists
    from wipe_station.paths import home_path

    # The one everyday command meant to set a station up: the first admin needs somewhere to be.
    existed = exists(home_path(rt.home))
    if not existed and role != Role.ADMIN.value:  # refused before any station is made
        raise StationError(
            f"no station in {home_path(rt.home)} yet: its first operator must be an admin "
            "(--role admin)"
        )
    ctx = rt.station(create=True)
    if not existed:
        click.echo(f"set up station {ctx.station_id} in {ctx.home}", err=True)
    with ctx.session() as session:
        first = count_operators(session) == 0
    if first and not is_brand_new(ctx):
        raise StationError(
            f"station {ctx.station_id} has records but no operators: its database was emptied "
            "or replaced. Restore it from its backup; the first admin is set up only on a "
            "brand-new station (or after `wipe-station station start-over`)"
        )
    by = None if first else rt.operator(Permission.MANAGE_USERS)
    pin = _read_pin(pin_stdin)
    op = add_operator(ctx, name, role, pin, by)
    click.echo(f"added {op.name} ({op.role})")


@users.command("list")
@pass_runtime
def list_(rt: Runtime) -> None:
    """List operators and their roles."""
    rt.operator(Permission.MANAGE_USERS)
    ops = list_operators(rt.station())
    for op in ops:
        status = "disabled" if op.disabled else "active"
        click.echo(f"{visible(op.name):<24} {op.role:<11} {status}")
    if not ops:  # cannot happen once signed in, but an empty answer is said, never blank
        click.echo("no operators")


@users.command("disable", short_help="Disable an operator; their records stay.")
@click.argument("name")
@pass_runtime
def disable(rt: Runtime, name: str) -> None:
    """Disable an operator (records stay; the operator can no longer sign in)."""
    by = rt.operator(Permission.MANAGE_USERS)
    disable_operator(rt.station(), name, by)
    click.echo(f"disabled {name}")
