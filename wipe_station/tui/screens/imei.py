"""Entering a scanned or typed IMEI (modern Android does not tell it over ADB)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from wipe_station.safe_text import visible


class ImeiEntry(ModalScreen[str | None]):
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, phone: str) -> None:
        super().__init__()
        self.phone = phone

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            # The phone names itself: its model is text, never markup.
            yield Static(Content.styled(f"IMEI for {visible(self.phone, 120)}", "bold"))
            yield Static("Scan the box label, or dial *#06# on the phone and type it.")
            yield Input(placeholder="15 digits", restrict=r"[0-9 ]*", max_length=20, id="imei")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
