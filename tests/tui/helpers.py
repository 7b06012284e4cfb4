"""What the UI tests share: waiting for the UI, signing in, reading the audit log back."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.station import StationScreen


async def until(  # type: ignore[no-untyped-def]
    pilot, predicate, seconds: float = 30.0, step: float = 0.05, *, show=None
) -> None:
    """Wait for ``predicate``; on a timeout say what ``show()`` returns then."""
    for _ in range(int(seconds / step)):
        if predicate():
            return
        await pilot.pause(step)
    raise AssertionError("the UI never got there" + (f": {show()!r}" if show else ""))


def states(app: WipeStationApp) -> list[str]:
    assert app.engine is not None
    return sorted(v.state for v in app.engine.phones.values())


def notified(app: WipeStationApp, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


def footer(app: WipeStationApp) -> list[str]:
    """What the footer offers now (descriptions of the shown, enabled bindings)."""
    return [
        active.binding.description
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.enabled
    ]


async def sign_in(pilot, pin: str = "1234") -> None:  # type: ignore[no-untyped-def]
    """Type the PIN (the operator name is prefilled) and wait for the station screen."""
    await pilot.press(*pin, "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, StationScreen))


def events(ctx: StationContext, action: str) -> list[tuple[AuditEvent, dict[str, Any]]]:
    with ctx.session() as s:
        rows = s.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.seq))
        ).all()
        return [(r, json.loads(r.payload)) for r in rows]
