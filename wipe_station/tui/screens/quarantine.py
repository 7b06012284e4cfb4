"""Why a phone is set aside: a reason is required before it goes into quarantine."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from wipe_station.safe_text import visible

MAX_REASON = 200


class QuarantineReason(ModalScreen[str | None]):
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, phone: str) -> None:
        super().__init__()
        self.phone = phone

    def compose(self) -> ComposeResult:
        with Vertical(id="quarantine"):
            yield Static(Content.styled(f"Quarantine {visible(self.phone, 120)}", "bold"))
            yield Static(
                "It will not be erased until an admin releases it. Why is it set aside?",
                markup=False,
            )
            yield Input(
                placeholder=f"reason (required, up to {MAX_REASON} characters)",
                max_length=MAX_REASON,
                id="reason",
            )
            yield Static("Enter: quarantine   Esc: cancel", id="reason-help")
            yield Static("", id="reason-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        reason = " ".join(event.value.split())
        if not reason:
            self.query_one("#reason-error", Static).update("[red]A reason is required.[/]")
            return
        self.dismiss(reason[:MAX_REASON])

    def action_cancel(self) -> None:
        self.dismiss(None)
