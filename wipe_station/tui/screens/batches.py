"""Recycling batches at the packing table: pick a batch, scan phones into it, close, hand over.

The scanner types a serial or IMEI and Enter; each scan is added at once or refused with the
reason, and the list of scans stays on screen so the manager sees what went into the box.
"""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from wipe_station.batches import BatchSummary
from wipe_station.safe_text import visible
from wipe_station.tui.presenter import shown
from wipe_station.tui.tables import selected_key

COLUMNS = ("Batch", "State", "Phones", "Recycler")
SCANS_SHOWN = 12  # the latest scans, newest on top, so the last one is always in view


class BatchesScreen(Screen[None]):
    BINDINGS = [
        # Function keys: the scan field has the focus, so letters belong to the scanner.
        Binding("f2", "new", "New batch"),
        Binding("f3", "close_batch", "Close"),
        Binding("f4", "hand_over", "Hand over"),
        Binding("f5", "manifest", "Print manifest"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, batches: list[BatchSummary]) -> None:
        super().__init__()
        self.batches = batches
        self.scans: deque[Content] = deque(maxlen=SCANS_SHOWN)  # newest first

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Scan certified phones (serial or IMEI) into the selected batch.",
            id="banner",
            markup=False,
        )
        with Horizontal(id="batch-main"):
            yield DataTable(id="batches", cursor_type="row", zebra_stripes=True)
            with Vertical(id="batch-side"):
                yield Static("", id="batch-selected")
                yield Input(placeholder="scan or type serial / IMEI, Enter", id="scan")
                yield Static("", id="scans")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        self.load(self.batches)
        self.query_one("#scan", Input).focus()

    def load(self, batches: list[BatchSummary], select: str | None = None) -> None:
        """Show the batches (newest last); keep or move the cursor to ``select``."""
        current = select or self.selected()
        self.batches = batches
        table = self.query_one(DataTable)
        table.clear()
        for b in batches:
            table.add_row(
                # A recycler's name is typed text: a plain str cell would be read as markup.
                shown(b.code),
                shown(b.state.replace("_", " ")),
                shown(b.phones),
                shown(visible(b.recycler[:30])[:30]),
                key=b.code,
            )
        codes = [b.code for b in batches]
        if current in codes:
            table.move_cursor(row=codes.index(current))
        elif batches:
            open_rows = [i for i, b in enumerate(batches) if b.state == "open"]
            table.move_cursor(row=open_rows[-1] if open_rows else len(batches) - 1)
        self._show_selected()

    def selected(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    def _summary(self) -> BatchSummary | None:
        code = self.selected()
        return next((b for b in self.batches if b.code == code), None)

    def _show_selected(self) -> None:
        b = self._summary()
        text = (
            Content.assemble(
                (visible(b.code), "bold"), f"  {b.state.replace('_', ' ')}, {b.phones} phones"
            )
            if b
            else Content("No batch yet: F2 creates one.")
        )
        self.query_one("#batch-selected", Static).update(text)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_selected()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        ident = event.value.strip()
        event.input.value = ""
        if not ident:
            return
        code = self.selected()
        if code is None:
            self.scanned(ident, "no batch selected: create one with F2", ok=False)
            return
        self.app.batch_scan(code, ident)  # type: ignore[attr-defined]

    def scanned(self, ident: str, message: str, *, ok: bool) -> None:
        # A refusal names the phone itself ("R58… is not certified …").
        # What the scanner typed and what the records said are text, never markup.
        line = Content.assemble(
            ("added", "green") if ok else ("refused", "red"),
            f" {visible(ident, 60)}: {visible(message, 200)}",
        )
        self.scans.appendleft(line)
        self.query_one("#scans", Static).update(Content("\n").join(self.scans))

    def action_new(self) -> None:
        self.app.new_batch()  # type: ignore[attr-defined]

    def action_close_batch(self) -> None:
        if code := self.selected():
            self.app.close_batch(code)  # type: ignore[attr-defined]

    def action_hand_over(self) -> None:
        if code := self.selected():
            self.app.hand_over_batch(code)  # type: ignore[attr-defined]

    def action_manifest(self) -> None:
        if code := self.selected():
            self.app.print_manifest(code)  # type: ignore[attr-defined]
