"""The certificates issued, newest first; Enter writes the selected one to the print folder."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from wipe_station.printing import IssuedCertificate
from wipe_station.safe_text import visible
from wipe_station.tui.presenter import shown
from wipe_station.tui.tables import selected_key

COLUMNS = ("Number", "Model", "Serial", "Issued (UTC)")


class CertificatesScreen(Screen[None]):
    BINDINGS = [
        # A priority binding: the table would otherwise take Enter for itself.
        Binding("enter", "reprint", "Print again", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+o", "sign_out", "Sign out"),
    ]

    def __init__(self, rows: list[IssuedCertificate], folder: Path) -> None:
        super().__init__()
        self.rows = rows
        self.folder = folder

    def compose(self) -> ComposeResult:
        yield Header()
        count = len(self.rows)
        yield Static(
            Content(
                f"{count} certificate{'s' if count != 1 else ''}, newest first   ·   "
                f"Enter writes one to {visible(self.folder)}"
            ),
            id="banner",
        )
        yield DataTable(id="certificates", cursor_type="row", zebra_stripes=True)
        yield Static("", id="written")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        for cert in self.rows:
            table.add_row(
                # A plain str cell would be read as markup: a phone's model is data.
                shown(cert.number),
                shown(visible(cert.model[:20])[:20]),
                shown(visible(cert.serial[:16])[:16]),
                shown(f"{cert.issued_at:%Y-%m-%d %H:%M}"),
                key=cert.number,
            )
        if not self.rows:
            self.query_one("#written", Static).update("No certificates yet.")
        table.focus()

    def selected(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.rows) or action != "reprint"

    def action_reprint(self) -> None:
        number = self.selected()
        if number is not None:
            self.app.reprint(number)  # type: ignore[attr-defined]

    def action_sign_out(self) -> None:
        self.app.sign_out("manual")  # type: ignore[attr-defined]

    def show_written(self, number: str, path: Path) -> None:
        self.query_one("#written", Static).update(
            Content.assemble(("Written:", "green"), f" {visible(number)} → {visible(path)}")
        )
