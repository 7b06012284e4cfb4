"""Operator sign-in with PIN."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from wipe_station.safe_text import visible


class SignInScreen(Screen[None]):
    BINDINGS = [("ctrl+q", "app.quit", "Quit")]

    def __init__(
        self, operator: str = "", hint: str = "", *, submit: Callable[[str, str], None]
    ) -> None:
        """``submit(name, pin)`` signs in (the app's `Signing`); a refusal comes back through
        `show_error`."""
        super().__init__()
        self._operator = operator
        self._hint = hint
        self._sign_in = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in"):
            yield Static("Wipe Station", id="title")
            yield Label("Operator")
            yield Input(value=self._operator, placeholder="name", id="operator")
            yield Label("PIN")
            yield Input(password=True, placeholder="PIN", id="pin", restrict=r"[0-9]*")
            yield Button("Sign in", variant="primary", id="submit")
            yield Static(Content(self._hint), id="hint")
            yield Static("", id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pin" if self._operator else "#operator", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "operator":
            self.query_one("#pin", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._submit()

    def _submit(self) -> None:
        name = self.query_one("#operator", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        self.query_one("#pin", Input).value = ""
        self._sign_in(name, pin)

    def show_error(self, message: str) -> None:
        # The message may echo a typed name ("unknown operator '[/b]'"): text, not markup.
        self.query_one("#error", Static).update(Content.styled(visible(message, 200), "red"))
