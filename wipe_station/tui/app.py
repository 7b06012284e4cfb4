"""The Textual application: sign in, then the station screen fed by the engine."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from textual.app import App
from textual.message import Message

from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.errors import StationError
from wipe_station.operators import actor_of, authorize, sign_in
from wipe_station.orchestrator import records
from wipe_station.orchestrator.approvals import Approvals
from wipe_station.orchestrator.engine import Engine, PhoneView
from wipe_station.roles import Permission, Role
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.imei import ImeiEntry
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen


class PhoneChanged(Message):
    def __init__(self, view: PhoneView) -> None:
        super().__init__()
        self.view = view


class WipeStationApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "Wipe Station"

    def __init__(
        self,
        ctx: StationContext,
        *,
        demo_phones: int | None = None,
        operator_hint: str = "",
        sign_in_hint: str = "",
        android_backend: Any = None,
        usbmux_address: str | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.demo_phones = demo_phones
        self.operator_hint = operator_hint
        self.sign_in_hint = sign_in_hint
        self.android_backend = android_backend
        self.usbmux_address = usbmux_address
        self.operator: Operator | None = None
        self.approvals = Approvals()
        self.engine: Engine | None = None
        self._fleet: Any = None

    def on_mount(self) -> None:
        self.sub_title = f"station {self.ctx.station_id}" + (
            "  ·  DEMO" if self.demo_phones else ""
        )
        self.push_screen(SignInScreen(self.operator_hint, self.sign_in_hint))

    # -- sign-in --------------------------------------------------------------------------
    def sign_in(self, name: str, pin: str) -> None:
        self.run_worker(self._sign_in(name, pin), exclusive=True, group="sign-in")

    async def _sign_in(self, name: str, pin: str) -> None:
        try:
            op = await asyncio.to_thread(sign_in, self.ctx, name, pin)
        except StationError as exc:
            screen = self.screen
            if isinstance(screen, SignInScreen):
                screen.show_error(str(exc))
            return
        self.operator = op
        read_only = op.role == Role.AUDITOR
        mode = "DEMO: emulated phones, not real erasures" if self.demo_phones else "USB"
        who = f"{op.name} ({op.role}{', read-only' if read_only else ''})"
        await self.switch_screen(StationScreen(f"{who}   ·   {mode}", read_only))
        await self._start_engine()

    async def _start_engine(self) -> None:
        assert self.operator is not None
        if self.demo_phones:
            from wipe_station.orchestrator.demo_fleet import DemoFleet

            self._fleet = DemoFleet(self.demo_phones)
            await self._fleet.__aenter__()
            self.android_backend = self._fleet.android.bus.backend()
            self.usbmux_address = self._fleet.usbmux_address
        self.engine = Engine(
            self.ctx,
            actor_of(self.operator),
            android_backend=self.android_backend,
            usbmux_address=self.usbmux_address,
            emulated=bool(self.demo_phones),
            listener=lambda view: self.post_message(PhoneChanged(view)),
            approvals=self.approvals,
            return_timeout_s=120 if self.demo_phones else 900,
        )
        if self.android_backend is not None:
            self.run_worker(self.engine.watch_usb(), group="engine")
        if self.usbmux_address is not None and Path(self.usbmux_address).exists():
            self.run_worker(self.engine.watch_usbmux(), group="engine")

    def on_phone_changed(self, message: PhoneChanged) -> None:
        screen = self.screen
        if isinstance(screen, StationScreen):
            screen.show(message.view)

    # -- actions (the core checks the role; the screen only hides what it may not do) --------
    def _allowed(self, permission: Permission) -> bool:
        assert self.operator is not None
        try:
            authorize(self.ctx, self.operator, permission)
        except StationError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    def request_wipe(self, keys: list[str] | None) -> None:
        if not self._allowed(Permission.WIPE):
            return
        ready = self.approvals.ready()
        chosen = ready if keys is None else [k for k in keys if k in ready]
        if not chosen:
            self.notify("No phone is ready to erase (blocked, busy or already done).")
            return
        what = "All ready phones." if keys is None else f"Phone on port {chosen[0]}."

        def answer(ok: bool | None) -> None:
            if ok:
                count = self.approvals.approve(chosen)
                self.notify(f"Erasing {count} phone{'s' if count != 1 else ''}.")

        self.push_screen(ConfirmErase(len(chosen), what), answer)

    def enter_imei(self, key: str) -> None:
        if not self._allowed(Permission.ENTER_IMEI) or self.engine is None:
            return
        view = self.engine.phones.get(key)
        if view is None or view.device_id is None:
            self.notify("Wait until the phone is identified.")
            return

        def entered(raw: str | None) -> None:
            if raw:
                self.run_worker(self._save_imei(view, raw), group="imei")

        self.push_screen(ImeiEntry(view.facts.model if view.facts else key), entered)

    async def _save_imei(self, view: PhoneView, raw: str) -> None:
        assert self.operator is not None and view.device_id is not None
        try:
            value = await asyncio.to_thread(
                records.set_imei, self.ctx, actor_of(self.operator), view.device_id, raw
            )
        except StationError as exc:
            self.notify(str(exc), severity="error")
            return
        if view.facts is not None and value not in view.facts.imeis:
            view.facts = dataclasses.replace(view.facts, imeis=(*view.facts.imeis, value))
        self.notify(f"IMEI {value} recorded.")
        self.post_message(PhoneChanged(view))

    def recheck(self, key: str) -> None:
        if not self._allowed(Permission.WIPE) or self.engine is None:
            return
        view = self.engine.phones.get(key)
        if view is None or view.state not in ("blocked", "failed", "interrupted"):
            self.notify("Only a blocked, failed or interrupted phone can be re-checked.")
            return
        if view.platform.value == "android":
            self.engine._start(key, self.engine.run_android(key))
        else:
            self.engine._start(key, self.engine.run_ios(key))

    async def on_unmount(self) -> None:
        if self._fleet is not None:
            await self._fleet.__aexit__(None, None, None)


def run_demo_ui(ctx: StationContext, operator: Operator, phones: int) -> None:
    from wipe_station.orchestrator.demo_home import DEMO_PIN

    hint = f"Demo home: operators demo-technician / demo-admin, PIN {DEMO_PIN}"
    WipeStationApp(ctx, demo_phones=phones, operator_hint=operator.name, sign_in_hint=hint).run()


def run_station_ui(ctx: StationContext) -> None:
    """On real USB: libusb for Android, the system usbmuxd for iPhones."""
    import usb.backend.libusb1

    backend = usb.backend.libusb1.get_backend()
    hint = "" if backend is not None else "libusb not found: Android phones cannot be seen"
    WipeStationApp(
        ctx,
        android_backend=backend,
        usbmux_address="/var/run/usbmuxd",
        sign_in_hint=hint + "   (no phones? try: wipe-station demo)",
    ).run()
