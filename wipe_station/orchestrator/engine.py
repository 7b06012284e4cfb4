"""One asynchronous job per attached phone, Android and iOS side by side.

The engine drives `drivers.pipeline.wipe_phone` and records every step through `records` before
the step happens; the UI (or the headless demo) only listens to `PhoneView` updates.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.android.driver import AndroidDriver
from drivers.contract import (
    Blocker,
    DeviceFacts,
    EvidenceItem,
    PhoneDriver,
    Platform,
    ScreenSeen,
)
from drivers.ios.driver import IosDriver
from drivers.pipeline import Confirm, PipelineResult, wipe_phone
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.lifecycle import DeviceState
from wipe_station.orchestrator import records
from wipe_station.orchestrator.approvals import Approvals, Attestations, Decisions
from wipe_station.orchestrator.records_thread import RecordsThread

S = DeviceState


@dataclass
class PhoneView:
    """What the UI shows for one phone; only the engine changes it."""

    key: str  # USB port path (Android) or UDID (iOS)
    platform: Platform
    state: str = "detected"
    progress: str = "connecting…"
    facts: DeviceFacts | None = None
    blockers: list[Blocker] = field(default_factory=list)
    device_id: int | None = None
    job_id: int | None = None
    certificate: str | None = None
    reason: str = ""
    # False when no return list announced the phone and nobody assigned it to a customer.
    announced: bool | None = None
    customer: str | None = None  # the customer's name, once the phone is matched to one
    started: float = field(default_factory=time.monotonic)
    log: list[str] = field(default_factory=list)
    # (check, passed) of the evidence written so far, for the detail pane; the records hold it all.
    evidence: list[tuple[str, bool]] = field(default_factory=list)
    # The state the phone is in since ``stage_since`` (monotonic): the UI's Time column, kept
    # here so it survives the UI signing out and in again.
    stage: str = ""
    stage_since: float = field(default_factory=time.monotonic)
    port: str = ""  # an iPhone's USB port path, from usbmuxd's LocationID, once known

    def note_stage(self) -> None:
        """Start the stage clock again if the state changed since it was last noted."""
        if self.state != self.stage:
            self.stage, self.stage_since = self.state, time.monotonic()


Listener = Callable[[PhoneView], None]
# The demo's stand-in for a technician looking at a lab phone: port path or UDID -> screen.
AutoAttest = Callable[[str], ScreenSeen]


class _Settled(Exception):
    """The phone's records say it is done (or set aside): this job ends without touching it."""

    def __init__(self, state: str, reason: str | None = None) -> None:
        super().__init__(state)
        self.state = state
        self.reason = reason  # e.g. a quarantine's reason: "handed over in RB-… on …"


