"""`wipe-station settings …`: depot details and retention periods (admins only)."""

from __future__ import annotations

import click

from wipe_station import settings as settings_core
from wipe_station.audit import log as audit
from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.operators import actor_of
from wipe_station.roles import Permission


@click.group()
def settings() -> None:
    """Station settings shared by every station on the database."""


@settings.command("list")
@pass_runtime
def list_(rt: Runtime) -> None:
    """Show every setting with its current value."""
    rt.operator(Permission.SETTINGS)
    with rt.station().session() as s:
        for key in sorted(settings_core.DEFAULTS):
            click.echo(f"{key:<28} {settings_core.get(s, key)}")


@settings.command("set")
@click.argument("key")
@click.argument("value")
@pass_runtime
def set_(rt: Runtime, key: str, value: str) -> None:
    """Change a setting (audited)."""
    op = rt.operator(Permission.SETTINGS)
    value = settings_core.validate(key, value)  # the range next to the defaults
    ctx = rt.station()
    with ctx.session() as s:
        old = settings_core.get(s, key)
        settings_core.put(s, key, value)
        audit.append(
            s,
            ctx.identity,
            actor_of(op),
            "settings.changed",
            {"key": key, "old": old, "new": value},
        )
    click.echo(f"{key} = {value}")
