"""`?`: the keys of the screen underneath, as the signed-in operator's role offers them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from wipe_station.safe_text import visible


def keys_of(screen: Screen[object]) -> list[tuple[str, str]]:
    """(key, what it does) for every binding the screen offers now (its role and selection)."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        # The screen's own keys, not the table's cursor keys (the footer shows those anyway).
        if active.node is not screen or not active.enabled or not binding.description:
            continue
        if binding.action in seen:
            continue
        seen.add(binding.action)
        text = binding.tooltip or binding.description
        rows.append((screen.app.get_key_display(binding), text))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def __init__(self, title: str, keys: list[tuple[str, str]], notes: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys
        self.notes = notes

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.keys), default=4) + 2
        lines = [Content.styled(visible(self.title_text, 80), "bold"), Content("")]
        lines += [
            Content.assemble((f"{visible(key, 20):<{width}}", "bold"), visible(text, 120))
            for key, text in self.keys
        ]
        if self.notes:
            lines.append(Content(""))
            lines += [Content(visible(note, 300)) for note in self.notes]
        lines += [Content(""), Content.styled("Esc or ? closes this help.", "dim")]
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(Content("\n").join(lines))