class Engine:
    def __init__(
        self,
        ctx: StationContext,
        actor: audit.Actor,
        *,
        android_backend: Any = None,
        usbmux_address: str | None = None,
        emulated: bool = False,
        return_timeout_s: float = 900.0,
        confirm: Confirm | None = None,
        listener: Listener | None = None,
        certify: bool = True,
        approvals: Approvals | None = None,
        attestations: Attestations | None = None,
        auto_attest: AutoAttest | None = None,
        decisions: Decisions | None = None,
        on_host_problem: Callable[[str], None] | None = None,
        on_notice: Callable[[str, str], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.actor = actor
        self.android_backend = android_backend
        self.usbmux_address = usbmux_address
        self.emulated = emulated
        self.return_timeout_s = return_timeout_s
        self.confirm = confirm
        self.listener = listener
        self.certify = certify
        self.approvals = approvals
        self.attestations = attestations
        self.auto_attest = auto_attest
        self.decisions = decisions
        # Problems of the station itself (no usbmuxd), for the operator, not for one phone.
        self.on_host_problem = on_host_problem
        # The same problems with what they are about ("Database", "Disk", "iPhones"), for a UI
        # that titles them; when set, it is told instead of ``on_host_problem``.
        self.on_notice = on_notice
        self.phones: dict[str, PhoneView] = {}
        self._tasks: dict[str, asyncio.Future[PhoneView]] = {}
        # Every record this engine writes goes through one thread, in the order asked, in
        # groups when they queue up (records_thread.py). Not the loop's shared pool, where 64
        # phones' steps queued behind each other's USB work (issue 19); each Android phone's
        # USB work has a thread of its own (AndroidDriver._io).
        self._space_told = -60.0  # when a low disk was last said (monotonic)
        self._records = RecordsThread(
            ctx, on_outage=lambda text: self._host(f"Database: {text}", "Database")
        )

    async def _db(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` on the records thread (as `asyncio.to_thread` would run it,
        context variables included); committed when this returns."""
        return await self._records.run(fn, *args, **kwargs)

    def _show(self, view: PhoneView) -> None:
        view.note_stage()
        if self.listener is not None:
            self.listener(view)

    def android_driver(self, port_path: str) -> AndroidDriver:
        return AndroidDriver(port_path, self.android_backend, self.ctx.keys_dir / "adb")

    def ios_driver(self, udid: str) -> IosDriver:
        assert self.usbmux_address is not None
        return IosDriver(
            udid,
            self.ctx.keys_dir / "pairing",
            usbmux_address=self.usbmux_address,
            poll_s=0.25,
            usb_backend=self.android_backend,  # the station's USB bus: the iPhone's port
        )

    async def run_android(self, port_path: str) -> PhoneView:
        return await self.run(port_path, Platform.ANDROID, self.android_driver(port_path))

    async def run_ios(self, udid: str) -> PhoneView:
        return await self.run(udid, Platform.IOS, self.ios_driver(udid))

    def _check_free_space(self) -> None:
        """Before a phone's work: a disk nearly full is said (at most once a minute)."""
        from wipe_station.startup import free_space_warning

        now = time.monotonic()
        if now - self._space_told < 60:
            return
        low = free_space_warning(self.ctx.home)
        if low is not None:
            self._space_told = now
            self._host(low, "Disk")

    async def run(self, key: str, platform: Platform, driver: PhoneDriver) -> PhoneView:
        self._check_free_space()
        view = PhoneView(key, platform)
        self.phones[key] = view
        self._show(view)
        written = 0
        # Who this job's records name: whoever was signed in when the phone arrived, then the
        # technician who approved the erasure, even if someone else signs in meanwhile.
        actor = self.actor
        # Someone decides between the blocker check and the erase: the checks' evidence is
        # committed before the wait. Without that, it goes with the move to WIPING, which is
        # still before the phone is touched (one commit per step, not two).
        asks = self.confirm is not None or self.approvals is not None

        async def progress(message: str) -> None:
            view.progress = message
            view.log.append(message)
            self._show(view)

        def pending(result: PipelineResult) -> list[EvidenceItem]:
            return result.evidence[written:] if view.job_id is not None else []

        def committed(items: list[EvidenceItem]) -> None:
            nonlocal written
            view.evidence.extend((e.check, e.ok) for e in items)
            written += len(items)

        async def flush(result: PipelineResult) -> None:
            items = pending(result)
            if items:
                await self._db(records.add_evidence, self.ctx, view.job_id, items)
                committed(items)

        async def move(state: DeviceState, message: str, result: PipelineResult) -> None:
            assert view.device_id is not None and view.job_id is not None
            items = pending(result)
            await self._db(
                records.advance, self.ctx, actor, view.device_id, state, view.job_id, items
            )
            committed(items)
            view.state = state.value
            await progress(message)

        async def on_stage(stage: str, result: PipelineResult) -> None:
            if stage == "identified":
                assert result.facts is not None
                view.facts = result.facts
                view.port = getattr(driver, "port_path", "") if platform is Platform.IOS else ""
                found = await self._db(
                    records.identified,
                    self.ctx,
                    actor,
                    result.facts,
                    key if platform is Platform.ANDROID else None,
                    list(result.evidence),
                    emulated=self.emulated,
                )
                dev = found.device
                view.device_id, view.state = dev.id, dev.state
                view.announced = dev.intake_line_id is not None or dev.customer_id is not None
                view.customer = found.customer
                if found.job_id is None:
                    # Certified, in a batch, handed over or quarantined: plugged in again, it
                    # is shown as it is and never erased a second time by accident.
                    raise _Settled(
                        dev.state,
                        dev.quarantine_reason if dev.state == S.QUARANTINED.value else None,
                    )
                view.job_id = found.job_id
                committed(list(result.evidence))
                if found.before is not None:
                    # Interrupted by a stopped station: judged by what the phone reports now.
                    result.resume = found.before
                    result.can_attest = (
                        self.auto_attest is not None or self.attestations is not None
                    )
                    await progress("interrupted before: is it reset?")
                    return
                await progress("identified")
            elif stage == "checked":
                view.blockers = result.blockers
                await progress("checked for blockers")
                if asks:
                    await flush(result)
            elif stage == "erase":
                await move(S.WIPING, "erasing…", result)
            elif stage == "wait":
                await move(S.REBOOTING, "waiting for the phone to restart…", result)
            elif stage == "verify":
                await move(S.VERIFYING, "verifying the erasure…", result)
            elif stage == "not_reset":
                await move(S.DETECTED, f"{result.reason}: erasing it again", result)

        confirm = self.confirm
        if self.approvals is not None:
            approvals = self.approvals

            async def confirm(facts: DeviceFacts, blockers: list[Blocker]) -> bool:
                # Nothing is erased until the technician says so for this phone.
                nonlocal actor
                view.state = "ready"
                await progress("ready: press w to erase it, a for all ready phones")
                approved = await approvals.wait(key)
                actor = approvals.approved_by(key) or self.actor  # who gave the go-ahead
                return approved

        async def attest(question: str) -> ScreenSeen:
            # The answer is committed under the technician's name before the driver acts on it.
            if self.auto_attest is not None:
                seen, by = self.auto_attest(key), actor
            elif self.attestations is not None:
                previous = view.state
                view.state = "confirm"
                await progress(question)
                seen, by = await self.attestations.ask(key, question)
                by = by or actor
                view.state = previous
            else:
                return ScreenSeen.OTHER  # nobody to look at the phone: never counts as erased
            assert view.job_id is not None and view.device_id is not None
            await self._db(
                records.record_attestation,
                self.ctx,
                by,
                view.job_id,
                view.device_id,
                question,
                seen,
            )
            view.evidence.append(("technician_attestation", seen is ScreenSeen.WELCOME))
            await progress(f"screen confirmed by {by.name}: {seen.value.replace('_', ' ')}")
            return seen

        decide = None
        if self.decisions is not None:
            decisions = self.decisions

            async def decide(question: str) -> bool:
                # The technician's named decision, recorded before the phone is touched.
                view.state = "decide"
                await progress(f"{question}: press e to erase it again")
                if not await decisions.wait(key):
                    return False
                by = decisions.approved_by(key) or actor
                assert view.job_id is not None and view.device_id is not None
                await self._db(
                    records.record_decision, self.ctx, by, view.job_id, view.device_id, question
                )
                view.state = S.INTERRUPTED.value
                await progress(f"{by.name} decided: erase it again")
                return True

        try:
            try:
                result = await wipe_phone(
                    driver,
                    progress,
                    confirm=confirm,
                    return_timeout_s=self.return_timeout_s,
                    on_stage=on_stage,
                    attest=attest,
                    decide=decide,
                )
            except _Settled as settled:
                if settled.state == S.VERIFIED.value and self.certify:
                    # Verified before, never certified (a stop or an outage between the two,
                    # with an older station): the certificate is issued now.
                    assert view.device_id is not None
                    cert = await self._db(records.certify_verified, self.ctx, view.device_id)
                    if cert is not None:
                        view.certificate, view.state = cert, S.CERTIFIED.value
                        await progress(f"verified before; certified now: {cert}")
                        return view
                view.state = settled.state
                view.reason = settled.reason or ""
                said = f"already {settled.state.replace('_', ' ')}"
                await progress(
                    f"{said}: {settled.reason}" if settled.reason else f"{said}: nothing to do"
                )
                return view
            view.reason = result.reason
            if view.device_id is None:
                view.state, view.progress = "failed", result.reason
                self._show(view)
                return view
            items = pending(result)
            # The verification and its certificate commit together (records.py).
            done = await self._db(
                records.finish_and_certify,
                self.ctx,
                actor,
                view.job_id or 0,
                view.device_id,
                result,
                items,
                certify=self.certify,
            )
            committed(items)
            view.state = done.state.value
            view.progress = result.reason or done.state.value
            if done.certificate is not None:
                view.certificate = done.certificate
                view.progress = f"certified: {done.certificate}"
            elif done.state is S.VERIFIED and self.certify:
                view.progress = self._uncertified(view, done.problem)
            elif result.reason.startswith("waiting for a technician's decision") and view.facts:
                view.progress = (
                    f"{result.reason}; erase it again with e, or: wipe-station device "
                    f"erase-again {view.facts.serial}"
                )
            self._show(view)
            return view
        except Exception as exc:  # one phone's failure must not end the fleet
            await self._job_failed(view, actor, exc)
            return view
        finally:
            closing = getattr(driver, "close", None)
            if closing is not None:
                outcome = closing()
                if inspect.isawaitable(outcome):
                    await outcome

    @staticmethod
    def _uncertified(view: PhoneView, problem: str | None) -> str:
        serial = view.facts.serial if view.facts else ""
        if problem is not None:
            return f"verified, not yet certified ({problem}); certified when the station restarts"
        return "attested erasure held for a supervisor: wipe-station certificate release " + serial

    async def close(self) -> None:
        """After the jobs have ended or been cancelled: let the record writes in flight commit."""
        await asyncio.to_thread(self._records.close)

    async def _job_failed(self, view: PhoneView, actor: audit.Actor, exc: Exception) -> None:
        """Any error in one phone's job leaves that phone failed (or interrupted, if the erase
        was under way) with a one-line reason; the other phones carry on."""
        reason = f"station error: {type(exc).__name__}: {exc}"[:300]
        view.reason = reason
        view.state = "failed"
        if view.device_id is not None:
            try:
                view.state = (
                    await self._db(
                        records.abandon_job,
                        self.ctx,
                        actor,
                        view.job_id,
                        view.device_id,
                        reason,
                    )
                ).value
            except Exception as record_exc:  # the records themselves failed
                reason += f" (and it could not be recorded: {type(record_exc).__name__})"
        view.progress = reason
        self._show(view)

    @staticmethod
    def pairing_dir(ctx: StationContext) -> Path:
        return ctx.keys_dir / "pairing"

    # -- discovery: the same doors for real phones and the lab ----------------------------
    def recheck(self, key: str) -> None:
        """Run the job of a phone already seen again (blocked, failed, interrupted or
        released), on the engine's loop; a phone whose job still runs is left to it."""
        view = self.phones[key]
        run = self.run_android if view.platform.value == "android" else self.run_ios
        self._start(key, run(key))

    def _start(self, key: str, job: Any) -> None:
        task = self._tasks.get(key)
        if task is not None and not task.done():
            job.close()  # never started: close it so it is not reported as "never awaited"
            return  # a phone rebooting during its own job is not a new phone
        self._tasks[key] = asyncio.ensure_future(job)

    async def watch_usb(self, interval_s: float = 0.25) -> None:
        """Start a job for every Android phone that appears, with USB debugging on (ADB) or
        off (MTP only)."""
        from drivers.contract import UsbKind
        from drivers.usb.discovery import UsbWatcher

        watcher = UsbWatcher(self.android_backend, interval_s)
        while True:
            for event in await asyncio.to_thread(watcher.poll):
                info = event.device
                running = self._tasks.get(info.port_path)
                if event.kind != "attached" or (running and not running.done()):
                    continue
                if info.kind in (UsbKind.ADB, UsbKind.MTP):
                    # A phone with debugging off is a phone too: the driver identifies it from
                    # its USB descriptors and offers the guided recovery reset.
                    self._start(info.port_path, self.run_android(info.port_path))
            await asyncio.sleep(interval_s)

    async def watch_usbmux(self, retry_s: float = 2.0) -> None:
        """Start a job for every iPhone usbmuxd reports. Without a usbmuxd (not installed, not
        started, restarted) the station says so once, with how to start it, and keeps trying:
        iPhones appear as soon as the daemon does."""
        from drivers.contract import DriverError
        from drivers.ios.discovery import MuxEventKind, UsbmuxWatcher, list_iphones
        from drivers.ios.errors import UsbmuxdNotRunning

        assert self.usbmux_address is not None
        told = False
        while True:
            try:
                for udid in await list_iphones(self.usbmux_address):
                    self._start(udid, self.run_ios(udid))
                if told:
                    self._host("usbmuxd is running again: iPhones are visible.")
                    told = False
                async with UsbmuxWatcher(self.usbmux_address) as watcher:
                    async for event in watcher:
                        if event.kind is MuxEventKind.ATTACHED:
                            self._start(event.udid, self.run_ios(event.udid))
            except UsbmuxdNotRunning as exc:
                if not told:
                    self._host(str(exc))
                    told = True
            except DriverError as exc:  # the daemon went away mid-watch: start over
                if not told:
                    self._host(f"lost usbmuxd ({exc}); reconnecting")
                    told = True
            await asyncio.sleep(retry_s)

    def _host(self, message: str, about: str = "iPhones") -> None:
        if self.on_notice is not None:
            self.on_notice(about, message)
        elif self.on_host_problem is not None:
            self.on_host_problem(message)
