"""The station's actions in Textual's command palette (Ctrl+P), for those who search by name.

Only what the current screen offers (and the operator's role shows) is listed; running one goes
through the same action as its key, so the core checks the role either way.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# Screen action -> what the palette calls it.
STATION_ACTIONS = {
    "wipe_selected": "Erase the selected phone",
    "wipe_all": "Erase all ready phones",
    "recheck": "Re-check the selected phone",
    "imei": "Enter the IMEI of the selected phone",
    "quarantine": "Quarantine the selected phone",
    "release": "Release the selected phone from quarantine",
    "certificates": "Certificates: list and print again",
    "batches": "Recycling batches",
    "assign": "Assign the selected phone to a customer",
    "sign_out": "Sign out",
}


class StationCommands(Provider):
    def _available(self) -> list[tuple[str, str]]:
        screen = self.screen
        return [
            (action, title)
            for action, title in STATION_ACTIONS.items()
            if hasattr(screen, f"action_{action}") and screen.check_action(action, ()) is not False
        ]

    async def discover(self) -> Hits:
        for action, title in self._available():
            yield DiscoveryHit(title, partial(self.screen.run_action, action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, title in self._available():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.screen.run_action, action))
