"""The phone table redraws only the rows it changes, and shows exactly what a fresh table shows."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from wipe_station.tui.widgets.phone_table import PhoneTable

COLUMNS = ("Port", "State", "Progress")
ROWS = 30  # more than the screen shows: some rows are scrolled out of view


def _cells(i: int, progress: str = "erasing…", style: str = "") -> tuple[Text, ...]:
    return (Text(f"1-{i}"), Text("» erasing", style="blue"), Text(progress, style=style))


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield PhoneTable(id="phones", cursor_type="row", zebra_stripes=True)

    def fill(self, rows: dict[str, tuple[Text, ...]], cursor: int = 0) -> PhoneTable:
        """The table built from scratch with ``rows``, the cursor on row ``cursor``."""
        table = self.query_one(PhoneTable)
        table.clear(columns=True)
        for name in COLUMNS:
            table.add_column(name, key=name, width=14)
        for key, cells in rows.items():
            table.add_row(*cells, key=key)
        table.move_cursor(row=cursor)
        return table


def _screen(table: PhoneTable) -> list[list[tuple[str, object]]]:
    """What the widget hands the screen (through Textual's own line cache, which only
    renders again the lines a refresh marked): text and style of every segment."""
    lines = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return [[(seg.text, seg.style) for seg in line] for line in lines]


def _applied(
    rows: dict[str, tuple[Text, ...]], changes: dict[str, dict[str, Text]]
) -> dict[str, tuple[Text, ...]]:
    out = dict(rows)
    for key, columns in changes.items():
        cells = list(out[key])
        for column, value in columns.items():
            cells[COLUMNS.index(column)] = value
        out[key] = tuple(cells)
    return out


@pytest.mark.parametrize("cursor", [0, 3, 12])
async def test_changed_cells_show_as_in_a_table_built_afresh(cursor: int) -> None:
    app = OneTable()
    async with app.run_test(size=(60, 20)) as pilot:
        rows = {f"r{i}": _cells(i) for i in range(ROWS)}
        table = app.fill(rows, cursor)
        await pilot.pause()
        _screen(table)  # drawn once: its caches are full of the old cells
        changes = {
            "r0": {"Progress": Text("checked for blockers")},
            "r3": {"State": Text("✓ CERTIFIED", style="bold green"), "Progress": Text("WS-1")},
            f"r{ROWS - 1}": {"Progress": Text("off screen")},
            # The same words in another style: a style is a change too.
            "r5": {"Progress": Text("erasing…", style="yellow underline")},
        }
        table.update_cells(changes)
        await pilot.pause()
        updated = _screen(table)
        for key, columns in changes.items():
            for column, value in columns.items():
                assert table.get_cell(key, column) is value
        # Scrolled to the end, the row that was out of view shows its change too.
        table.move_cursor(row=ROWS - 1)
        await pilot.pause()
        scrolled = _screen(table)

        table = app.fill(_applied(rows, changes), cursor)
        await pilot.pause()
        assert _screen(table) == updated
        table.move_cursor(row=ROWS - 1)
        await pilot.pause()
        assert _screen(table) == scrolled


async def test_rows_and_columns_it_does_not_have_are_left_alone() -> None:
    app = OneTable()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.fill({"r0": _cells(0)})
        await pilot.pause()
        table.update_cells({"gone": {"Progress": Text("x")}, "r0": {"Nope": Text("y")}})
        table.update_cells({})
        assert [str(c) for c in table.get_row("r0")] == [str(c) for c in _cells(0)]


async def test_without_textuals_caches_it_still_shows_the_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Textual release that renames the table's caches: the public update_cell takes over.
    def moved(self: PhoneTable, *args: object) -> None:
        raise AttributeError("_cell_render_cache")

    monkeypatch.setattr(PhoneTable, "_update_in_place", moved)
    app = OneTable()
    async with app.run_test(size=(60, 20)) as pilot:
        rows = {"r0": _cells(0), "r1": _cells(1)}
        table = app.fill(rows)
        await pilot.pause()
        _screen(table)
        changes = {"r1": {"Progress": Text("verifying")}}
        table.update_cells(changes)
        await pilot.pause()
        updated = _screen(table)
        table = app.fill(_applied(rows, changes))
        await pilot.pause()
        assert _screen(table) == updated
