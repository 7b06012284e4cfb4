"""The screen a technician works at all day: one row per phone, details of the selected one.

The table uses the terminal's width (long values end in "…"; the pane shows them whole), can be
sorted, filtered and searched, and a barcode scanner typing a serial or IMEI and Enter anywhere
on the screen moves the cursor to that phone.
"""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from wipe_station.orchestrator.engine import PhoneView
from wipe_station.safe_text import visible
from wipe_station.tui import presenter
from wipe_station.tui.screens.help import HelpScreen, keys_of
from wipe_station.tui.session import StationActions
from wipe_station.tui.tables import selected_key
from wipe_station.tui.widgets.header import StationHeader
from wipe_station.tui.widgets.phone_table import PhoneTable

# `f` steps through these: what needs a person, what is under way, what is done.
STATE_FILTERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("all", frozenset()),
    (
        "needs you",
        frozenset(
            {"confirm", "decide", "waiting", "blocked", "failed", "interrupted", "quarantined"}
        ),
    ),
    ("under way", frozenset({"detected", "ready", "wiping", "rebooting", "verifying", "verified"})),
    ("done", frozenset({"certified", "in_batch", "handed_over"})),
)
PLATFORM_FILTERS = ("all", "android", "ios")
SORTS = (None, *presenter.COLUMNS)  # None: the order the phones were plugged in
SCANNER_HELP = (
    "A barcode scanner (or typing) of a serial or IMEI and Enter, anywhere on this screen, "
    "selects that phone. Upper-case letters and digits start a scan; a serial that begins "
    "with a lower-case letter: search with / instead."
)


