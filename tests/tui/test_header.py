"""The station's header replaces Textual's racing mount handler instead of running beside it."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from wipe_station.tui.widgets.header import StationHeader


class _HeaderApp(App[None]):
    TITLE = "Wipe Station"
    SUB_TITLE = "station T1"

    def compose(self) -> ComposeResult:
        yield StationHeader()


async def test_textuals_own_mount_handler_never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Textual dispatches Mount to every class in the MRO: Header's handler would install its
    # watchers, whose title query raises NoMatches on a busy machine and ends the app.
    ran: list[str] = []

    def textuals(self: Header, _: Mount) -> None:
        ran.append(type(self).__name__)

    monkeypatch.setattr(Header, "_on_mount", textuals)
    app = _HeaderApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        title = str(app.query_one(HeaderTitle).render())
        app.sub_title = "station T2"
        await pilot.pause()
        retitled = str(app.query_one(HeaderTitle).render())
    assert ran == []
    assert "Wipe Station" in title and "station T1" in title
    assert "station T2" in retitled
