"""Text from phones, files and people shown as text: control and bidi characters made visible.

A phone names itself, a customer's spreadsheet fills its cells and a person types what they
like. Before such a value reaches a terminal (the CLI's listings, the station UI), every
character that would steer the terminal or reorder the line instead of being drawn is replaced
by a visible escape: ESC becomes ``\\x1b``, RIGHT-TO-LEFT OVERRIDE becomes ``\\u202e``. What is
stored keeps the original; only what is shown is changed. (PDFs have their own cleaner,
``certificates/text.py``, which drops these characters from the page.)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Bidi formatting characters (Unicode "Bidi_Control"): they reorder the text around them, so
# "invoice‮fdp.exe" reads as "invoiceexe.pdf". Not all of them are in category Cc.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
ELLIPSIS = "…"


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _hidden(ch: str) -> bool:
    # Cc: C0/C1 controls incl. ESC, NUL, newline, DEL; Cs: lone surrogates (from undecodable
    # bytes) that would make printing fail; Zl/Zp: line breaks a one-line listing must not get.
    return ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")


def visible(value: object, limit: int | None = None) -> str:
    """``value`` as one line of printable text: controls and bidi characters as ``\\xNN`` /
    ``\\uNNNN``; with ``limit``, at most that many characters of the original, then "…"."""
    text = "" if value is None else str(value)
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    shown = "".join(_escape(ch) if _hidden(ch) else ch for ch in text)
    return shown + ELLIPSIS if cut else shown


def is_visible(text: str) -> bool:
    """True when ``text`` holds nothing :func:`visible` would escape (used by the tests)."""
    return not any(_hidden(ch) for ch in text)


def joined(values: Iterable[object], sep: str = ", ") -> str:
    return sep.join(visible(v) for v in values)
