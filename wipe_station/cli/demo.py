"""`wipe-station demo`: the station on a fleet of emulated phones."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click
import platformdirs

from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.paths import APP_NAME


@click.command()
@click.option("--phones", type=click.IntRange(1, 256), default=12, show_default=True)
@click.option("--headless", is_flag=True, help="No UI: run the fleet through and print a summary.")
@click.option("--clean-only", is_flag=True, help="Only clean phones (benchmarks).")
@click.option("--real-delays", is_flag=True, help="Phones take their profile's time to reset.")
@pass_runtime
def demo(rt: Runtime, phones: int, headless: bool, clean_only: bool, real_delays: bool) -> None:
    """Erase and certify a mixed fleet of emulated Android phones and iPhones."""
    from wipe_station.operators import actor_of
    from wipe_station.orchestrator.demo_home import demo_operator, refuse_real_erasures

    if rt.home is None and not os.environ.get("WIPE_STATION_HOME"):
        rt.home = Path(platformdirs.user_data_dir(APP_NAME)) / "demo"
    ctx = rt.station()
    refuse_real_erasures(ctx)
    op = demo_operator(ctx, rt.operator_name, os.environ.get("WIPE_STATION_PIN"))
    from wipe_station.orchestrator.records import interrupt_in_flight

    interrupted = interrupt_in_flight(ctx, actor_of(op))
    if interrupted:
        click.echo(f"{len(interrupted)} erasures were cut off last time: now interrupted", err=True)
    if headless:
        from wipe_station.orchestrator.headless import run_headless

        click.echo(f"demo home: {ctx.home}", err=True)
        from wipe_station.orchestrator.demo_home import announce_demo_returns

        summary = asyncio.run(
            run_headless(
                ctx,
                actor_of(op),
                phones,
                clean_only=clean_only,
                zero_delay=not real_delays,
                announce=lambda ids: announce_demo_returns(ctx, ids),
            )
        )
        click.echo(summary.line())
        return
    from wipe_station.tui.app import run_demo_ui

    run_demo_ui(ctx, op, phones)
