"""The idle clock: sign the operator out after a while without input.

The app tells it of every input event the terminal sends (`touch`); it looks at the clock a few
times per limit and calls ``on_idle`` once the limit has passed without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.timer import Timer


class SetInterval(Protocol):
    def __call__(self, interval: float, callback: Callable[[], None], *, name: str) -> Timer: ...


class IdleClock:
    def __init__(
        self, clock: Callable[[], float], set_interval: SetInterval, on_idle: Callable[[], None]
    ) -> None:
        """``clock``: monotonic seconds (tests move one by hand); ``set_interval``: the app's."""
        self._clock = clock
        self._set_interval = set_interval
        self._on_idle = on_idle
        self._timer: Timer | None = None
        self._last_input = clock()
        self.limit_s: float | None = None  # in force for the operator signed in now

    def touch(self) -> None:
        """Input arrived: the limit starts again."""
        self._last_input = self._clock()

    def start(self, limit_s: float, poll_s: float) -> None:
        """Watch for ``limit_s`` without input, looking every ``poll_s`` (at most a quarter of
        the limit)."""
        self.stop()
        self.limit_s = limit_s
        self.touch()
        self._timer = self._set_interval(
            min(poll_s, limit_s / 4), self._check, name="idle sign-out"
        )

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = None

    def _check(self) -> None:
        if self.limit_s is not None and self._clock() - self._last_input >= self.limit_s:
            self._on_idle()
