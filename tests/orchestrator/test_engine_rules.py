"""Engine rules a depot relies on: a finished phone is never erased again by accident, and the
records of an erasure name the technician who approved it, whoever signs in later."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlmodel import col, select

from drivers.emulated.android.lab import AndroidLab
from wipe_station.audit.log import Actor
from wipe_station.context import open_station
from wipe_station.db.models import AuditEvent, WipeJob
from wipe_station.orchestrator.approvals import Approvals
from wipe_station.orchestrator.engine import Engine

ANNA = Actor("anna", None, "technician")
BORIS = Actor("boris", None, "technician")


async def _wait_ready(approvals: Approvals, key: str) -> None:
    for _ in range(400):
        if key in approvals.ready():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the phone never became ready")


def test_a_certified_phone_plugged_in_again_is_left_alone(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    lab = AndroidLab()
    try:
        handle = lab.attach("pixel-8-clean", port_path="1-1", tcp_port=None, zero_delay=True)
        engine = Engine(ctx, ANNA, android_backend=lab.bus.backend(), emulated=True)
        first = asyncio.run(engine.run_android("1-1"))
        assert first.state == "certified"
        # The detail pane's evidence list follows what the records hold.
        checks = dict(first.evidence)
        # Test Harness keeps the station's key: the reset shows in a restarted boot count.
        assert checks.get("boot_count_restarted") is True
        with ctx.session() as s:
            from wipe_station.db.models import Evidence

            assert len(s.exec(select(Evidence)).all()) == len(first.evidence)
        sent_before = len(handle.received)
        again = asyncio.run(engine.run_android("1-1"))
        assert again.state == "certified" and "nothing to do" in again.progress
        new_requests = handle.received[sent_before:]
        assert not any(r.startswith("reboot:") or "FACTORY_RESET" in r for r in new_requests)
        with ctx.session() as s:
            assert len(s.exec(select(WipeJob)).all()) == 1
    finally:
        lab.close()
        ctx.close()


def test_records_name_the_approver_when_someone_else_signs_in(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    lab = AndroidLab()
    try:
        lab.attach("pixel-8-clean", port_path="1-1", tcp_port=None, zero_delay=True)
        approvals = Approvals()
        engine = Engine(
            ctx, ANNA, android_backend=lab.bus.backend(), emulated=True, approvals=approvals
        )

        async def scenario() -> str:
            job = asyncio.ensure_future(engine.run_android("1-1"))
            await _wait_ready(approvals, "1-1")
            approvals.approve(["1-1"], by=ANNA)  # anna says go
            engine.actor = BORIS  # and boris signs in at the station while it runs
            return (await job).state

        assert asyncio.run(scenario()) == "certified"
        with ctx.session() as s:
            rows = s.exec(
                select(AuditEvent)
                .where(col(AuditEvent.action).in_(["device.state", "certificate.issued"]))
                .order_by(col(AuditEvent.seq))
            ).all()
        steps = [(e.operator, json.loads(e.payload).get("to", e.action)) for e in rows]
        assert steps and all(who == "anna" for who, _ in steps), steps
        assert ("anna", "certificate.issued") in steps
    finally:
        lab.close()
        ctx.close()


def test_a_phone_handed_over_before_says_where_it_went(home: Path, sqlite_url: str) -> None:
    from wipe_station import batches

    ctx = open_station(home, sqlite_url)
    lab = AndroidLab()
    boss = Actor("boss", None, "admin")
    try:
        handle = lab.attach("pixel-8-clean", port_path="1-1", tcp_port=None, zero_delay=True)
        engine = Engine(ctx, ANNA, android_backend=lab.bus.backend(), emulated=True)
        assert asyncio.run(engine.run_android("1-1")).state == "certified"
        batch = batches.create_batch(ctx, boss, "Miljøretur AS")
        batches.add_phone(ctx, boss, batch.code, handle.serial)
        batches.close_batch(ctx, boss, batch.code)
        batches.hand_over(ctx, boss, batch.code, "Ola Mottaker")
        sent_before = len(handle.received)
        again = asyncio.run(engine.run_android("1-1"))  # the same phone is back on the bench
        assert again.state == "quarantined"
        assert f"handed over in {batch.code} on " in again.progress
        new_requests = handle.received[sent_before:]
        assert not any(r.startswith("reboot:") or "testharness" in r for r in new_requests)
    finally:
        lab.close()
        ctx.close()


def test_a_blocked_phone_rechecked_after_its_blocker_is_gone_is_erased(
    home: Path, sqlite_url: str
) -> None:
    ctx = open_station(home, sqlite_url)
    lab = AndroidLab()
    try:
        handle = lab.attach("moto-g54-sim", port_path="1-1", tcp_port=None, zero_delay=True)
        engine = Engine(ctx, ANNA, android_backend=lab.bus.backend(), emulated=True)

        async def scenario() -> tuple[str, str]:
            first = await engine.run_android("1-1")
            handle.technician.remove_sim()  # the SIM comes out, then the technician presses r
            engine.recheck("1-1")
            engine.recheck("1-1")  # pressed twice: the running job is left to finish
            task = engine._tasks["1-1"]
            return first.state, (await task).state

        assert asyncio.run(scenario()) == ("blocked", "certified")
        with ctx.session() as s:
            assert len(s.exec(select(WipeJob)).all()) == 2
    finally:
        lab.close()
        ctx.close()
