"""The screen a technician works at all day: one row per USB port, details of the selected one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from wipe_station.orchestrator.engine import PhoneView
from wipe_station.safe_text import visible
from wipe_station.tui import presenter
from wipe_station.tui.tables import selected_key


class StationScreen(Screen[None]):
    # Short words and a compact footer, so every key shows at 80 columns.
    BINDINGS = [
        Binding("w", "wipe_selected", "Erase", tooltip="Erase the selected phone"),
        Binding("a", "wipe_all", "Erase all", tooltip="Erase every ready phone"),
        Binding(
            "v", "screen_check", "Confirm screen", tooltip="Say what a reset phone's screen shows"
        ),
        Binding("r", "recheck", "Re-check"),
        Binding("i", "imei", "IMEI", tooltip="Enter the IMEI of the selected phone"),
        Binding("x", "quarantine", "Quarantine"),
        Binding("u", "release", "Release", tooltip="Release the selected phone from quarantine"),
        Binding("c", "certificates", "Certificates"),
        Binding("b", "batches", "Batches", tooltip="Recycling batches (logistics)"),
        Binding("o", "assign", "Assign", tooltip="Assign an unannounced phone to a customer"),
        Binding("ctrl+o", "sign_out", "Sign out"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]
    # Auditors see the phones and certificates but none of these (the core refuses them too).
    CHANGES = frozenset(
        {"wipe_selected", "wipe_all", "screen_check", "recheck", "imei", "quarantine", "release"}
    )

    def __init__(
        self,
        banner: str,
        read_only: bool,
        *,
        can_release: bool = False,
        logistics: bool = False,
    ) -> None:
        super().__init__()
        self.banner = banner
        self.read_only = read_only
        self.can_release = can_release
        self.logistics = logistics  # batches and intake keys shown (the core checks the role)
        self._selected_quarantined = False  # the footer shows release rather than quarantine
        self._views: dict[str, PhoneView] = {}
        self._cells: dict[str, tuple[object, ...]] = {}  # what each row shows now
        self._table_ready = False  # phones shown before the table has columns wait for it

    def compose(self) -> ComposeResult:
        yield Header()
        # The banner names the operator, a name someone typed: text, not markup.
        yield Static(Content(visible(self.banner, 200)), id="banner")
        with Vertical(id="main"):
            yield DataTable(id="phones", cursor_type="row", zebra_stripes=True)
            yield Static("Plug in a phone.", id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in presenter.COLUMNS:
            table.add_column(name, key=name)
        self._table_ready = True
        for view in list(self._views.values()):
            self.show(view)
        table.focus()
        self.set_interval(1.0, self._tick)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action in self.CHANGES:
            return False
        if action in ("batches", "assign"):
            return self.logistics
        # Quarantine or release, whichever fits the selected phone (the core checks the role).
        if action in ("quarantine", "release"):
            quarantined = self._selected_quarantined
            if action == "release":
                return quarantined and self.can_release
            return not quarantined
        return True

    def show(self, view: PhoneView) -> None:
        self._views[view.key] = view
        if not self._table_ready:
            return
        table = self.query_one(DataTable)
        cells = presenter.row(view)
        if view.key in table.rows:
            # Only what changed: with 64 busy phones, re-measuring every cell on every
            # progress message is what would make key presses lag.
            before = self._cells.get(view.key, ())
            for i, (column, value) in enumerate(zip(presenter.COLUMNS, cells, strict=True)):
                if i >= len(before) or before[i] != value:
                    table.update_cell(view.key, column, value, update_width=True)
        else:
            table.add_row(*cells, key=view.key)
        self._cells[view.key] = cells
        if self.selected() is view:
            self._show_detail(view)
            self._refresh_keys(view)

    def _tick(self) -> None:
        table = self.query_one(DataTable)
        for key, view in self._views.items():
            if view.state not in ("certified", "failed", "blocked", "interrupted", "quarantined"):
                # The clock's text keeps its width ("m:ss"): no re-measuring needed.
                table.update_cell(key, "Time", presenter.elapsed(view))

    def selected(self) -> PhoneView | None:
        key = selected_key(self.query_one(DataTable))
        return None if key is None else self._views.get(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        view = self._views.get(str(event.row_key.value))
        if view is not None:
            self._show_detail(view)
        self._refresh_keys(view)

    def _refresh_keys(self, view: PhoneView | None) -> None:
        # The footer offers quarantine or release for the selected phone: redraw it when that
        # changes, not on every progress message.
        quarantined = view is not None and view.state == "quarantined"
        if quarantined != self._selected_quarantined:
            self._selected_quarantined = quarantined
            self.refresh_bindings()

    def _show_detail(self, view: PhoneView) -> None:
        self.query_one("#detail", Static).update(presenter.detail(view))

    def action_wipe_selected(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.request_wipe([view.key])  # type: ignore[attr-defined]

    def action_screen_check(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.check_screen(view.key)  # type: ignore[attr-defined]

    def action_wipe_all(self) -> None:
        self.app.request_wipe(None)  # type: ignore[attr-defined]

    def action_imei(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.enter_imei(view.key)  # type: ignore[attr-defined]

    def action_recheck(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.recheck(view.key)  # type: ignore[attr-defined]

    def action_quarantine(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.quarantine(view.key)  # type: ignore[attr-defined]

    def action_release(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.release_quarantine(view.key)  # type: ignore[attr-defined]

    def action_batches(self) -> None:
        self.app.show_batches()  # type: ignore[attr-defined]

    def action_assign(self) -> None:
        view = self.selected()
        if view is None or view.facts is None:
            self.notify("select an identified phone first", severity="warning")
            return
        self.app.assign_customer(view.facts.serial)  # type: ignore[attr-defined]

    def action_certificates(self) -> None:
        self.app.show_certificates()  # type: ignore[attr-defined]

    def action_sign_out(self) -> None:
        self.app.sign_out("manual")  # type: ignore[attr-defined]
