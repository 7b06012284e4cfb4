"""The Textual application: sign in, then the station screen fed by the engine.

Signing out (a key, or idle for the depot's `ui.idle_minutes`) shows the sign-in screen again;
the engine and the erasures it runs carry on behind it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App
from textual.notifications import SeverityLevel
from textual.timer import Timer

from drivers.contract import ScreenSeen
from wipe_station import batches, crash_log, intake, printing, settings
from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.errors import IllegalTransition, StationError
from wipe_station.lifecycle import DeviceState, check
from wipe_station.operators import actor_of, record_session, sign_in
from wipe_station.orchestrator import records
from wipe_station.orchestrator.approvals import Approvals, Attestations
from wipe_station.orchestrator.engine import Engine, PhoneView
from wipe_station.roles import Permission, allowed
from wipe_station.safe_text import visible
from wipe_station.tui.commands import StationCommands
from wipe_station.tui.engine_thread import EngineThread
from wipe_station.tui.messages import EngineFailed, HostProblem, PhonesChanged
from wipe_station.tui.screens.batches import BatchesScreen
from wipe_station.tui.screens.certificates import CertificatesScreen
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.doctor import DoctorScreen
from wipe_station.tui.screens.imei import ImeiEntry
from wipe_station.tui.screens.prompt import TextPrompt
from wipe_station.tui.screens.quarantine import QuarantineReason
from wipe_station.tui.screens.screen_check import ScreenCheck
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen
from wipe_station.tui.session import UiSession, off_loop, report_print

# The clock the idle sign-out measures with; tests replace it with one they move by hand.
idle_clock = time.monotonic


class WipeStationApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    COMMANDS = App.COMMANDS | {StationCommands}
    TITLE = "Wipe Station"
    IDLE_POLL_S = 1.0  # how often the idle clock is read (at most a quarter of the limit)

    def __init__(
        self,
        ctx: StationContext,
        *,
        demo_phones: int | None = None,
        operator_hint: str = "",
        sign_in_hint: str = "",
        android_backend: Any = None,
        usbmux_address: str | None = None,
        idle_sign_out_s: float | None = None,
        demo_profiles: list[Any] | None = None,
        lab_process: bool = False,
        bench_check: bool = False,
    ) -> None:
        """``idle_sign_out_s``: sign out after this long without input; None reads the
        depot's ``ui.idle_minutes`` setting at each sign-in. ``lab_process``: the demo's lab
        runs in its own process (`demo`); tests keep it in-process to look at its phones."""
        super().__init__()
        self.ctx = ctx
        self.demo_phones = demo_phones
        self.demo_profiles = demo_profiles  # `demo --fleet FILE…`: exactly these lab phones
        self.lab_process = lab_process
        self.operator_hint = operator_hint
        self.sign_in_hint = sign_in_hint
        self.android_backend = android_backend
        self.usbmux_address = usbmux_address
        self.operator: Operator | None = None
        self.approvals = Approvals()
        self.attestations = Attestations()
        self.engine: Engine | None = None
        self._fleet: Any = None
        # The engine (and the demo's lab) run on their own loop in their own thread.
        self._engine_thread: EngineThread | None = None
        # Views changed since the UI last looked (by object: a phone's next job is a new
        # view, and the one it replaces must still be seen, e.g. certified), under the lock:
        # the engine's thread adds, the UI's takes them all at once.
        self._pending: dict[int, PhoneView] = {}
        self._pending_lock = threading.Lock()
        self.idle_sign_out_s = idle_sign_out_s
        self._idle_s: float | None = None  # in force for the operator signed in now
        self._idle_timer: Timer | None = None
        self._last_input = idle_clock()
        self._labelled: set[str] = set()  # certificates whose label was sent at certification
        self.bench_check = bench_check  # the real station: check the bench at start (`d` too)

    def on_mount(self) -> None:
        self.sub_title = f"station {self.ctx.station_id}" + (
            "  ·  DEMO" if self.demo_phones else ""
        )
        self.push_screen(self._sign_in_screen())
        if self.bench_check:
            self.run_worker(self._bench_warning, thread=True, group="doctor")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is text: messages carry phone models, typed names and exception
        text, so markup is never read (a screen's ``notify`` passes ``markup=True`` by default,
        hence ignored) and control characters are shown, not sent to the terminal."""
        lines = str(message).split("\n")
        super().notify(
            "\n".join(visible(line, 300) for line in lines),
            title=visible(title, 80),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _sign_in_screen(self) -> SignInScreen:
        return SignInScreen(self.operator_hint, self.sign_in_hint)

    # -- sign-in --------------------------------------------------------------------------
    def sign_in(self, name: str, pin: str) -> None:
        self.run_worker(self._sign_in(name, pin), exclusive=True, group="sign-in")

    async def _sign_in(self, name: str, pin: str) -> None:
        try:
            op = await asyncio.to_thread(sign_in, self.ctx, name, pin)
            await asyncio.to_thread(record_session, self.ctx, op, "auth.signed_in", ui="station")
            idle_s = self.idle_sign_out_s
            if idle_s is None:
                idle_s = await asyncio.to_thread(self._idle_setting)
        except StationError as exc:
            screen = self.screen
            if isinstance(screen, SignInScreen):
                screen.show_error(str(exc))
            return
        self.operator = op
        read_only = not allowed(op.role, Permission.WIPE)  # auditors and logistics
        mode = "DEMO: emulated phones, not real erasures" if self.demo_phones else "USB"
        who = f"{op.name} ({op.role}{', read-only' if read_only else ''})"
        screen = StationScreen(
            f"{who}   ·   {mode}",
            read_only,
            can_release=allowed(op.role, Permission.RELEASE_QUARANTINE),
            logistics=allowed(op.role, Permission.MANAGE_BATCHES),
            actions=self,
        )
        await self.switch_screen(screen)
        if self.engine is None:
            await self._start_engine()
        else:
            # Signed in again: the engine never stopped; show the phones it has.
            if allowed(op.role, Permission.WIPE):
                # Phones plugged in from now on are this operator's; an erasure already
                # approved keeps the name of the technician who approved it.
                self.engine.actor = actor_of(op)
            screen.show_all(list(self.engine.phones.values()))
        self._start_idle_clock(idle_s)  # from when the station screen is ready

    def _idle_setting(self) -> float:
        with self.ctx.session() as session:
            return settings.idle_sign_out_seconds(session)

    # -- signing out: by key, or after a while without input --------------------------------
    async def on_event(self, event: events.Event) -> None:
        # Only what the terminal sends counts (the same event forwarded to a widget does not).
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self._last_input = idle_clock()
        await super().on_event(event)

    def _start_idle_clock(self, seconds: float) -> None:
        self._stop_idle_clock()
        self._idle_s = seconds
        self._last_input = idle_clock()
        poll = min(self.IDLE_POLL_S, seconds / 4)
        self._idle_timer = self.set_interval(poll, self._idle_check, name="idle sign-out")

    def _stop_idle_clock(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.stop()
        self._idle_timer = None

    def _idle_check(self) -> None:
        if self.operator is None or self._idle_s is None:
            return
        if idle_clock() - self._last_input >= self._idle_s:
            self.sign_out("idle")

    def sign_out(self, reason: str) -> None:
        """Back to the sign-in screen (``reason``: "idle" or "manual"). Erasures go on."""
        op = self.operator
        if op is None:
            return
        self.operator = None  # nothing more is done in this operator's name from here
        self._stop_idle_clock()
        payload: dict[str, object] = {"reason": reason}
        if reason == "idle" and self._idle_s is not None:
            payload["idle_s"] = round(self._idle_s, 1)
        self.run_worker(self._sign_out(op, payload), group="sign-out")

    async def _sign_out(self, op: Operator, payload: dict[str, object]) -> None:
        # Close whatever is open on top (a confirmation, a form, the certificate list) without
        # its answer, then replace the station screen: no phone data stays on the display.
        while len(self.screen_stack) > 2 and not isinstance(self.screen, StationScreen):
            await self.pop_screen()
        if not isinstance(self.screen, SignInScreen):
            await self.switch_screen(self._sign_in_screen())
        try:
            await asyncio.to_thread(record_session, self.ctx, op, "auth.signed_out", **payload)
        except StationError as exc:
            self.notify(str(exc), severity="error")
        if payload["reason"] == "idle":
            self.notify(f"{op.name} was signed out after a while without input.")
        else:
            self.notify(f"{op.name} signed out.")

    async def _start_engine(self) -> None:
        assert self.operator is not None
        host = self._engine_thread = EngineThread().start()
        if self.demo_phones:
            from wipe_station.orchestrator.demo_fleet import DemoFleet

            self._fleet = DemoFleet(
                self.demo_phones, profiles=self.demo_profiles, lab_process=self.lab_process
            )
            await host.run(self._fleet.__aenter__())
            self.android_backend = self._fleet.android.bus.backend()
            self.usbmux_address = self._fleet.usbmux_address
            # The demo customer's return list announces the lab fleet, as a real one would.
            from wipe_station.orchestrator.demo_home import announce_demo_returns

            await asyncio.to_thread(announce_demo_returns, self.ctx, self._fleet.identities())
        actor = actor_of(self.operator)
        # Built on its own loop: whatever asyncio objects it makes belong there.
        self.engine = engine = await host.call(
            lambda: Engine(
                self.ctx,
                actor,
                android_backend=self.android_backend,
                usbmux_address=self.usbmux_address,
                emulated=bool(self.demo_phones),
                listener=self._phone_changed,
                approvals=self.approvals,
                attestations=self.attestations,
                return_timeout_s=120 if self.demo_phones else 900,
                on_host_problem=lambda text: self.post_message(HostProblem(text)),
            )
        )
        if self.android_backend is not None:
            self._watch(host.spawn(engine.watch_usb()))
        if self.usbmux_address is not None:
            # Runs even when no usbmuxd is up yet: it says how to start one and keeps trying.
            self._watch(host.spawn(engine.watch_usbmux()))

    def _watch(self, task: concurrent.futures.Future[None]) -> None:
        """A watcher that ends with an error ends the app, as a failed worker would."""

        def ended(fut: concurrent.futures.Future[None]) -> None:
            if not fut.cancelled() and fut.exception() is not None:
                self.post_message(EngineFailed(fut.exception()))  # type: ignore[arg-type]

        task.add_done_callback(ended)

    def on_engine_failed(self, message: EngineFailed) -> None:
        error = message.error
        self._handle_exception(error if isinstance(error, Exception) else RuntimeError(error))

    def on_host_problem(self, message: HostProblem) -> None:
        self.notify(message.text, title="iPhones", severity="warning", timeout=30)

    async def _on_engine(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` where the engine runs: what changes a view or answers the engine."""
        if self._engine_thread is None:
            return fn(*args)
        return await self._engine_thread.call(fn, *args)

    def _phone_changed(self, view: PhoneView) -> None:
        """The engine's listener, called on the engine's thread."""
        self._queue_view(view)
        if self._fleet is not None:
            # The demo's technician follows the guidance the station shows for lab phones.
            self._fleet.follow_guidance(view)

    def _queue_view(self, view: PhoneView) -> None:
        # One message for however many changes arrive before the UI gets to it: a busy
        # bench does not fill the UI's queue, and nothing is dropped (the views are kept).
        with self._pending_lock:
            first = not self._pending
            self._pending[id(view)] = view
        if first:
            self.post_message(PhonesChanged())

    def on_phones_changed(self, _: PhonesChanged) -> None:
        with self._pending_lock:
            views, self._pending = list(self._pending.values()), {}
        self._show_views(views)

    def _show_views(self, views: list[PhoneView]) -> None:
        if self.engine is not None:
            for view in views:
                self._label_when_certified(view)
        # Also while a form or the certificate list is open on top of the station screen.
        for screen in self.screen_stack:
            if isinstance(screen, StationScreen):
                screen.show_all(views)

    # -- actions (the core checks the role; the screen only hides what it may not do) --------
    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """`session.off_loop`, also while nobody is signed in (a label for a finished job)."""
        return await off_loop(self.notify, fn, *args)

    def _allowed(self, permission: Permission) -> bool:
        session = self.session()
        return session is not None and session.allowed(permission)

    def request_wipe(self, keys: list[str] | None) -> None:
        if not self._allowed(Permission.WIPE):
            return
        self.run_worker(self._confirm_wipe(keys), exclusive=True, group="wipe")

    def _erasable(self, keys: list[str]) -> list[str]:
        # Ask the records, not the screen: a quarantined phone may not become WIPING.
        assert self.engine is not None
        ok = []
        for key in keys:
            view = self.engine.phones.get(key)
            if view is None or view.device_id is None:
                continue
            if records.can_move(self.ctx, view.device_id, DeviceState.WIPING):
                ok.append(key)
        return ok

    async def _confirm_wipe(self, keys: list[str] | None) -> None:
        ready: list[str] = await self._on_engine(self.approvals.ready)
        candidates = ready if keys is None else [k for k in keys if k in ready]
        try:
            chosen = await asyncio.to_thread(self._erasable, candidates) if candidates else []
        except StationError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.operator is None or not isinstance(self.screen, StationScreen):
            return  # signed out meanwhile
        if not chosen:
            self.notify("No phone is ready to erase (blocked, busy or already done).")
            return
        what = "All ready phones." if keys is None else f"Phone on port {chosen[0]}."

        def answer(ok: bool | None) -> None:
            if ok and self.operator is not None:
                by = actor_of(self.operator)
                self.run_worker(self._approve(chosen, by), group="wipe-approve")

        self.push_screen(ConfirmErase(len(chosen), what), answer)

    async def _approve(self, chosen: list[str], by: Any) -> None:
        count: int = await self._on_engine(lambda: self.approvals.approve(chosen, by=by))
        self.notify(f"Erasing {count} phone{'s' if count != 1 else ''}.")

    def check_screen(self, key: str) -> None:
        """A guided reset asks what the phone shows; the answer goes in under this operator."""
        if not self._allowed(Permission.WIPE) or self.engine is None:
            return
        question = self.attestations.question(key)
        if question is None:
            self.notify("This phone is not waiting for its screen to be confirmed.")
            return
        view = self.engine.phones.get(key)
        name = visible((view.facts.model if view is not None and view.facts else "") or key, 80)
        op = self.operator
        assert op is not None

        def answered(seen: ScreenSeen | None) -> None:
            if seen is not None:
                self.run_worker(self._attest(key, seen, actor_of(op)), group="attest")

        self.push_screen(ScreenCheck(name, question), answered)

    async def _attest(self, key: str, seen: ScreenSeen, by: Any) -> None:
        if await self._on_engine(self.attestations.answer, key, seen, by):
            self.notify(f"Recorded: {seen.value.replace('_', ' ')}.", markup=False)

    def enter_imei(self, key: str) -> None:
        if not self._allowed(Permission.ENTER_IMEI) or self.engine is None:
            return
        view = self.engine.phones.get(key)
        if view is None or view.device_id is None:
            self.notify("Wait until the phone is identified.")
            return
        op = self.operator
        assert op is not None

        async def save(raw: str) -> str | None:
            # The records check the IMEI; a refusal stays in the dialog with what was typed.
            return await self._save_imei(view, raw, op)

        self.push_screen(ImeiEntry(view.facts.model if view.facts else key, save))

    async def _save_imei(self, view: PhoneView, raw: str, op: Operator) -> str | None:
        assert view.device_id is not None
        try:
            value = await asyncio.to_thread(
                records.set_imei, self.ctx, actor_of(op), view.device_id, raw
            )
        except StationError as exc:
            return str(exc)

        def add_imei() -> None:
            if view.facts is not None and value not in view.facts.imeis:
                view.facts = dataclasses.replace(view.facts, imeis=(*view.facts.imeis, value))

        await self._on_engine(add_imei)
        self.notify(f"IMEI {value} recorded.")
        self._queue_view(view)
        return None

    def recheck(self, key: str) -> None:
        if not self._allowed(Permission.WIPE) or self.engine is None:
            return
        view = self.engine.phones.get(key)
        if view is None or view.state not in ("blocked", "failed", "interrupted", "detected"):
            self.notify("Only a blocked, failed, interrupted or released phone can be re-checked.")
            return
        if self._engine_thread is None:
            self.engine.recheck(key)
        else:
            self._engine_thread.call_soon(partial(self.engine.recheck, key))

    # -- quarantine: set a phone aside (technician), release it (admin) ----------------------
    def quarantine(self, key: str) -> None:
        if not self._allowed(Permission.QUARANTINE) or self.engine is None:
            return
        view = self.engine.phones.get(key)
        if view is None or view.device_id is None:
            self.notify("Wait until the phone is identified.")
            return
        if view.state == DeviceState.QUARANTINED:
            self.notify("This phone is in quarantine already.")
            return
        if view.state in {s.value for s in DeviceState}:  # not the screen's own "ready"
            try:  # say so now rather than after the reason is typed (mid-erase, for one)
                check(view.state, DeviceState.QUARANTINED)
            except IllegalTransition as exc:
                self.notify(str(exc), severity="error")
                return
        op = self.operator
        assert op is not None

        def given(reason: str | None) -> None:
            if reason:
                self.run_worker(self._quarantine(view, reason, op), group="quarantine")

        self.push_screen(QuarantineReason(self._phone_name(view)), given)

    async def _quarantine(self, view: PhoneView, reason: str, op: Operator) -> None:
        assert view.device_id is not None
        done, _ = await self._in_thread(
            records.set_state,
            self.ctx,
            actor_of(op),
            view.device_id,
            DeviceState.QUARANTINED,
            reason,
        )
        if not done:  # the lifecycle's refusal, e.g. the erasure started
            return

        def set_aside() -> None:
            view.state, view.progress, view.reason = (
                DeviceState.QUARANTINED.value,
                "quarantined",
                reason,
            )
            view.log.append("quarantined")
            view.note_stage()

        await self._on_engine(set_aside)
        self.notify(f"{self._phone_name(view)} is in quarantine: it will not be erased.")
        self._queue_view(view)

    def release_quarantine(self, key: str) -> None:
        if not self._allowed(Permission.RELEASE_QUARANTINE) or self.engine is None:
            return
        view = self.engine.phones.get(key)
        if view is None or view.device_id is None or view.state != DeviceState.QUARANTINED:
            self.notify("Only a phone in quarantine can be released.")
            return
        op = self.operator
        assert op is not None
        self.run_worker(self._ask_release(view, op), group="quarantine")

    async def _ask_release(self, view: PhoneView, op: Operator) -> None:
        """A phone that left the depot once needs the admin's reason to leave again."""
        assert view.device_id is not None
        done, went = await self._in_thread(records.left_before, self.ctx, view.device_id)
        if not done:
            return
        if went is None:
            await self._release(view, op)
            return

        def given(reason: str | None) -> None:
            if reason:
                self.run_worker(self._release_left(view, op, reason), group="quarantine")

        self.push_screen(
            TextPrompt(
                f"Release {self._phone_name(view)}",
                f"This phone was handed over in {went}. Why may it be erased and leave again?",
                "reason (required; audited)",
            ),
            given,
        )

    async def _release_left(self, view: PhoneView, op: Operator, reason: str) -> None:
        assert view.device_id is not None
        done, _ = await self._in_thread(
            records.release_left_before, self.ctx, actor_of(op), view.device_id, reason
        )
        if done:
            await self._released(view)

    async def _release(self, view: PhoneView, op: Operator) -> None:
        assert view.device_id is not None
        done, _ = await self._in_thread(
            records.set_state,
            self.ctx,
            actor_of(op),
            view.device_id,
            DeviceState.DETECTED,
            "released from quarantine",
        )
        if done:
            await self._released(view)

    async def _released(self, view: PhoneView) -> None:
        def release() -> None:
            # A phone that was waiting for the go-ahead waits again; any other may be
            # re-checked.
            waiting = view.key in self.approvals.ready()
            view.state = "ready" if waiting else DeviceState.DETECTED.value
            view.progress = "released"
            view.reason = ""
            view.log.append(
                "released from quarantine" + ("" if waiting else ": press r to re-check it")
            )
            view.note_stage()

        await self._on_engine(release)
        self.notify(f"{self._phone_name(view)} is released from quarantine.")
        self._queue_view(view)

    @staticmethod
    def _phone_name(view: PhoneView) -> str:
        return f"{view.facts.model} ({view.facts.serial})" if view.facts else view.key

    # -- the bench check (`wipe-station doctor`): a key, and one line in the header -------------
    def action_doctor(self) -> None:
        from wipe_station import doctor

        self.push_screen(DoctorScreen(_bench(self), doctor.run), self._bench_line)

    def _bench_warning(self) -> None:
        from wipe_station import doctor

        self.call_from_thread(self._bench_line, doctor.run(_bench(self)))

    def _bench_line(self, findings: list[Any] | None) -> None:
        from wipe_station.tui.screens.doctor import summary

        if not findings:
            return  # closed before the checks finished: the last answer stands
        base = self.sub_title.split("  ·  bench:")[0]
        line = summary(findings or [])
        self.sub_title = f"{base}  ·  {line}" if line else base

    # -- certificates: the list, and a PDF written again into the print folder ---------------
    def show_certificates(self) -> None:
        if not self._allowed(Permission.PRINT_CERTIFICATES):
            return
        self.run_worker(self._show_certificates(), exclusive=True, group="certificates")

    async def _show_certificates(self) -> None:
        done, rows = await self._in_thread(printing.recent_certificates, self.ctx)
        if not done:
            return
        session = self.session()
        if session is None or not isinstance(self.screen, StationScreen):
            return  # signed out meanwhile
        await self.push_screen(
            CertificatesScreen(
                rows, printing.print_dir(self.ctx.home), session, lambda: self.sign_out("manual")
            )
        )

    def session(self) -> UiSession | None:
        """What a screen needs to act for the operator signed in now (None: nobody is)."""
        if self.operator is None:
            return None
        return UiSession(self.ctx, self.operator, self.notify)

    # -- batches: the screen does its own work; the app only opens it ---------------------------
    def show_batches(self) -> None:
        if self._allowed(Permission.MANAGE_BATCHES):
            self.run_worker(self._show_batches(), exclusive=True, group="batches")

    async def _show_batches(self) -> None:
        done, rows = await self._in_thread(batches.list_batches, self.ctx)
        session = self.session()
        if done and session is not None and isinstance(self.screen, StationScreen):
            await self.push_screen(BatchesScreen(session, rows))

    # -- phones no return list announced -------------------------------------------------------
    def assign_customer(self, serial: str) -> None:
        if not self._allowed(Permission.IMPORT_INTAKE):
            return
        assert self.operator is not None
        actor = actor_of(self.operator)

        def given(org: str | None) -> None:
            if org:
                self.run_worker(self._assign(actor, serial, org), group="intake")

        self.push_screen(
            TextPrompt(
                f"Assign {serial}",
                "No return list announced this phone. Which customer (organisation number)?",
                "organisation number",
                max_length=20,
            ),
            given,
        )

    async def _assign(self, actor: Any, serial: str, org: str) -> None:
        done, _ = await self._in_thread(lambda: intake.assign(self.ctx, actor, serial, org=org))
        if not done:
            return
        self.notify(f"{serial} assigned to customer {org}")
        engine = self.engine
        if engine is None:
            return

        def announced() -> list[PhoneView]:
            views = [v for v in engine.phones.values() if v.facts and v.facts.serial == serial]
            for view in views:
                view.announced = True
            return views

        for view in await self._on_engine(announced):
            self._queue_view(view)

    # -- a label as soon as a phone is certified (print.label_at_certification) ---------------
    def _label_when_certified(self, view: PhoneView) -> None:
        number = view.certificate
        if view.state != "certified" or not number or number in self._labelled:
            return
        self._labelled.add(number)
        # A callable, not a coroutine: one the app exits before starting is never created.
        self.run_worker(partial(self._print_label, number), group="print")

    async def _print_label(self, number: str) -> None:
        # Printed under the station's engine actor: the technician who started the erasure.
        assert self.engine is not None
        actor = self.engine.actor
        done, wanted = await self._in_thread(printing.labels_at_certification, self.ctx)
        if not done or not wanted:
            return
        done, printed = await self._in_thread(printing.print_label, self.ctx, actor, number)
        session = self.session()
        if done and session is not None:
            report_print(session, printed, f"label {number}")

    def _fatal_error(self) -> None:
        # Textual's own report prints the traceback with its local variables, where a PIN typed
        # at sign-in could sit. The operator gets one line; the detail goes to the private log.
        exc = sys.exc_info()[1] or self._exception
        where = crash_log.record(exc, self.ctx.home) if exc is not None else None
        self.bell()
        self._exit_renderables.append(
            Text(
                f"error: the station UI stopped on an unexpected failure "
                f"({type(exc).__name__ if exc else 'unknown'}); "
                + (f"details in {where}" if where else "the details could not be saved")
            )
        )
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        host = self._engine_thread
        if host is None:
            return
        # The phones' jobs and the watchers end first, then the lab, then the thread.
        try:
            if self._fleet is not None and host.running:
                await host.run(self._close_fleet())
        finally:
            await host.stop()

    async def _close_fleet(self) -> None:
        """On the engine's loop: cancel what runs there, then close the lab."""
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._fleet.__aexit__(None, None, None)


def run_demo_ui(
    ctx: StationContext, operator: Operator, phones: int, profiles: list[Any] | None = None
) -> None:
    from wipe_station.orchestrator.demo_home import DEMO_PIN

    hint = f"Demo home: demo-technician, demo-logistics, demo-auditor, demo-admin; PIN {DEMO_PIN}"
    WipeStationApp(
        ctx,
        demo_phones=phones,
        operator_hint=operator.name,
        sign_in_hint=hint,
        demo_profiles=profiles,
        lab_process=True,
    ).run()


def _bench(app: WipeStationApp) -> Any:
    from wipe_station import doctor

    bench = doctor.Bench(home=app.ctx.home, db_url=app.ctx.db_url)
    if app.usbmux_address:  # the socket this station's iPhone driver will use
        bench.usbmuxd_socket = Path(app.usbmux_address.removeprefix("UNIX:"))
    return bench


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
        bench_check=True,
    ).run()
