"""CSV cells a spreadsheet would run are neutralised (OWASP's CSV-injection guidance).

A serial, a model, an employee or recycler name that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is read by Excel and LibreOffice as a formula (``=HYPERLINK(…)``,
``+cmd|…``, ``@SUM(…)``, ``-1+2``). Such a cell gets a leading apostrophe, so it is shown as the
text it is. Every CSV the station writes goes through :func:`writer`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

# Newline too: some spreadsheets start a cell's formula after a leading line break.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet may safely read it; numbers and non-text pass unchanged."""
    if not isinstance(value, str):
        return value
    # Leading spaces are skipped by some spreadsheets before they look for a formula.
    if value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


class _Out(Protocol):
    def write(self, s: str, /) -> Any: ...


class SafeWriter:
    """A ``csv.writer`` whose every cell passes :func:`cell`."""

    def __init__(self, out: _Out, **kwargs: Any) -> None:
        kwargs.setdefault("lineterminator", "\r\n")
        self._w = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Out, **kwargs: Any) -> SafeWriter:
    return SafeWriter(out, **kwargs)