class StationScreen(Screen[None]):
    # Short words and a compact footer, so every key shows at 80 columns.
    BINDINGS = [
        Binding("w", "wipe_selected", "Erase", tooltip="Erase the selected phone"),
        Binding("a", "wipe_all", "Erase all", tooltip="Erase every ready phone (asks first)"),
        Binding(
            "v", "screen_check", "Confirm screen", tooltip="Say what a reset phone's screen shows"
        ),
        Binding(
            "r",
            "recheck",
            "Re-check",
            tooltip="Re-check a stopped phone; certify a verified one",
        ),
        Binding(
            "e",
            "erase_again",
            "Erase again",
            tooltip="Erase again an interrupted phone the station cannot judge",
        ),
        Binding("i", "imei", "IMEI", tooltip="Enter the IMEI of the selected phone"),
        Binding("x", "quarantine", "Quarantine", tooltip="Set the selected phone aside"),
        Binding("u", "release", "Release", tooltip="Release the selected phone from quarantine"),
        Binding("c", "certificates", "Certificates", tooltip="Certificates: list and print"),
        Binding("b", "batches", "Batches", tooltip="Recycling batches (logistics)"),
        Binding("o", "assign", "Assign", tooltip="Assign an unannounced phone to a customer"),
        Binding("slash", "search", "Search", tooltip="Search model, serial, IMEI, certificate"),
        Binding("f", "filter_state", "Filter", show=False, tooltip="Show: all, needs you, …"),
        Binding("p", "filter_platform", "Platform", show=False, tooltip="Show: all, And, iOS"),
        Binding("k", "filter_customer", "Customer", show=False, tooltip="One customer's phones"),
        Binding("s", "sort", "Sort", show=False, tooltip="Sort by the next column"),
        Binding("question_mark", "help", "Help", tooltip="This list of keys"),
        Binding("d", "app.doctor", "Bench", show=False, tooltip="Check this bench (doctor)"),
        Binding("ctrl+o", "sign_out", "Sign out"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]
    # Auditors see the phones and certificates but none of these (the core refuses them too).
    CHANGES = frozenset(
        {"wipe_selected", "wipe_all", "screen_check", "recheck", "imei", "quarantine", "release"}
    )
    REBUILD_DELAY_S = 0.5  # a burst of changes (64 phones plugged in) rebuilds the table once

    def __init__(
        self,
        banner: str,
        read_only: bool,
        *,
        can_release: bool = False,
        logistics: bool = False,
        actions: StationActions | None = None,
    ) -> None:
        super().__init__()
        self.banner = banner
        self.read_only = read_only
        self.can_release = can_release
        self.logistics = logistics  # batches and intake keys shown (the core checks the role)
        self._actions = actions
        self._selected_quarantined = False  # the footer shows release rather than quarantine
        self._selected_decide = False  # the footer offers "Erase again"
        self._views: dict[str, PhoneView] = {}
        self._cells: dict[str, tuple[Text, ...]] = {}  # what each row shows now
        self._states: dict[str, str] = {}  # for the summary bar
        self._table_ready = False  # phones shown before the table has columns wait for it
        self._widths = presenter.DEFAULT_WIDTHS
        self.state_filter = 0
        self.platform_filter = 0
        self.customer_filter: str | None = None  # a customer's name, or NO_CUSTOMER
        self.search = ""
        self.sort = 0
        self.reverse = False
        self._scan: list[str] = []  # what a scanner has typed since its last Enter
        self._rebuild_timer: Timer | None = None

    @property
    def actions(self) -> StationActions:
        return self._actions or cast(StationActions, self.app)

    def compose(self) -> ComposeResult:
        yield StationHeader()
        # The banner names the operator, a name someone typed: text, not markup.
        yield Static(Content(visible(self.banner, 200)), id="banner")
        yield Static("", id="summary")
        yield Input(placeholder="search: model, serial, IMEI, certificate; Esc clears", id="search")
        with Vertical(id="main"):
            yield PhoneTable(id="phones", cursor_type="row", zebra_stripes=True)
            yield Static("Plug in a phone.", id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self._widths = self._fit(self.app.size.width)
        self._table_ready = True
        self._rebuild()
        self.query_one(DataTable).focus()
        self.set_interval(1.0, self._tick)

    def on_resize(self, event: events.Resize) -> None:
        widths = self._fit(event.size.width)
        if widths != self._widths:
            self._widths = widths
            self._rebuild()

    def _fit(self, total: int) -> dict[str, int]:
        """Column widths for ``total`` columns: every phone's serial or IMEI whole."""
        return presenter.column_widths(total, presenter.ident_width(list(self._views.values())))

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
        if action == "erase_again":
            return self._selected_decide
        return True

    # -- which rows, in which order -----------------------------------------------------------
    def _visible(self, view: PhoneView) -> bool:
        states = STATE_FILTERS[self.state_filter][1]
        platform = PLATFORM_FILTERS[self.platform_filter]
        return (
            (not states or view.state in states)
            and (platform == "all" or view.platform.value == platform)
            and (
                self.customer_filter is None
                or (view.customer or NO_CUSTOMER) == self.customer_filter
            )
            and (not self.search or presenter.matches(view, self.search))
        )

    def shown_views(self) -> list[PhoneView]:
        views = [v for v in self._views.values() if self._visible(v)]
        column = SORTS[self.sort]
        if column is not None:
            views.sort(key=lambda v: presenter.sort_key(v, column), reverse=self.reverse)
        elif self.reverse:
            views.reverse()
        return views

    def _rebuild(self) -> None:
        """Columns at the current widths, the rows the filters let through, in order."""
        self._rebuild_timer = None
        if not self._table_ready:
            return
        table = self.query_one(DataTable)
        keep = selected_key(table)
        table.clear(columns=True)
        for name in self._widths:
            table.add_column(self._header(name), key=name, width=self._widths[name])
        self._cells.clear()
        for view in self.shown_views():
            cells = presenter.row(view, self._widths)
            table.add_row(*cells, key=view.key)
            self._cells[view.key] = cells
        if keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        self._show_summary()
        view = self.selected()
        self._show_detail(view)
        self._refresh_keys(view)

    def _header(self, name: str) -> str:
        if SORTS[self.sort] == name:
            return f"{name} {'↓' if self.reverse else '↑'}"
        return name

    def _rebuild_soon(self) -> None:
        if self._rebuild_timer is None:
            self._rebuild_timer = self.set_timer(self.REBUILD_DELAY_S, self._rebuild)

    # -- phones changing ------------------------------------------------------------------------
    def show(self, view: PhoneView) -> None:
        self.show_all([view])

    def show_all(self, views: list[PhoneView]) -> None:
        """Phones that changed, drawn together: one pass over the table's caches, one
        summary and one detail pane for the lot (64 busy phones send bursts of changes)."""
        for view in views:
            self._views[view.key] = view
        if not self._table_ready:
            return
        widths = self._fit(self.app.size.width)
        if widths != self._widths:  # a longer serial arrived: the columns make room for it
            self._widths = widths
            self._rebuild()
            return
        try:
            table = self.query_one(PhoneTable)
        except NoMatches:
            return  # the screen is being taken down (the app is closing): nothing to draw
        changes: dict[str, dict[str, Text]] = {}
        states_changed = False
        for view in views:
            if self._states.get(view.key) != view.state:
                self._states[view.key] = view.state
                states_changed = True
            changed = self._row_changes(table, view)
            if changed:
                changes[view.key] = changed
        # Only the changed cells, and only their rows redrawn: with 64 busy phones, redrawing
        # the whole table on every progress message is what made key presses lag.
        table.update_cells(changes)
        if states_changed:
            self._show_summary()
        selected = self.selected()
        if selected is not None and any(v is selected for v in views):
            self._show_detail(selected)
            self._refresh_keys(selected)

    def _row_changes(self, table: PhoneTable, view: PhoneView) -> dict[str, Text]:
        """The cells of ``view``'s row that differ from what it shows (a new row is added)."""
        visible_now = self._visible(view)
        if view.key not in table.rows:
            if visible_now:
                cells = presenter.row(view, self._widths)
                table.add_row(*cells, key=view.key)
                self._cells[view.key] = cells
                if SORTS[self.sort] is not None or self.reverse:
                    self._rebuild_soon()  # new rows arrive at the bottom: put it in its place
            return {}
        if not visible_now:
            self._rebuild_soon()  # no longer what the filter shows
            return {}
        cells = presenter.row(view, self._widths)
        before = self._cells.get(view.key, ())
        changed: dict[str, Text] = {}
        for i, (column, value) in enumerate(zip(self._widths, cells, strict=True)):
            if i >= len(before) or not _same(before[i], value):
                changed[column] = value
                if column == SORTS[self.sort]:
                    self._rebuild_soon()
        self._cells[view.key] = cells
        return changed

    def _tick(self) -> None:
        # The Time column, in one batch: only the cells whose m:ss moved are redrawn.
        try:
            table = self.query_one(PhoneTable)
        except NoMatches:
            return
        changes: dict[str, dict[str, Text]] = {}
        if "Time" not in self._widths:
            return  # a narrow terminal does without the column
        at = list(self._widths).index("Time")
        for key in list(table.rows):
            view = self._views.get(str(key.value))
            cells = self._cells.get(str(key.value))
            if view is None or cells is None:
                continue
            value = presenter.shown(presenter.elapsed(view))
            if not _same(cells[at], value):
                changes[view.key] = {"Time": value}
                self._cells[view.key] = (*cells[:at], value, *cells[at + 1 :])
        table.update_cells(changes)

    def _show_summary(self) -> None:
        parts = [presenter.summary(list(self._views.values()))]
        shown_filters = []
        if self.state_filter:
            shown_filters.append(f"showing {STATE_FILTERS[self.state_filter][0]} (f)")
        if self.platform_filter:
            name = {"android": "Android", "ios": "iOS"}[PLATFORM_FILTERS[self.platform_filter]]
            shown_filters.append(f"{name} only (p)")
        if self.customer_filter is not None:
            shown_filters.append(f"{visible(self.customer_filter, 40)} only (k)")
        if self.search:
            shown_filters.append(f"search “{visible(self.search, 40)}” (/)")
        if shown_filters:
            parts.append(Content.styled("   ▸ " + " · ".join(shown_filters), "bold"))
        # One line, always: no layout pass for it (a layout pass redraws the whole screen).
        self.query_one("#summary", Static).update(Content("").join(parts), layout=False)

    def selected(self) -> PhoneView | None:
        key = selected_key(self.query_one(DataTable))
        return None if key is None else self._views.get(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        view = self._views.get(str(event.row_key.value))
        self._show_detail(view)
        self._refresh_keys(view)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        # A click on a column's header sorts by it; a second click reverses.
        index = SORTS.index(str(event.column_key.value))
        self.reverse = not self.reverse if index == self.sort else False
        self.sort = index
        self._rebuild()

    def _refresh_keys(self, view: PhoneView | None) -> None:
        # The footer offers quarantine or release for the selected phone: redraw it when that
        # changes, not on every progress message.
        quarantined = view is not None and view.state == "quarantined"
        decide = view is not None and view.state == "decide"
        if (quarantined, decide) != (self._selected_quarantined, self._selected_decide):
            self._selected_quarantined, self._selected_decide = quarantined, decide
            self.refresh_bindings()

    def _show_detail(self, view: PhoneView | None) -> None:
        pane = self.query_one("#detail", Static)
        if view is not None:
            pane.update(presenter.detail(view))
        elif not self._views:
            pane.update("Plug in a phone.")
        else:
            pane.update("No phone matches what is shown: f, p and / change it (Esc clears).")

    # -- the scanner ----------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        """Keys no widget took (the search field takes its own): a scan or a command key."""
        ch = event.character
        if event.key == "enter" and self._scan:
            code, self._scan = "".join(self._scan), []
            event.stop()
            event.prevent_default()
            self.jump_to(code)
        elif event.key == "escape" and (self._scan or self.search or self._filtered()):
            self._scan = []
            self.clear_filters()
            event.stop()
        elif (
            ch is not None
            and len(ch) == 1
            and ch.isprintable()
            and not ch.isspace()
            and (ch.isdigit() or ch.isupper() or bool(self._scan))
        ):
            # Command keys are lower-case letters: digits and capitals start a scan, and
            # everything up to Enter belongs to it.
            self._scan.append(ch)
            event.stop()
            event.prevent_default()

    def _filtered(self) -> bool:
        return bool(self.state_filter or self.platform_filter or self.customer_filter)

    def jump_to(self, scanned: str) -> None:
        found = next((v for v in self._views.values() if presenter.identifies(v, scanned)), None)
        if found is None:
            self.notify(
                f"{visible(scanned, 40)} is not on this station.", severity="warning", markup=False
            )
            return
        table = self.query_one(DataTable)
        if found.key not in table.rows:
            self.clear_filters()
        table.move_cursor(row=table.get_row_index(found.key))
        table.focus()

    def clear_filters(self) -> None:
        self.state_filter = self.platform_filter = 0
        self.customer_filter = None
        self.search = ""
        field = self.query_one("#search", Input)
        field.value = ""
        field.display = False
        self._rebuild()
        self.query_one(DataTable).focus()

    # -- sort, filter, search, help ---------------------------------------------------------------
    def action_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)
        self.reverse = False
        self._rebuild()

    def action_filter_state(self) -> None:
        self.state_filter = (self.state_filter + 1) % len(STATE_FILTERS)
        self._rebuild()

    def action_filter_platform(self) -> None:
        self.platform_filter = (self.platform_filter + 1) % len(PLATFORM_FILTERS)
        self._rebuild()

    def action_filter_customer(self) -> None:
        """Each customer on the bench in turn (and the phones nobody has claimed), then all."""
        names = sorted({v.customer or NO_CUSTOMER for v in self._views.values()})
        choices: list[str | None] = [None, *names]
        at = choices.index(self.customer_filter) if self.customer_filter in choices else 0
        self.customer_filter = choices[(at + 1) % len(choices)]
        self._rebuild()

    def action_search(self) -> None:
        field = self.query_one("#search", Input)
        field.display = True
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.search = event.value.strip()
            self._rebuild_soon()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.search = event.value.strip()
            self._rebuild()
            self.query_one(DataTable).focus()
            if not self.search:
                event.input.display = False

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("Station: keys", keys_of(self), [SCANNER_HELP, *_MORE]))

    # -- actions: the app does them (it holds the engine); the core checks the role ------------
    def action_wipe_selected(self) -> None:
        if view := self.selected():
            self.actions.request_wipe([view.key])

    def action_screen_check(self) -> None:
        if view := self.selected():
            self.actions.check_screen(view.key)

    def action_wipe_all(self) -> None:
        self.actions.request_wipe(None)

    def action_imei(self) -> None:
        if view := self.selected():
            self.actions.enter_imei(view.key)

    def action_recheck(self) -> None:
        if view := self.selected():
            self.actions.recheck(view.key)

    def action_erase_again(self) -> None:
        if view := self.selected():
            self.actions.erase_again(view.key)

    def action_quarantine(self) -> None:
        if view := self.selected():
            self.actions.quarantine(view.key)

    def action_release(self) -> None:
        if view := self.selected():
            self.actions.release_quarantine(view.key)

    def action_batches(self) -> None:
        self.actions.show_batches()

    def action_assign(self) -> None:
        view = self.selected()
        if view is None or view.facts is None:
            self.notify("select an identified phone first", severity="warning")
            return
        self.actions.assign_customer(view.facts.serial)

    def action_certificates(self) -> None:
        self.actions.show_certificates()

    def action_sign_out(self) -> None:
        self.actions.sign_out("manual")


def _same(shown: object, new: Text) -> bool:
    """Whether a cell already shows ``new``: Rich's ``Text ==`` leaves out the text's own
    style, so an underline coming or going would otherwise never reach the screen."""
    return (
        isinstance(shown, Text)
        and shown.plain == new.plain
        and shown.style == new.style
        and shown.spans == new.spans
    )


NO_CUSTOMER = "no customer"
_MORE = (
    "f shows all phones, those that need you, those under way, or those done; p shows both "
    "platforms, Android or iOS; k one customer's phones at a time; s sorts by the next column "
    "(or click a header; again reverses); "
    "Esc clears the search and filters.",
    "Time is how long the phone has been in the state it shows.",
)
