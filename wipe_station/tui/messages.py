"""Messages the engine's listener posts to the app (from any task, so through the queue)."""

from __future__ import annotations

from textual.message import Message

from wipe_station.orchestrator.engine import PhoneView


class PhoneChanged(Message):
    def __init__(self, view: PhoneView) -> None:
        super().__init__()
        self.view = view
