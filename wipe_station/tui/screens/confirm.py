"""The confirmation before anything is erased: it names how many phones."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from wipe_station.safe_text import visible


class ConfirmErase(ModalScreen[bool]):
    BINDINGS = [("y", "yes", "Erase"), ("n,escape", "no", "Cancel")]

    def __init__(self, count: int, what: str) -> None:
        super().__init__()
        self.count = count
        self.what = what

    def compose(self) -> ComposeResult:
        noun = "phone" if self.count == 1 else "phones"
        with Vertical(id="confirm"):
            yield Static(f"[b]Erase {self.count} {noun}?[/b]", id="question")
            yield Static(
                Content(
                    f"{visible(self.what)}\nEverything on them is destroyed. This cannot be undone."
                )
            )
            with Horizontal(id="buttons"):
                yield Button(f"Erase {self.count}", variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
