"""A label printed as soon as a phone is certified (`print.label_at_certification`).

The app shows each changed phone here; a certificate's label is sent once, by a worker, under
the engine's actor (the technician who started the erasure), also while nobody is signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.app import App

from wipe_station import printing
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.orchestrator.engine import PhoneView
from wipe_station.tui.session import Notify, UiSession, off_loop, report_print


class LabelPrinter:
    def __init__(
        self,
        app: App[Any],
        ctx: StationContext,
        notify: Notify,
        *,
        actor: Callable[[], audit.Actor],
        session: Callable[[], UiSession | None],
    ) -> None:
        """``actor``: the engine's, at print time; ``session``: who is signed in now, if
        anyone (the outcome is reported to them)."""
        self._app = app
        self._ctx = ctx
        self._notify = notify
        self._actor = actor
        self._session = session
        self._labelled: set[str] = set()  # certificates whose label was sent at certification

    def phone_changed(self, view: PhoneView) -> None:
        number = view.certificate
        if view.state != "certified" or not number or number in self._labelled:
            return
        self._labelled.add(number)
        # A callable, not a coroutine: one the app exits before starting is never created.
        self._app.run_worker(partial(self._print_label, number), group="print")

    async def _print_label(self, number: str) -> None:
        actor = self._actor()
        done, wanted = await off_loop(self._notify, printing.labels_at_certification, self._ctx)
        if not done or not wanted:
            return
        done, printed = await off_loop(self._notify, printing.print_label, self._ctx, actor, number)
        session = self._session()
        if done and session is not None:
            report_print(session, printed, f"label {number}")
