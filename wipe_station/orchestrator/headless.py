"""The whole fleet through erasure, verification and certificates, with no UI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

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
        jobs = [engine.run_android(port) for port in fleet.android_ports()]
        jobs += [engine.run_ios(udid) for udid in await fleet.ios_udids()]
        views = await asyncio.gather(*jobs)
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
