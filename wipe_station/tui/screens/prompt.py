"""A one-line question (a recycler's name, who received a batch, a customer's org number)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from wipe_station.safe_text import visible


class TextPrompt(ModalScreen[str | None]):
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, question: str, placeholder: str, max_length: int = 200) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.placeholder = placeholder
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static(Content.styled(visible(self.title_text, 120), "bold"))
            yield Static(Content(visible(self.question)))
            yield Input(placeholder=self.placeholder, max_length=self.max_length, id="answer")
            yield Static("Enter: OK   Esc: cancel", id="prompt-help")
            yield Static("", id="prompt-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        answer = " ".join(event.value.split())
        if not answer:
            self.query_one("#prompt-error", Static).update("[red]An answer is required.[/]")
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
