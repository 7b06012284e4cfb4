"""The screen a technician works at all day: one row per USB port, details of the selected one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from wipe_station.orchestrator.engine import PhoneView
from wipe_station.tui import presenter


class StationScreen(Screen[None]):
    BINDINGS = [
        Binding("w", "wipe_selected", "Erase phone"),
        Binding("a", "wipe_all", "Erase all ready"),
        Binding("r", "recheck", "Re-check"),
        Binding("i", "imei", "Enter IMEI"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self, banner: str, read_only: bool) -> None:
        super().__init__()
        self.banner = banner
        self.read_only = read_only
        self._views: dict[str, PhoneView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.banner, id="banner")
        with Vertical(id="main"):
            yield DataTable(id="phones", cursor_type="row", zebra_stripes=True)
            yield Static("Plug in a phone.", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in presenter.COLUMNS:
            table.add_column(name, key=name)
        table.focus()
        self.set_interval(1.0, self._tick)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Auditors see the phones but no erase actions (the core refuses them as well).
        return not (self.read_only and action in ("wipe_selected", "wipe_all", "recheck"))

    def show(self, view: PhoneView) -> None:
        table = self.query_one(DataTable)
        self._views[view.key] = view
        cells = presenter.row(view)
        if view.key in table.rows:
            for column, value in zip(presenter.COLUMNS, cells, strict=True):
                table.update_cell(view.key, column, value, update_width=True)
        else:
            table.add_row(*cells, key=view.key)
        if self.selected() is view:
            self._show_detail(view)

    def _tick(self) -> None:
        table = self.query_one(DataTable)
        for key, view in self._views.items():
            if view.state not in ("certified", "failed", "blocked", "interrupted"):
                table.update_cell(key, "Time", presenter.elapsed(view))

    def selected(self) -> PhoneView | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._views.get(str(key))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        view = self._views.get(str(event.row_key.value))
        if view is not None:
            self._show_detail(view)

    def _show_detail(self, view: PhoneView) -> None:
        self.query_one("#detail", Static).update(presenter.detail(view))

    def action_wipe_selected(self) -> None:
        view = self.selected()
        if view is not None:
            self.app.request_wipe([view.key])  # type: ignore[attr-defined]

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
