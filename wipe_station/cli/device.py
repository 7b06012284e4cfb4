"""`wipe-station device …`: the technician's decisions about one phone, without the station UI."""

from __future__ import annotations

import click

from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.roles import Permission
from wipe_station.safe_text import visible


@click.group(short_help="One phone: decisions the station leaves to a technician.")
def device() -> None:
    """One phone: decisions the station leaves to a technician."""


@device.command(
    "erase-again", short_help="Erase again an interrupted phone the station cannot judge."
)
@click.argument("serial")
@pass_runtime
def erase_again(rt: Runtime, serial: str) -> None:
    """An erasure a stopped station left interrupted, on a phone that came back in a state the
    station cannot judge (reset or not): erase it again the next time it is plugged in. The
    decision is audited under the signed-in technician's name."""
    from wipe_station.operators import actor_of
    from wipe_station.orchestrator import records

    op = rt.operator(Permission.WIPE)
    records.erase_again(rt.station(), actor_of(op), serial)
    click.echo(f"{visible(serial)}: erased again when plugged in (decided by {visible(op.name)})")
