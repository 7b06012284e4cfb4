"""`wipe-station demo`: the station on a fleet of emulated phones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import platformdirs

from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.paths import APP_NAME


@click.command(short_help="Try the station on emulated phones, in a home of its own.")
@click.option(
    "--phones",
    type=click.IntRange(1, 256),
    default=12,
    show_default=True,
    help="How many lab phones in the bundled mixed fleet.",
)
@click.option("--headless", is_flag=True, help="No UI: run the fleet through and print a summary.")
@click.option("--clean-only", is_flag=True, help="Only clean phones (benchmarks).")
@click.option("--real-delays", is_flag=True, help="Phones take their profile's time to reset.")
@click.option(
    "--fleet",
    "fleet_flag",
    is_flag=True,
    help="Run exactly the lab profile files given as arguments (Android or iOS; a file may "
    "`extends:` a bundled profile by name) instead of the bundled mix.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="With --headless: print one JSON document (every phone and a summary) on stdout.",
)
@click.option(
    "--public-key",
    "public_key",
    is_flag=True,
    help="Print the demo station's public key (PEM) and exit, to verify demo certificates.",
)
@click.argument(
    "profile_files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@pass_runtime
def demo(
    rt: Runtime,
    phones: int,
    headless: bool,
    clean_only: bool,
    real_delays: bool,
    fleet_flag: bool,
    as_json: bool,
    public_key: bool,
    profile_files: tuple[Path, ...],
) -> None:
    """Erase and certify a fleet of emulated Android phones and iPhones.

    The demo keeps its own home, <user data dir>/demo (unless --home or WIPE_STATION_HOME names
    one), sets it up on first use, signs in as demo-technician (PIN 1234) and marks every
    certificate EMULATED; it refuses a home that holds real erasures.

    \b
    wipe-station demo                                  the station UI on a mixed lab fleet
    wipe-station demo --headless --phones 64           the same fleet without a UI
    wipe-station demo --headless --fleet a.yaml b.yaml --json
    wipe-station demo --public-key > demo.pem         the key demo certificates verify with
    """
    from wipe_station.operators import actor_of
    from wipe_station.orchestrator.demo_home import demo_operator, refuse_real_erasures
    from wipe_station.orchestrator.fleet_files import load_fleet

    if profile_files and not fleet_flag:
        raise click.UsageError("profile files go with --fleet: demo --fleet FILE.yaml …")
    if fleet_flag and not profile_files:
        raise click.UsageError("--fleet needs at least one lab profile file")
    if as_json and not headless:
        raise click.UsageError("--json goes with --headless")
    profiles = load_fleet(list(profile_files)) if fleet_flag else None
    if rt.home is None and not os.environ.get("WIPE_STATION_HOME"):
        rt.home = Path(platformdirs.user_data_dir(APP_NAME)) / "demo"
    if public_key:
        click.echo(rt.station(create=True).identity.public_key_pem(), nl=False)
        return
    # The real station's start-up (lock, checks, recovery); the demo only adds the lab.
    ctx = rt.start(create=True)  # the demo sets up its own home
    refuse_real_erasures(ctx)
    op = demo_operator(ctx, rt.operator_name, os.environ.get("WIPE_STATION_PIN"))
    if headless:
        from wipe_station.orchestrator.demo_home import announce_demo_returns
        from wipe_station.orchestrator.fleet_report import fleet_report
        from wipe_station.orchestrator.headless import run_until_stopped
        from wipe_station.startup import exit_status

        click.echo(f"demo home: {ctx.home}", err=True)
        received, ran = run_until_stopped(
            ctx,
            actor_of(op),
            phones,
            clean_only=clean_only,
            zero_delay=not real_delays,
            announce=lambda ids: announce_demo_returns(ctx, ids),
            profiles=profiles,
            lab_process=True,  # the phones apart from the station, as real ones are
        )
        if ran is None:
            click.echo("stopped by a signal: no new work taken, the lab is down", err=True)
            raise click.exceptions.Exit(exit_status(received))
        summary, views = ran
        if as_json:
            # ASCII only: a phone's bidi or control characters arrive as \u escapes, not raw.
            click.echo(json.dumps(fleet_report(ctx, summary, views), indent=2, ensure_ascii=True))
        else:
            click.echo(summary.line())
        return
    from wipe_station.tui.app import run_demo_ui

    code = run_demo_ui(ctx, op, phones, profiles)
    if code:
        raise click.exceptions.Exit(code)
