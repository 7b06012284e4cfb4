"""`wipe-station users …`: operators and their roles."""

from __future__ import annotations

import sys

import click

from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.errors import StationError
from wipe_station.operators import add_operator, count_operators, disable_operator, list_operators
from wipe_station.roles import Permission, Role


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


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--pin-stdin", is_flag=True, help="Read the new PIN from standard input.")
@pass_runtime
def add(rt: Runtime, name: str, role: str, pin_stdin: bool) -> None:
    """Add an operator. On a station with no operators, creates the first admin without sign-in."""
    ctx = rt.station()
    with ctx.session() as session:
        first = count_operators(session) == 0
    by = None if first else rt.operator(Permission.MANAGE_USERS)
    pin = _read_pin(pin_stdin)
    op = add_operator(ctx, name, role, pin, by)
    click.echo(f"added {op.name} ({op.role})")


@users.command("list")
@pass_runtime
def list_(rt: Runtime) -> None:
    """List operators and their roles."""
    rt.operator(Permission.MANAGE_USERS)
    for op in list_operators(rt.station()):
        status = "disabled" if op.disabled else "active"
        click.echo(f"{op.name:<24} {op.role:<11} {status}")


@users.command("disable")
@click.argument("name")
@pass_runtime
def disable(rt: Runtime, name: str) -> None:
    """Disable an operator (records stay; the operator can no longer sign in)."""
    by = rt.operator(Permission.MANAGE_USERS)
    disable_operator(rt.station(), name, by)
    click.echo(f"disabled {name}")
