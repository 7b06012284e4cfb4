"""Confirmations before anything that cannot be undone: erasing, closing or handing over a batch.

Cancel has the focus, so a stray Enter (or the key that opened the dialog, pressed twice) does
nothing; the destructive answer takes its own key or a click.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from wipe_station.safe_text import visible


class Confirm(ModalScreen[bool]):
    """A yes/no question; ``question`` and ``body`` may carry values (text, never markup)."""

    BINDINGS = [
        Binding("y", "yes", "Yes"),
        Binding("n,escape", "no", "Cancel"),
    ]

    def __init__(self, question: str, body: str, yes_label: str) -> None:
        super().__init__()
        self.question = question
        self.body = body
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Content.styled(visible(self.question, 200), "bold"), id="question")
            lines = [Content(visible(line, 300)) for line in self.body.split("\n")]
            yield Static(Content("\n").join(lines), id="confirm-body")
            with Horizontal(id="buttons"):
                yield Button(
                    Content(f"y  {visible(self.yes_label, 40)}"), variant="error", id="yes"
                )
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ConfirmErase(Confirm):
    """The confirmation before erasing: it names how many phones."""

    def __init__(self, count: int, what: str) -> None:
        noun = "phone" if count == 1 else "phones"
        super().__init__(
            f"Erase {count} {noun}?",
            f"{what}\nEverything on them is destroyed. This cannot be undone.",
            f"Erase {count}",
        )
        self.count = count
        self.what = what
