"""Signing in and out: the core checks the PIN and audits the session; the screens change here.

Signing out (a key, or the idle clock) closes whatever is open and shows the sign-in screen
again; the engine and the erasures it runs carry on behind it. What a signed-in operator sees
is the app's to decide (``on_signed_in``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App

from wipe_station import settings
from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.errors import StationError
from wipe_station.operators import record_session, sign_in
from wipe_station.tui.idle import IdleClock
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen


class Signing:
    def __init__(
        self,
        app: App[Any],
        ctx: StationContext,
        idle: IdleClock,
        *,
        idle_limit_s: float | None,
        sign_in_screen: Callable[[], SignInScreen],
        on_signed_in: Callable[[Operator, float], Awaitable[None]],
    ) -> None:
        """``idle_limit_s``: sign out after this long without input; None reads the depot's
        ``ui.idle_minutes`` setting at each sign-in."""
        self._app = app
        self._ctx = ctx
        self._idle = idle
        self._idle_limit_s = idle_limit_s
        self._sign_in_screen = sign_in_screen
        self._on_signed_in = on_signed_in
        self.operator: Operator | None = None  # nothing is done in anyone's name while None

    def sign_in(self, name: str, pin: str) -> None:
        self._app.run_worker(self._sign_in(name, pin), exclusive=True, group="sign-in")

    async def _sign_in(self, name: str, pin: str) -> None:
        try:
            op = await asyncio.to_thread(sign_in, self._ctx, name, pin)
            await asyncio.to_thread(record_session, self._ctx, op, "auth.signed_in", ui="station")
            idle_s = self._idle_limit_s
            if idle_s is None:
                idle_s = await asyncio.to_thread(self._idle_setting)
        except StationError as exc:
            screen = self._app.screen
            if isinstance(screen, SignInScreen):
                screen.show_error(str(exc))
            return
        self.operator = op
        await self._on_signed_in(op, idle_s)

    def _idle_setting(self) -> float:
        with self._ctx.session() as session:
            return settings.idle_sign_out_seconds(session)

    def sign_out(self, reason: str) -> None:
        """Back to the sign-in screen (``reason``: "idle" or "manual"). Erasures go on."""
        op = self.operator
        if op is None:
            return
        self.operator = None  # nothing more is done in this operator's name from here
        self._idle.stop()
        payload: dict[str, object] = {"reason": reason}
        if reason == "idle" and self._idle.limit_s is not None:
            payload["idle_s"] = round(self._idle.limit_s, 1)
        self._app.run_worker(self._sign_out(op, payload), group="sign-out")

    async def _sign_out(self, op: Operator, payload: dict[str, object]) -> None:
        app = self._app
        # Close whatever is open on top (a confirmation, a form, the certificate list) without
        # its answer, then replace the station screen: no phone data stays on the display.
        while len(app.screen_stack) > 2 and not isinstance(app.screen, StationScreen):
            await app.pop_screen()
        if not isinstance(app.screen, SignInScreen):
            await app.switch_screen(self._sign_in_screen())
        try:
            await asyncio.to_thread(record_session, self._ctx, op, "auth.signed_out", **payload)
        except StationError as exc:
            app.notify(str(exc), severity="error")
        if payload["reason"] == "idle":
            app.notify(f"{op.name} was signed out after a while without input.")
        else:
            app.notify(f"{op.name} signed out.")
