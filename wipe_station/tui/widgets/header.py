"""Textual's Header, without its start-up race.

Textual's Header fills in its title from its mount handler. On a busy machine that handler can
run before the title widget inside it is mounted; the query then raises NoMatches (Textual only
allows for NoScreen) and ends the app. This header tries again after the next refresh instead.
"""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class StationHeader(Header):
    def _on_mount(self, event: Mount) -> None:
        # Textual's own handler is replaced, not wrapped: it would install the racing watchers.
        # Textual calls the mount handler of every class in the MRO, so replacing it takes
        # stopping the dispatch here, not only overriding the method.
        event.prevent_default()
        self.watch(self.app, "title", self._set_title)
        self.watch(self.app, "sub_title", self._set_title)
        self.watch(self.screen, "title", self._set_title)
        self.watch(self.screen, "sub_title", self._set_title)

    def _set_title(self) -> None:
        try:
            self.query_one(HeaderTitle).update(self.format_title())
        except NoScreen:
            pass  # the screen is going away
        except NoMatches:
            if self.is_attached:
                self.call_after_refresh(self._set_title)
