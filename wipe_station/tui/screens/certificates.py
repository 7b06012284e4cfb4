"""The certificates issued, newest first: Enter prints the selected one on the A4 printer,
`l` its label on the label printer; a job that fails can be sent again (the PDF is kept)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from wipe_station import printing, settings
from wipe_station.listings import ListedCertificate
from wipe_station.printing import Printed
from wipe_station.roles import Permission
from wipe_station.safe_text import visible
from wipe_station.tui.presenter import fit, local_time, shown
from wipe_station.tui.screens.help import HelpScreen, keys_of
from wipe_station.tui.session import UiSession, report_print
from wipe_station.tui.tables import selected_key
from wipe_station.tui.widgets.header import StationHeader

COLUMNS = ("Number", "Model", "Serial", "Issued")  # the depot's local time, as printed


class CertificatesScreen(Screen[None]):
    BINDINGS = [
        # A priority binding: the table would otherwise take Enter for itself.
        Binding("enter", "reprint", "Print", priority=True, tooltip="Print the certificate"),
        Binding("l", "label", "Label", tooltip="Print the phone's label"),
        Binding("f10", "print_again", "Retry", tooltip="Send the last failed print job again"),
        Binding("question_mark", "help", "Help", tooltip="This list of keys"),
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+o", "sign_out", "Sign out"),
    ]

    def __init__(
        self,
        rows: list[ListedCertificate],
        folder: Path,
        session: UiSession | None = None,
        sign_out: Callable[[], None] | None = None,
        *,
        total: int | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.total = len(rows) if total is None else total
        self.folder = folder
        self.session = session
        self._sign_out = sign_out
        self.failed: Printed | None = None

    def compose(self) -> ComposeResult:
        yield StationHeader()
        yield Static(
            Content(f"{self._shown()}   ·   PDFs are kept in {visible(self.folder)}"),
            id="banner",
        )
        yield DataTable(id="certificates", cursor_type="row", zebra_stripes=True)
        yield Static("", id="written")
        yield Footer(compact=True, show_command_palette=False)

    def _shown(self) -> str:
        count = len(self.rows)
        if self.total > count:
            return f"the newest {count:,} of {self.total:,} certificates"
        return f"{count} certificate{'s' if count != 1 else ''}, newest first"

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        zone = self._zone()
        for name in COLUMNS:
            table.add_column(name, key=name)
        for cert in self.rows:
            table.add_row(
                # A plain str cell would be read as markup: a phone's model is data.
                shown(cert.number),
                shown(fit(cert.model, 24)),
                shown(fit(cert.serial, 18)),
                shown(local_time(cert.issued_at, zone)),
                key=cert.number,
            )
        if not self.rows:
            self.query_one("#written", Static).update("No certificates yet.")
        table.focus()

    def _zone(self) -> str:
        """The depot's time zone (settings), the one its printed certificates use."""
        if self.session is None:
            return "UTC"
        with self.session.ctx.session() as s:
            return settings.get(s, "depot.timezone")

    def selected(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reprint", "label"):
            return bool(self.rows)
        if action == "print_again":
            return self.failed is not None
        return True

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("Certificates: keys", keys_of(self), []))

    def _printing(self) -> UiSession | None:
        s = self.session
        return s if s is not None and s.allowed(Permission.PRINT_CERTIFICATES) else None

    def action_reprint(self) -> None:
        number = self.selected()
        if number is not None and (s := self._printing()) is not None:
            ctx, actor = s.ctx, s.actor
            self._print(lambda: printing.print_certificate(ctx, actor, number), number)

    def action_label(self) -> None:
        number = self.selected()
        if number is not None and (s := self._printing()) is not None:
            ctx, actor = s.ctx, s.actor
            self._print(lambda: printing.print_label(ctx, actor, number), f"label {number}")

    def action_print_again(self) -> None:
        if self.failed is not None and (s := self._printing()) is not None:
            failed, ctx = self.failed, s.ctx
            self._print(lambda: printing.send_again(ctx, failed), failed.path.name)

    @work(group="print")
    async def _print(self, job: Callable[[], Printed], what: str) -> None:
        assert self.session is not None
        done, printed = await self.session.in_thread(job)
        if not done:
            return
        report_print(self.session, printed, what)
        self.failed = None if printed.ok else printed
        self.refresh_bindings()
        self.show_written(what, printed)

    def action_sign_out(self) -> None:
        if self._sign_out is not None:
            self._sign_out()

    def show_written(self, what: str, printed: Printed) -> None:
        mark = ("Printed:", "green") if printed.ok else ("Not printed:", "red")
        self.query_one("#written", Static).update(
            Content.assemble(mark, f" {visible(what)}: {visible(printed.describe(), 300)}")
        )
