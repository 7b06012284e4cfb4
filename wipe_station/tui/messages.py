"""Messages the engine's side posts to the app (from the engine's thread, so through the queue)."""

from __future__ import annotations

from textual.message import Message


class PhonesChanged(Message):
    """Phones changed: the app takes their views from its pending set (one message for a
    burst of changes, however many)."""


class HostProblem(Message):
    """A problem of the station itself (no usbmuxd, the database away, a full disk), for the
    operator; ``title`` says what it is about."""

    def __init__(self, text: str, title: str = "Station") -> None:
        super().__init__()
        self.text = text
        self.title = title


class EngineFailed(Message):
    """A task on the engine's thread ended with an error nobody handled."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error
