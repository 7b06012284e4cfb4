"""`wipe-station station …`: the station's identity."""

from __future__ import annotations

from pathlib import Path

import click

from wipe_station.cli.runtime import Runtime, output_file, pass_runtime, write_file
from wipe_station.errors import StationError
from wipe_station.roles import Permission


@click.group()
def station() -> None:
    """This station's identity and signing key."""


@station.command("init", short_help="Set up a station in the home (a new id and signing key).")
@pass_runtime
def init(rt: Runtime) -> None:
    """Set up a station in the home: a new station id (WIPE_STATION_ID, or 6 random letters and
    digits) and signing key, registered in the database. On a home that already holds a station
    this only says which one; nothing is replaced.

    A second station on a depot's PostgreSQL starts here (with --db); on a fresh home
    `users add NAME --role admin` does the same and adds the first admin."""
    from wipe_station.identity import exists
    from wipe_station.paths import home_path

    existed = exists(home_path(rt.home))
    ctx = rt.station(create=True)
    said = "already holds" if existed else "now holds"
    click.echo(f"{ctx.home} {said} station {ctx.station_id}")


@station.command(
    "start-over", short_help="Start a lost database over; the numbers already given stay retired."
)
@click.option(
    "--confirm",
    "confirm_id",
    required=True,
    metavar="STATION_ID",
    help="This station's id, typed again: the old records are not coming back.",
)
@pass_runtime
def start_over(rt: Runtime, confirm_id: str) -> None:
    """When this station's database is lost for good (no backup), register the station in a
    new, empty database. Certificate numbers go on after the highest the station ever gave out
    (its number ledger), so none is issued twice; the audit log of the new database starts with
    a `station.started_over` event naming them. Then set up the first admin with `wipe-station
    users add NAME --role admin`.

    Run it only on the station's own machine, as the user that owns its home (the signing key
    is there): nobody can sign in to a database that has no operators."""
    from wipe_station.context import LostDatabase, open_station
    from wipe_station.errors import NoStation
    from wipe_station.identity import exists, load_or_create
    from wipe_station.paths import home_path

    home = home_path(rt.home)
    if not exists(home):
        raise NoStation(home)
    station_id = load_or_create(home).station_id  # loads only: the home holds a station
    if confirm_id.strip().upper() != station_id:
        raise StationError(f"--confirm {confirm_id!r} is not this station's id ({station_id})")
    try:
        open_station(home, rt.db_url, create=False).close()
    except LostDatabase:
        pass
    else:
        raise StationError(f"the database holds station {station_id}: nothing to start over")
    ctx = open_station(home, rt.db_url, create=False, start_over=True)
    try:
        retired = ctx.ledger.read()
        said = ", ".join(f"{y}: up to {n:06d}" for y, n in sorted(retired.items())) or "none"
        click.echo(f"station {ctx.station_id} starts over; numbers retired: {said}")
        click.echo("next: wipe-station users add NAME --role admin")
    finally:
        ctx.close()


@station.command("public-key", short_help="Print the station's public key (PEM) for auditors.")
@pass_runtime
def public_key(rt: Runtime) -> None:
    """Print the station's public key (PEM): give it to auditors to verify offline.

    Never creates a station: on a home without one it fails and names the home. The demo's key:
    `wipe-station demo --public-key`."""
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


@station.command("verifier", short_help="Write the auditors' offline verifier (one HTML file).")
@output_file(help="The HTML file to write, e.g. verify-OSL01.html.")
@pass_runtime
def verifier(rt: Runtime, output: Path) -> None:
    """Write one self-contained HTML file that checks certificates, manifests, QR texts and
    audit bundles in a browser, offline (auditor or admin). It holds the public key of every
    station in this database (several on a depot's PostgreSQL), shown with its fingerprint;
    it loads nothing and can reach nothing (docs/auditor-verifier.md)."""
    from sqlmodel import select

    from wipe_station import __version__
    from wipe_station.auditor_page import StationKey, StationKeyError, build_page
    from wipe_station.db.models import Station
    from wipe_station.timeutil import iso, utcnow

    rt.operator(Permission.VERIFY_AUDIT)
    ctx = rt.station()
    with ctx.session() as session:
        rows = session.exec(select(Station).order_by(Station.id)).all()
        keys = [StationKey(s.id, s.name, s.public_key_pem) for s in rows]
    try:
        page = build_page(keys, __version__, iso(utcnow()))
    except StationKeyError as exc:
        raise StationError(str(exc)) from exc
    write_file(output, page)
    for key in keys:
        click.echo(f"station {key.station}: SHA-256 {key.fingerprint()}")
    click.echo(f"wrote {output}")
