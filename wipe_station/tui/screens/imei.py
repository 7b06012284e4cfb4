"""Entering a scanned or typed IMEI (modern Android does not tell it over ADB).

The dialog stays open until the records accept the IMEI: a wrong one keeps what was typed and
says why, so a digit can be corrected rather than typed again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from wipe_station.safe_text import visible

# Stores the IMEI; returns None when stored, or why not (the records check the Luhn digit).
SaveImei = Callable[[str], Awaitable[str | None]]


class ImeiEntry(ModalScreen[str | None]):
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, phone: str, save: SaveImei) -> None:
        super().__init__()
        self.phone = phone
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="imei-entry", classes="dialog"):
            # The phone names itself: its model is text, never markup.
            yield Static(Content.styled(f"IMEI for {visible(self.phone, 120)}", "bold"))
            yield Static("Scan the box label, or dial *#06# on the phone and type it.")
            yield Input(placeholder="15 digits", restrict=r"[0-9 ]*", max_length=20, id="imei")
            yield Static("Enter: save   Esc: cancel", classes="dialog-help")
            yield Static("", id="imei-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.run_worker(self._save(event.value), exclusive=True, group="imei")

    async def _save(self, raw: str) -> None:
        if not raw.strip():
            self.show_error("Type or scan the IMEI (15 digits).")
            return
        problem = await self.save(raw)
        if problem is None:
            self.dismiss(raw)
        else:
            self.show_error(problem)

    def show_error(self, message: str) -> None:
        self.query_one("#imei-error", Static).update(Content.styled(visible(message, 200), "red"))
        self.query_one("#imei", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
