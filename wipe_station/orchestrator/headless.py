"""The whole fleet through erasure, verification and certificates, with no UI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from drivers.contract import Platform
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.orchestrator.demo_fleet import DemoFleet, Summary, summarise
from wipe_station.orchestrator.engine import Engine, PhoneView
from wipe_station.orchestrator.fleet_files import FleetProfile


async def run_fleet(
    ctx: StationContext,
    actor: audit.Actor,
    phones: int,
    *,
    clean_only: bool = False,
    zero_delay: bool = True,
    announce: Callable[[list[tuple[str, str | None]]], object] | None = None,
    profiles: list[FleetProfile] | None = None,
    lab_process: bool = False,
    only: Platform | None = None,
) -> tuple[Summary, list[PhoneView]]:
    """``announce`` receives the fleet's (serial, IMEI) pairs before any phone is handled, as a
    customer's return list arrives before the phones (demo mode imports an intake from it).

    A guided reset's question ("what does the screen show?") is answered from the lab phone's
    screen, as a technician at the bench would, and recorded under ``actor``.

    ``lab_process`` runs the lab apart from the station (see `DemoFleet`); the summary then
    carries the CPU seconds the lab used. ``only``: phones of that platform alone."""
    started = time.monotonic()
    fleet_cm = DemoFleet(
        phones,
        clean_only=clean_only,
        zero_delay=zero_delay,
        profiles=profiles,
        lab_process=lab_process,
        only=only,
    )
    async with fleet_cm as fleet:
        assert fleet.android is not None
        if announce is not None:
            await asyncio.to_thread(announce, fleet.identities())
        engine = Engine(
            ctx,
            actor,
            android_backend=fleet.android.bus.backend(),
            usbmux_address=fleet.usbmux_address,
            emulated=True,
            return_timeout_s=60,
            auto_attest=fleet.screen,
            listener=fleet.follow_guidance,
        )
        try:
            jobs = [engine.run_android(port) for port in fleet.android_ports()]
            jobs += [engine.run_ios(udid) for udid in await fleet.ios_udids()]
            views = await asyncio.gather(*jobs)
        finally:
            # Cancelled (a stop signal) or not: the writes in flight commit before the lab
            # goes and before start-up's recovery settles what the jobs left.
            await engine.close()
    summary = summarise([v.state for v in views], started)
    summary.lab_cpu_s = fleet_cm.lab_cpu_s
    return summary, list(views)


async def run_headless(
    ctx: StationContext,
    actor: audit.Actor,
    phones: int,
    *,
    clean_only: bool = False,
    zero_delay: bool = True,
    announce: Callable[[list[tuple[str, str | None]]], object] | None = None,
    lab_process: bool = False,
    only: Platform | None = None,
) -> Summary:
    summary, _ = await run_fleet(
        ctx,
        actor,
        phones,
        clean_only=clean_only,
        zero_delay=zero_delay,
        announce=announce,
        lab_process=lab_process,
        only=only,
    )
    return summary


def run_until_stopped(
    ctx: StationContext, actor: audit.Actor, phones: int, **options: Any
) -> tuple[list[int], tuple[Summary, list[PhoneView]] | None]:
    """`run_fleet` in its own event loop until it ends or SIGTERM/SIGINT stops it: then the
    jobs are cancelled, their writes in flight commit, the lab stops (its temporary folders go
    with it). Returns the signals received and the result (None when stopped). The caller's
    `StartedStation.stop` marks what was cut off."""
    from wipe_station.startup import stop_signals

    async def main(received: list[int]) -> tuple[Summary, list[PhoneView]] | None:
        try:
            return await run_fleet(ctx, actor, phones, **options)
        except asyncio.CancelledError:
            if received:
                return None
            raise

    loop = asyncio.new_event_loop()
    try:
        task: asyncio.Task[Any] | None = None

        def stop(_signum: int) -> None:
            if task is not None:
                loop.call_soon_threadsafe(task.cancel)

        with stop_signals(stop) as received:
            task = loop.create_task(main(received))
            result = loop.run_until_complete(task)
        return received, result
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
