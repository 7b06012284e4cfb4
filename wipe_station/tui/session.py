"""What a screen is given to act for the signed-in operator, so no screen imports the app.

The app makes one ``UiSession`` per sign-in; the screens call the core through it (the core
checks the role, audits refusals) and run records calls off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.errors import StationError
from wipe_station.operators import actor_of, authorize
from wipe_station.printing import Printed
from wipe_station.roles import Permission


class Notify(Protocol):
    def __call__(self, message: str, *, severity: Any = "information") -> None: ...


@dataclass
class UiSession:
    ctx: StationContext
    operator: Operator
    notify: Notify

    @property
    def actor(self) -> audit.Actor:
        return actor_of(self.operator)

    def allowed(self, permission: Permission) -> bool:
        """Ask the core (audited on refusal); a refusal is shown, never raised."""
        try:
            authorize(self.ctx, self.operator, permission)
        except StationError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """Run a records call off the event loop; see `off_loop`."""
        return await off_loop(self.notify, fn, *args)


async def off_loop(notify: Notify, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Run a records call off the event loop; a refusal or failure becomes a notification.
    Returns (done, result)."""
    try:
        return True, await asyncio.to_thread(fn, *args)
    except StationError as exc:
        notify(str(exc), severity="error")
        return False, None


class StationActions(Protocol):
    """The technician's actions, done by the app (it holds the engine and its phones)."""

    def request_wipe(self, keys: list[str] | None) -> None: ...
    def check_screen(self, key: str) -> None: ...
    def enter_imei(self, key: str) -> None: ...
    def recheck(self, key: str) -> None: ...
    def erase_again(self, key: str) -> None: ...
    def quarantine(self, key: str) -> None: ...
    def release_quarantine(self, key: str) -> None: ...
    def show_certificates(self) -> None: ...
    def show_batches(self) -> None: ...
    def assign_customer(self, serial: str) -> None: ...
    def sign_out(self, reason: str) -> None: ...


def report_print(session: UiSession, printed: Printed, what: str) -> None:
    """Say where a print job went, or why it did not and that the PDF is kept."""
    if printed.ok:
        session.notify(f"{what}: {printed.describe()}")
    else:
        session.notify(f"{what}: {printed.describe()}", severity="error")
