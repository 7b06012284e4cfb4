"""The shared helpers at each boundary: text made visible, CSV cells neutralised, no markup."""

from __future__ import annotations

import csv
import io

from hypothesis import given

from drivers.contract import Blocker, BlockerCode, DeviceFacts, Platform
from tests.hostile.strings import HOSTILE, clean, hostile_text
from wipe_station import csv_safe
from wipe_station.orchestrator.engine import PhoneView
from wipe_station.safe_text import visible
from wipe_station.tui import presenter


@HOSTILE
@given(hostile_text)
def test_visible_text_holds_no_control_or_bidi_characters(value: str) -> None:
    shown = visible(value)
    assert clean(shown)
    # Printable text stays as it is: only what would steer the terminal changes.
    if clean(value):
        assert shown == value


def test_visible_names_what_it_replaced() -> None:
    assert visible("\x1b]0;x\x07") == "\\x1b]0;x\\x07"
    assert visible("a\u202eb") == "a\\u202eb"
    assert visible("x" * 50, limit=10) == "x" * 10 + "…"


@HOSTILE
@given(hostile_text)
def test_csv_cells_never_start_a_formula(value: str) -> None:
    out = io.StringIO()
    csv_safe.writer(out).writerow([value, 42])
    cell, number = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert not cell.lstrip(" ").startswith(csv_safe.FORMULA_START)
    assert number == "42"
    # Nothing is lost: the value is there, behind at most one apostrophe.
    assert cell in (value, "'" + value)


def test_formulas_from_the_issue_are_neutralised() -> None:
    for value in ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1+2"):
        assert csv_safe.cell(value) == "'" + value
    assert csv_safe.cell("Pixel 8") == "Pixel 8" and csv_safe.cell(-3) == -3


def _view(model: str) -> PhoneView:
    facts = DeviceFacts(Platform.ANDROID, model, model, model, "S1" + model[:20], model)
    return PhoneView(
        "1-1",
        Platform.ANDROID,
        facts=facts,
        blockers=[Blocker(BlockerCode.MDM, model, model, blocking=True)],
        evidence=[(model, True)],
        reason=model,
        state="failed",
        log=[model],
    )


@HOSTILE
@given(hostile_text)
def test_the_detail_pane_and_table_show_phone_text_as_text(model: str) -> None:
    view = _view(model)
    pane = presenter.detail(view)
    # Built as Content/Text: whatever the model says, it is never parsed as markup, and no
    # control or bidi character reaches the terminal.
    assert all(clean(line) for line in pane.plain.split("\n"))  # its own line breaks only
    assert visible(model, presenter.DETAIL_LIMIT) in pane.plain
    for cell in presenter.row(view):
        assert clean(cell.plain)
        assert not cell.spans or cell.style  # no markup became a span


def test_markup_in_a_model_is_shown_literally() -> None:
    pane = presenter.detail(_view("Pixel [/b] 8 [@click=app.quit]x"))
    assert "Pixel [/b] 8 [@click=app.quit]x" in pane.plain
    # Only the station's own styles, never an action from the phone.
    assert all("click" not in str(span.style) for span in pane.spans)
