"""`wipe-station station …`: the station's identity."""

from __future__ import annotations

import click

from wipe_station.cli.runtime import Runtime, pass_runtime


@click.group()
def station() -> None:
    """This station's identity and signing key."""


@station.command("public-key")
@pass_runtime
def public_key(rt: Runtime) -> None:
    """Print the station's public key (PEM): give it to auditors to verify offline."""
    click.echo(rt.station().identity.public_key_pem(), nl=False)


@station.command("info")
@pass_runtime
def info(rt: Runtime) -> None:
    """Show the station id, home and database."""
    from sqlalchemy.engine import make_url

    ctx = rt.station()
    click.echo(f"station id: {ctx.station_id}")
    click.echo(f"home:       {ctx.home}")
    click.echo(f"database:   {make_url(ctx.db_url).render_as_string(hide_password=True)}")
