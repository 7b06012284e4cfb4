"""The technician's actions on the station screen's phones, and the lists it opens.

Erase (after a confirmation), answer a guided reset's screen question, enter an IMEI, re-check,
quarantine and release, assign a phone to a customer, open the certificates and batches lists.
The core checks the role of each (the screen only hides what the operator may not do); whatever
changes a phone's view runs where the engine runs (`Station._on_engine`) and is shown again
through the app's coalesced queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Protocol

from textual.screen import Screen

from drivers.contract import ScreenSeen
from wipe_station import batches, intake, printing
from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.errors import IllegalTransition, StationError
from wipe_station.lifecycle import DeviceState, check
from wipe_station.operators import actor_of
from wipe_station.orchestrator import records
from wipe_station.orchestrator.approvals import Approvals, Attestations, Decisions
from wipe_station.orchestrator.engine import Engine, PhoneView
from wipe_station.roles import Permission
from wipe_station.safe_text import visible
from wipe_station.tui.screens.batches import BatchesScreen
from wipe_station.tui.screens.certificates import CertificatesScreen
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.imei import ImeiEntry
from wipe_station.tui.screens.prompt import TextPrompt
from wipe_station.tui.screens.quarantine import QuarantineReason
from wipe_station.tui.screens.screen_check import ScreenCheck
from wipe_station.tui.screens.station import StationScreen
from wipe_station.tui.session import UiSession, off_loop


class Station(Protocol):
    """What the actions need of the app: the engine it started, who is signed in, its screens."""

    ctx: StationContext
    engine: Engine | None
    approvals: Approvals
    attestations: Attestations
    decisions: Decisions

    @property
    def operator(self) -> Operator | None: ...
    @property
    def screen(self) -> Screen[Any]: ...
    def notify(self, message: str, *, severity: Any = "information") -> None: ...
    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
    def run_worker(self, work: Any, *, group: str = ..., exclusive: bool = ...) -> Any: ...
    def session(self) -> UiSession | None: ...
    def sign_out(self, reason: str) -> None: ...
    async def _on_engine(self, fn: Callable[..., Any], *args: Any) -> Any: ...
    def _engine_soon(self, fn: Callable[[], Any]) -> None: ...
    def _queue_view(self, view: PhoneView) -> None: ...


class PhoneActions:
    def __init__(self, app: Station) -> None:
        self._app = app

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """`session.off_loop`: a refusal or failure becomes a notification."""
        return await off_loop(self._app.notify, fn, *args)

    def _allowed(self, permission: Permission) -> bool:
        session = self._app.session()
        return session is not None and session.allowed(permission)

    def request_wipe(self, keys: list[str] | None) -> None:
        if not self._allowed(Permission.WIPE):
            return
        self._app.run_worker(self._confirm_wipe(keys), exclusive=True, group="wipe")

    def _erasable(self, keys: list[str]) -> list[str]:
        # Ask the records, not the screen: a quarantined phone may not become WIPING.
        assert self._app.engine is not None
        ok = []
        for key in keys:
            view = self._app.engine.phones.get(key)
            if view is None or view.device_id is None:
                continue
            if records.can_move(self._app.ctx, view.device_id, DeviceState.WIPING):
                ok.append(key)
        return ok

    async def _confirm_wipe(self, keys: list[str] | None) -> None:
        ready: list[str] = await self._app._on_engine(self._app.approvals.ready)
        candidates = ready if keys is None else [k for k in keys if k in ready]
        try:
            chosen = await asyncio.to_thread(self._erasable, candidates) if candidates else []
        except StationError as exc:
            self._app.notify(str(exc), severity="error")
            return
        if self._app.operator is None or not isinstance(self._app.screen, StationScreen):
            return  # signed out meanwhile
        if not chosen:
            self._app.notify("No phone is ready to erase (blocked, busy or already done).")
            return
        what = "All ready phones." if keys is None else f"Phone on port {chosen[0]}."

        def answer(ok: bool | None) -> None:
            if ok and self._app.operator is not None:
                by = actor_of(self._app.operator)
                self._app.run_worker(self._approve(chosen, by), group="wipe-approve")

        self._app.push_screen(ConfirmErase(len(chosen), what), answer)

    async def _approve(self, chosen: list[str], by: Any) -> None:
        count: int = await self._app._on_engine(lambda: self._app.approvals.approve(chosen, by=by))
        self._app.notify(f"Erasing {count} phone{'s' if count != 1 else ''}.")

    def check_screen(self, key: str) -> None:
        """A guided reset asks what the phone shows; the answer goes in under this operator."""
        if not self._allowed(Permission.WIPE) or self._app.engine is None:
            return
        question = self._app.attestations.question(key)
        if question is None:
            self._app.notify("This phone is not waiting for its screen to be confirmed.")
            return
        view = self._app.engine.phones.get(key)
        name = visible((view.facts.model if view is not None and view.facts else "") or key, 80)
        op = self._app.operator
        assert op is not None

        def answered(seen: ScreenSeen | None) -> None:
            if seen is not None:
                self._app.run_worker(self._attest(key, seen, actor_of(op)), group="attest")

        self._app.push_screen(ScreenCheck(name, question), answered)

    async def _attest(self, key: str, seen: ScreenSeen, by: Any) -> None:
        if await self._app._on_engine(self._app.attestations.answer, key, seen, by):
            self._app.notify(f"Recorded: {seen.value.replace('_', ' ')}.")

    def _ask(
        self,
        prompt: Screen[str | None],
        work: Callable[[str], Coroutine[Any, Any, None]],
        *,
        group: str,
    ) -> None:
        """Ask with ``prompt``; an answer (not a cancel, not empty) starts ``work(answer)``."""

        def given(answer: str | None) -> None:
            if answer:
                self._app.run_worker(work(answer), group=group)

        self._app.push_screen(prompt, given)

    def _identified(self, permission: Permission, key: str) -> tuple[PhoneView, Operator] | None:
        """The phone at ``key`` and who acts on it, if they may and the phone is identified."""
        if not self._allowed(permission) or self._app.engine is None:
            return None
        view = self._app.engine.phones.get(key)
        if view is None or view.device_id is None:
            self._app.notify("Wait until the phone is identified.")
            return None
        op = self._app.operator
        assert op is not None
        return view, op

    def enter_imei(self, key: str) -> None:
        found = self._identified(Permission.ENTER_IMEI, key)
        if found is None:
            return
        view, op = found

        async def save(raw: str) -> str | None:
            # The records check the IMEI; a refusal stays in the dialog with what was typed.
            return await self._save_imei(view, raw, op)

        self._app.push_screen(ImeiEntry(view.facts.model if view.facts else key, save))

    async def _save_imei(self, view: PhoneView, raw: str, op: Operator) -> str | None:
        assert view.device_id is not None
        try:
            value = await asyncio.to_thread(
                records.set_imei, self._app.ctx, actor_of(op), view.device_id, raw
            )
        except StationError as exc:
            return str(exc)

        def add_imei() -> None:
            if view.facts is not None and value not in view.facts.imeis:
                view.facts = dataclasses.replace(view.facts, imeis=(*view.facts.imeis, value))

        await self._app._on_engine(add_imei)
        self._app.notify(f"IMEI {value} recorded.")
        self._app._queue_view(view)
        return None

    def recheck(self, key: str) -> None:
        if not self._allowed(Permission.WIPE) or self._app.engine is None:
            return
        view = self._app.engine.phones.get(key)
        if view is not None and view.state == "decide":
            self.erase_again(key)
            return
        if view is not None and view.state == "verified" and view.device_id is not None:
            # Erased and verified, its certificate never issued: issued now, no phone needed.
            self._app.run_worker(self._certify(view), group="certify")
            return
        if view is None or view.state not in ("blocked", "failed", "interrupted", "detected"):
            self._app.notify(
                "Only a blocked, failed, interrupted, verified or released phone can be re-checked."
            )
            return
        self._app._engine_soon(partial(self._app.engine.recheck, key))

    async def _certify(self, view: PhoneView) -> None:
        done, number = await self._in_thread(
            records.certify_verified, self._app.ctx, view.device_id
        )
        if not done:
            return
        if number is None:
            self._app.notify("Held for a supervisor: wipe-station certificate release.")
            return
        view.certificate, view.state = number, DeviceState.CERTIFIED.value
        view.progress = f"verified before; certified now: {number}"
        self._app._queue_view(view)
        self._app.notify(f"Certified: {number}")

    def erase_again(self, key: str) -> None:
        """An interrupted phone the station could not judge: erase it again, on this
        technician's word (the engine records who decided before it acts)."""
        if not self._allowed(Permission.WIPE) or self._app.operator is None:
            return
        by = actor_of(self._app.operator)
        self._app.run_worker(self._decide(key, by), group="decide")

    async def _decide(self, key: str, by: Any) -> None:
        count: int = await self._app._on_engine(lambda: self._app.decisions.approve([key], by=by))
        if count:
            self._app.notify("Erasing it again.")
        else:
            self._app.notify("This phone does not wait for a decision.")

    # -- quarantine: set a phone aside (technician), release it (admin) ----------------------
    def quarantine(self, key: str) -> None:
        found = self._identified(Permission.QUARANTINE, key)
        if found is None:
            return
        view, op = found
        if view.state == DeviceState.QUARANTINED:
            self._app.notify("This phone is in quarantine already.")
            return
        if view.state in {s.value for s in DeviceState}:  # not the screen's own "ready"
            try:  # say so now rather than after the reason is typed (mid-erase, for one)
                check(view.state, DeviceState.QUARANTINED)
            except IllegalTransition as exc:
                self._app.notify(str(exc), severity="error")
                return
        self._ask(
            QuarantineReason(self._phone_name(view)),
            lambda reason: self._quarantine(view, reason, op),
            group="quarantine",
        )

    async def _set_state(
        self, view: PhoneView, op: Operator, state: DeviceState, reason: str
    ) -> bool:
        """Move the phone's record (the lifecycle may refuse: then False, and it is shown)."""
        assert view.device_id is not None
        done, _ = await self._in_thread(
            records.set_state, self._app.ctx, actor_of(op), view.device_id, state, reason
        )
        return bool(done)

    async def _quarantine(self, view: PhoneView, reason: str, op: Operator) -> None:
        if not await self._set_state(
            view, op, DeviceState.QUARANTINED, reason
        ):  # the lifecycle's refusal, e.g. the erasure started
            return

        def set_aside() -> None:
            view.state, view.progress, view.reason = (
                DeviceState.QUARANTINED.value,
                "quarantined",
                reason,
            )
            view.log.append("quarantined")
            view.note_stage()

        await self._app._on_engine(set_aside)
        self._app.notify(f"{self._phone_name(view)} is in quarantine: it will not be erased.")
        self._app._queue_view(view)

    def release_quarantine(self, key: str) -> None:
        if not self._allowed(Permission.RELEASE_QUARANTINE) or self._app.engine is None:
            return
        view = self._app.engine.phones.get(key)
        if view is None or view.device_id is None or view.state != DeviceState.QUARANTINED:
            self._app.notify("Only a phone in quarantine can be released.")
            return
        op = self._app.operator
        assert op is not None
        self._app.run_worker(self._ask_release(view, op), group="quarantine")

    async def _ask_release(self, view: PhoneView, op: Operator) -> None:
        """A phone that left the depot once needs the admin's reason to leave again."""
        assert view.device_id is not None
        done, went = await self._in_thread(records.left_before, self._app.ctx, view.device_id)
        if not done:
            return
        if went is None:
            await self._release(view, op)
            return
        self._ask(
            TextPrompt(
                f"Release {self._phone_name(view)}",
                f"This phone was handed over in {went}. Why may it be erased and leave again?",
                "reason (required; audited)",
            ),
            lambda reason: self._release_left(view, op, reason),
            group="quarantine",
        )

    async def _release_left(self, view: PhoneView, op: Operator, reason: str) -> None:
        assert view.device_id is not None
        done, _ = await self._in_thread(
            records.release_left_before, self._app.ctx, actor_of(op), view.device_id, reason
        )
        if done:
            await self._released(view)

    async def _release(self, view: PhoneView, op: Operator) -> None:
        if await self._set_state(view, op, DeviceState.DETECTED, "released from quarantine"):
            await self._released(view)

    async def _released(self, view: PhoneView) -> None:
        def release() -> None:
            # A phone that was waiting for the go-ahead waits again; any other may be
            # re-checked.
            waiting = view.key in self._app.approvals.ready()
            view.state = "ready" if waiting else DeviceState.DETECTED.value
            view.progress = "released"
            view.reason = ""
            view.log.append(
                "released from quarantine" + ("" if waiting else ": press r to re-check it")
            )
            view.note_stage()

        await self._app._on_engine(release)
        self._app.notify(f"{self._phone_name(view)} is released from quarantine.")
        self._app._queue_view(view)

    @staticmethod
    def _phone_name(view: PhoneView) -> str:
        return f"{view.facts.model} ({view.facts.serial})" if view.facts else view.key

    # -- certificates: the list, and a PDF written again into the print folder ---------------
    def show_certificates(self) -> None:
        if not self._allowed(Permission.PRINT_CERTIFICATES):
            return
        self._app.run_worker(self._show_certificates(), exclusive=True, group="certificates")

    async def _show_certificates(self) -> None:
        done, listing = await self._in_thread(printing.certificate_listing, self._app.ctx)
        if not done:
            return
        rows, total = listing
        session = self._app.session()
        if session is None or not isinstance(self._app.screen, StationScreen):
            return  # signed out meanwhile
        await self._app.push_screen(
            CertificatesScreen(
                rows,
                printing.print_dir(self._app.ctx.home),
                session,
                lambda: self._app.sign_out("manual"),
                total=total,
            )
        )

    # -- batches: the screen does its own work; the app only opens it ---------------------------
    def show_batches(self) -> None:
        if self._allowed(Permission.MANAGE_BATCHES):
            self._app.run_worker(self._show_batches(), exclusive=True, group="batches")

    async def _show_batches(self) -> None:
        done, rows = await self._in_thread(batches.list_batches, self._app.ctx)
        session = self._app.session()
        if done and session is not None and isinstance(self._app.screen, StationScreen):
            await self._app.push_screen(BatchesScreen(session, rows))

    # -- phones no return list announced -------------------------------------------------------
    def assign_customer(self, serial: str) -> None:
        if not self._allowed(Permission.IMPORT_INTAKE):
            return
        assert self._app.operator is not None
        actor = actor_of(self._app.operator)
        self._ask(
            TextPrompt(
                f"Assign {serial}",
                "No return list announced this phone. Which customer (organisation number)?",
                "organisation number",
                max_length=20,
            ),
            lambda org: self._assign(actor, serial, org),
            group="intake",
        )

    async def _assign(self, actor: Any, serial: str, org: str) -> None:
        done, _ = await self._in_thread(
            lambda: intake.assign(self._app.ctx, actor, serial, org=org)
        )
        if not done:
            return
        self._app.notify(f"{serial} assigned to customer {org}")
        engine = self._app.engine
        if engine is None:
            return

        def announced() -> list[PhoneView]:
            views = [v for v in engine.phones.values() if v.facts and v.facts.serial == serial]
            for view in views:
                view.announced = True
            return views

        for view in await self._app._on_engine(announced):
            self._app._queue_view(view)
