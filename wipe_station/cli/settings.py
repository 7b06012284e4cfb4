"""`wipe-station settings …`: depot details and retention periods (admins only)."""

from __future__ import annotations

import click

from wipe_station import settings as settings_core
from wipe_station.audit import log as audit
from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.errors import StationError
from wipe_station.operators import actor_of
from wipe_station.roles import Permission
from wipe_station.safe_text import visible


def _shown(value: str) -> str:
    # A stored value may come from another station or an older version: shown, never run.
    return repr(visible(value)) if value else "(empty)"


def _key_help(key: str) -> list[str]:
    """Meaning, allowed values and default of one key, as help and `settings list` show them."""
    return [
        f"    {settings_core.MEANINGS.get(key, '')}",
        f"    allowed: {settings_core.allowed(key)}; default: "
        f"{_shown(settings_core.DEFAULTS[key])}",
    ]


def _all_keys_help() -> str:
    # \b keeps click from re-wrapping the table into one paragraph.
    lines = ["\b", "Settings:"]
    for key in sorted(settings_core.DEFAULTS):
        lines += [f"  {key}", *_key_help(key)]
    return "\n".join(lines)


def _known(key: str) -> str:
    if key not in settings_core.DEFAULTS:
        raise StationError(
            f"unknown setting {visible(key, 60)!r}; the settings are: "
            + ", ".join(sorted(settings_core.DEFAULTS))
        )
    return key


@click.group(short_help="Station settings (admins only): get, list, set.")
def settings() -> None:
    """Station settings shared by every station on the database (admins only)."""


@settings.command("list", short_help="Show every setting: value, meaning, allowed, default.")
@pass_runtime
def list_(rt: Runtime) -> None:
    """Show every setting with its current value, its meaning, what it accepts and its
    default."""
    rt.operator(Permission.SETTINGS)
    with rt.station().session() as s:
        for key in sorted(settings_core.DEFAULTS):
            click.echo(f"{key} = {_shown(settings_core.get(s, key))}")
            for line in _key_help(key):
                click.echo(line)


@settings.command("get", short_help="Print one setting's current value.")
@click.argument("key")
@pass_runtime
def get(rt: Runtime, key: str) -> None:
    """Print the current value of setting KEY (one line, nothing else, for scripts)."""
    _known(key)
    rt.operator(Permission.SETTINGS)
    with rt.station().session() as s:
        click.echo(visible(settings_core.get(s, key)))


@settings.command("set", short_help="Change a setting (audited); --help lists every key.")
@click.argument("key")
@click.argument("value")
@pass_runtime
def set_(rt: Runtime, key: str, value: str) -> None:
    """Change setting KEY to VALUE (audited, old and new value); the value is checked against
    what the key allows. The current values: `wipe-station settings list`."""
    _known(key)
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


set_.epilog = _all_keys_help()
