"""One JSON document for a headless fleet run (`demo --headless --json`): what each phone ended
as, by its own serial number, so tests and reviewers can replay real phones end to end."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from wipe_station.context import StationContext
from wipe_station.db.models import WipeJob
from wipe_station.orchestrator.demo_fleet import Summary
from wipe_station.orchestrator.engine import PhoneView

# Finished states a report names; anything else is reported as it is (e.g. "verified" for an
# attested erasure held for a supervisor).
STATES = ("certified", "blocked", "failed", "quarantined", "interrupted")


def phone_entry(ctx: StationContext, view: PhoneView) -> dict[str, Any]:
    job = None
    if view.device_id is not None:
        with ctx.session() as s:
            job = s.exec(
                select(WipeJob)
                .where(WipeJob.device_id == view.device_id)
                .order_by(col(WipeJob.id).desc())
            ).first()
    return {
        "serial": view.facts.serial if view.facts else None,
        "platform": view.platform.value,
        "state": view.state,
        "blockers": [b.code.value for b in view.blockers if b.blocking],
        "warnings": [b.code.value for b in view.blockers if not b.blocking],
        "route": (job.route if job else None) or None,
        "verification": (job.verification_level if job else None) or None,
        "activation_lock": (job.activation_lock if job else None) or None,
        "reusable": job.reusable if job else None,
        "certificate": view.certificate,
        "reason": view.reason,
    }


def fleet_report(ctx: StationContext, summary: Summary, views: list[PhoneView]) -> dict[str, Any]:
    phones = [phone_entry(ctx, v) for v in views]
    counts = {state: sum(p["state"] == state for p in phones) for state in STATES}
    levels = {
        level: sum(p["verification"] == level and p["state"] == "certified" for p in phones)
        for level in ("readback", "attested")
    }
    return {
        "phones": phones,
        "summary": {
            "phones": len(phones),
            **counts,
            "other": len(phones) - sum(counts.values()),
            "certified_by_level": levels,
            "seconds": round(summary.seconds, 2),
        },
    }
