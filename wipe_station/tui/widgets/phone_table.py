"""Textual's DataTable, with cell updates that redraw only the rows they touch.

`DataTable.update_cell` bumps a counter that is part of every cache key of the table, so one
changed cell throws away every rendered cell and line: with 64 busy phones each progress
message made the next frame render the whole table again through Rich (60–70 ms of CPU at
120x40), and key presses queued behind it. `update_cells` sets a batch of cells and drops only
the cached renders of those cells and rows, then refreshes only those rows' regions.

It reaches into the table's caches (private to Textual). If a Textual release changes them, it
falls back to `update_cell`, which is slower but always right; `tests/tui/test_phone_table.py`
checks the result against a table built afresh.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class PhoneTable(DataTable[Text]):
    def update_cells(self, changes: Mapping[str, Mapping[str, Text]]) -> None:
        """Set cells, ``{row key: {column key: value}}``, and redraw only those rows.

        Rows or columns the table does not have are ignored (a filter may have taken the row
        out since the change was computed)."""
        cells: set[tuple[RowKey, ColumnKey]] = set()
        for row, columns in changes.items():
            row_key = RowKey(row)
            if row_key not in self.rows:
                continue
            for column in columns:
                column_key = ColumnKey(column)
                if column_key in self.columns:
                    cells.add((row_key, column_key))
        if not cells:
            return
        try:
            self._update_in_place(cells, changes)
        except (AttributeError, LookupError, TypeError):
            # Textual's internals moved: the public way, which redraws the whole table.
            for row_key, column_key in cells:
                value = changes[str(row_key.value)][str(column_key.value)]
                self.update_cell(row_key, column_key, value)

    def _update_in_place(
        self, cells: set[tuple[RowKey, ColumnKey]], changes: Mapping[str, Mapping[str, Text]]
    ) -> None:
        rows = {row_key for row_key, _ in cells}
        indices = {self._row_locations.get(row_key) for row_key in rows}
        # Which lines (table coordinates, header included) hold those rows.
        lines: set[int] = set()
        for index in indices:
            region = self._get_row_region(index)
            lines.update(range(region.y, region.y + region.height))
        for row_key, column_key in cells:
            self._data[row_key][column_key] = changes[str(row_key.value)][str(column_key.value)]
        # Cache keys: cell (row, column, …), row (row, …), row renderables (count, index),
        # line (y, …). Everything else stays: the other rows are drawn from the cache.
        cell_cache = self._cell_render_cache
        for key in list(cell_cache.keys()):
            if (key[0], key[1]) in cells:
                cell_cache.discard(key)
        row_cache = self._row_render_cache
        for key in list(row_cache.keys()):
            if key[0] in rows:
                row_cache.discard(key)
        renderables = self._row_renderable_cache
        for key in list(renderables.keys()):
            if key[1] in indices:
                renderables.discard(key)
        line_cache = self._line_cache
        for key in list(line_cache.keys()):
            if key[0] in lines:
                line_cache.discard(key)
        for index in indices:
            self.refresh_row(index)
