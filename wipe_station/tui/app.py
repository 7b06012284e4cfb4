"""The Textual application: it composes the station's UI and starts its engine.

Each job has its own module, which the app wires to the screens: signing in and out
(`signing`), the idle clock (`idle`), the technician's actions on phones (`actions`), labels at
certification (`labels`). The app keeps who is signed in, the engine and the phones' views, and
hands the station screen its actions. Signing out shows the sign-in screen again; the engine and
the erasures it runs carry on behind it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App
from textual.notifications import SeverityLevel

from wipe_station import crash_log
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.operators import actor_of
from wipe_station.orchestrator.approvals import Approvals, Attestations, Decisions
from wipe_station.orchestrator.engine import Engine, PhoneView
from wipe_station.roles import Permission, allowed
from wipe_station.safe_text import visible
from wipe_station.tui.actions import PhoneActions
from wipe_station.tui.commands import StationCommands
from wipe_station.tui.engine_thread import EngineThread
from wipe_station.tui.idle import IdleClock
from wipe_station.tui.labels import LabelPrinter
from wipe_station.tui.messages import EngineFailed, HostProblem, PhonesChanged
from wipe_station.tui.screens.doctor import DoctorScreen
from wipe_station.tui.screens.sign_in import SignInScreen
from wipe_station.tui.screens.station import StationScreen
from wipe_station.tui.session import UiSession
from wipe_station.tui.signing import Signing

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
        self.approvals = Approvals()
        self.attestations = Attestations()
        self.decisions = Decisions()
        self.engine: Engine | None = None
        self._fleet: Any = None
        # The engine (and the demo's lab) run on their own loop in their own thread.
        self._engine_thread: EngineThread | None = None
        # Views changed since the UI last looked (by object: a phone's next job is a new
        # view, and the one it replaces must still be seen, e.g. certified), under the lock:
        # the engine's thread adds, the UI's takes them all at once.
        self._pending: dict[int, PhoneView] = {}
        self._pending_lock = threading.Lock()
        # The jobs, one module each. The idle clock reads `idle_clock` at each look.
        self.idle = IdleClock(lambda: idle_clock(), self.set_interval, self._idle)
        self.signing = Signing(
            self,
            ctx,
            self.idle,
            idle_limit_s=idle_sign_out_s,
            sign_in_screen=self._sign_in_screen,
            on_signed_in=self._signed_in,
        )
        self.actions = PhoneActions(self)
        self.labels = LabelPrinter(
            self, ctx, self.notify, actor=self._engine_actor, session=self.session
        )
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

    def action_help_quit(self) -> None:
        """Ctrl+C: say how to quit. Textual's own hint is markup (``[b]ctrl+q[/b]``), which
        `notify` above shows as typed."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app", title="Do you want to quit?")
                return

    # -- who is signed in: `signing` signs in and out, `idle` watches for input --------------
    @property
    def operator(self) -> Operator | None:
        return self.signing.operator

    def session(self) -> UiSession | None:
        """What a screen needs to act for the operator signed in now (None: nobody is)."""
        if self.operator is None:
            return None
        return UiSession(self.ctx, self.operator, self.notify)

    def _sign_in_screen(self) -> SignInScreen:
        return SignInScreen(self.operator_hint, self.sign_in_hint, submit=self.signing.sign_in)

    async def _signed_in(self, op: Operator, idle_s: float) -> None:
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
        self.idle.start(idle_s, self.IDLE_POLL_S)  # from when the station screen is ready

    async def on_event(self, event: events.Event) -> None:
        # Only what the terminal sends counts (the same event forwarded to a widget does not).
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.idle.touch()
        await super().on_event(event)

    def _idle(self) -> None:
        if self.operator is not None:
            self.sign_out("idle")

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
                decisions=self.decisions,
                return_timeout_s=120 if self.demo_phones else 900,
                on_notice=lambda about, text: self.post_message(HostProblem(text, about)),
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
        self.notify(message.text, title=message.title, severity="warning", timeout=30)

    async def _on_engine(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` where the engine runs: what changes a view or answers the engine."""
        if self._engine_thread is None:
            return fn(*args)
        return await self._engine_thread.call(fn, *args)

    def _engine_soon(self, fn: Callable[[], Any]) -> None:
        """``fn()`` where the engine runs, without waiting for it."""
        if self._engine_thread is None:
            fn()
        else:
            self._engine_thread.call_soon(fn)

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
                self.labels.phone_changed(view)
        # Also while a form or the certificate list is open on top of the station screen.
        for screen in self.screen_stack:
            if isinstance(screen, StationScreen):
                screen.show_all(views)

    def _engine_actor(self) -> audit.Actor:
        """Labels are printed under the engine's actor: the technician who started the job."""
        assert self.engine is not None
        return self.engine.actor

    # -- the station screen's actions (`StationActions`), each done by the module that owns it
    def request_wipe(self, keys: list[str] | None) -> None:
        self.actions.request_wipe(keys)

    def check_screen(self, key: str) -> None:
        self.actions.check_screen(key)

    def enter_imei(self, key: str) -> None:
        self.actions.enter_imei(key)

    def recheck(self, key: str) -> None:
        self.actions.recheck(key)

    def erase_again(self, key: str) -> None:
        self.actions.erase_again(key)

    def quarantine(self, key: str) -> None:
        self.actions.quarantine(key)

    def release_quarantine(self, key: str) -> None:
        self.actions.release_quarantine(key)

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

    def show_certificates(self) -> None:
        self.actions.show_certificates()

    def show_batches(self) -> None:
        self.actions.show_batches()

    def assign_customer(self, serial: str) -> None:
        self.actions.assign_customer(serial)

    def sign_out(self, reason: str) -> None:
        self.signing.sign_out(reason)

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
            if self.engine is not None:
                await self.engine.close()  # its writes in flight commit before start-up settles

    async def _close_fleet(self) -> None:
        """On the engine's loop: cancel what runs there, then close the lab."""
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._fleet.__aexit__(None, None, None)


def _run_until_stopped(app: WipeStationApp) -> int:
    """Run the app; SIGTERM or SIGINT exits it as the quit key would (wipe_station.startup).
    Returns the exit status: 0, or 128 + the signal after one (`startup.exit_status`)."""
    from wipe_station.startup import exit_status, stop_signals

    def stop(_signum: int) -> None:
        asyncio.get_running_loop().call_soon_threadsafe(app.exit)

    with stop_signals(stop) as received:
        app.run()
    return exit_status(received)


def run_demo_ui(
    ctx: StationContext, operator: Operator, phones: int, profiles: list[Any] | None = None
) -> int:
    from wipe_station.orchestrator.demo_home import DEMO_PIN

    hint = f"Demo home: demo-technician, demo-logistics, demo-auditor, demo-admin; PIN {DEMO_PIN}"
    return _run_until_stopped(
        WipeStationApp(
            ctx,
            demo_phones=phones,
            operator_hint=operator.name,
            sign_in_hint=hint,
            demo_profiles=profiles,
            lab_process=True,
        )
    )


def _bench(app: WipeStationApp) -> Any:
    from wipe_station import doctor

    bench = doctor.Bench(home=app.ctx.home, db_url=app.ctx.db_url)
    if app.usbmux_address:  # the socket this station's iPhone driver will use
        bench.usbmuxd_socket = Path(app.usbmux_address.removeprefix("UNIX:"))
    return bench


def run_station_ui(ctx: StationContext) -> int:
    """On real USB: libusb for Android, the system usbmuxd for iPhones."""
    import usb.backend.libusb1

    backend = usb.backend.libusb1.get_backend()
    hint = "" if backend is not None else "libusb not found: Android phones cannot be seen"
    return _run_until_stopped(
        WipeStationApp(
            ctx,
            android_backend=backend,
            usbmux_address="/var/run/usbmuxd",
            sign_in_hint=hint + "   (no phones? try: wipe-station demo)",
            bench_check=True,
        )
    )
