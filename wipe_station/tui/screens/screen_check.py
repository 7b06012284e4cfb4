"""After a guided reset: the technician says what the phone's screen shows, under their name."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from drivers.contract import ScreenSeen
from wipe_station.safe_text import visible


class ScreenCheck(ModalScreen[ScreenSeen | None]):
    """Three answers and Cancel; Cancel has the focus, so a stray Enter records nothing."""

    BINDINGS = [
        ("1", "answer('welcome')", "Welcome"),
        ("2", "answer('owner_lock')", "Verify your account"),
        ("3", "answer('other')", "Something else"),
        ("escape", "cancel", "Cancel"),
    ]

    def __init__(self, phone: str, question: str) -> None:
        super().__init__()
        self.phone = visible(phone)  # a phone names itself: shown as text, never steering
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="screen-check"):
            yield Static(Text.assemble("What does ", self.phone, " show?", style="bold"))
            yield Static(Text(self.question))
            yield Static(
                Text("Your answer is recorded under your name and printed on the certificate.")
            )
            with Horizontal(id="screen-check-buttons"):
                yield Button("1 Welcome screen", variant="success", id="welcome")
                yield Button("2 Verify your account", variant="warning", id="owner_lock")
                yield Button("3 Something else", variant="error", id="other")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.dismiss(ScreenSeen(event.button.id))

    def action_answer(self, seen: str) -> None:
        self.dismiss(ScreenSeen(seen))

    def action_cancel(self) -> None:
        self.dismiss(None)
