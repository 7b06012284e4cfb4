"""Making untrusted text (device names, models from phones) safe to lay out on a page.

The signed payload keeps the original; only what is drawn is cleaned: control and bidi formatting
characters removed, characters the font cannot draw shown as '?', and long text shortened.
"""

from __future__ import annotations

import os
import unicodedata
from functools import cache, lru_cache

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

ELLIPSIS = "…"
REGULAR, BOLD, ITALIC = "WSVera", "WSVera-Bold", "WSVera-Italic"
# Digests, signatures, UDIDs: a standard PDF font, fixed width. It draws only Latin-1 reliably,
# so text meant for it is cleaned down to printable ASCII.
MONO = "Courier"
# Hard cap before measuring: a 10 kB model name must not cost 10 kB of width measurements.
_MAX_CHARS = 400


@cache
def register_fonts() -> frozenset[int]:
    """Register reportlab's bundled Vera fonts (cover Norwegian letters; no system fonts needed)
    and return the code points they can draw."""
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    fonts = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf", ITALIC: "VeraIt.ttf"}
    regular = None
    for name, file in fonts.items():
        font = TTFont(name, os.path.join(folder, file))
        pdfmetrics.registerFont(font)
        if name == REGULAR:
            regular = font
    assert regular is not None
    return frozenset(regular.face.charToGlyph)


def clean(text: str, ascii_only: bool = False, *, whole: bool = False) -> str:
    """What may be drawn of ``text``: one line, no control or bidi formatting characters, and
    every character the font lacks replaced by a visible '?'. Unless ``whole``, only the start of
    a very long text is looked at (callers that shorten it anyway need no more)."""
    drawable = register_fonts()
    text = text if whole else text[: _MAX_CHARS * 2]
    if text.isascii() and text.isprintable() and _draws_printable_ascii():
        # Most of a page (labels, numbers, digests): nothing to remove or replace, and NFC
        # leaves ASCII alone; the loop below costs a fifth of drawing a certificate.
        return " ".join(text.split())
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if cat in ("Zs", "Zl", "Zp") or ch in "\t\n\r":
            out.append(" ")
        elif cat[0] == "C":  # controls, bidi overrides/isolates, zero-width, unassigned
            continue
        elif ascii_only and not (" " <= ch <= "~"):
            out.append("?")
        elif ord(ch) in drawable:
            out.append(ch)
        else:
            out.append("?")
    return " ".join("".join(out).split())


@cache
def _draws_printable_ascii() -> bool:
    drawable = register_fonts()
    return all(c in drawable for c in range(0x20, 0x7F))


@lru_cache(maxsize=4096)  # the labels repeat on every page and every certificate
def fit(text: str, font: str, size: float, width: float) -> str:
    """Clean ``text`` and shorten it with an ellipsis until it fits ``width`` points."""
    s = clean(text, ascii_only=font == MONO)[:_MAX_CHARS]
    if pdfmetrics.stringWidth(s, font, size) <= width:
        return s
    lo, hi = 0, len(s)
    while lo < hi:  # longest prefix that fits together with the ellipsis
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(s[:mid] + ELLIPSIS, font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return s[:lo].rstrip() + ELLIPSIS


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Wrap into at most ``max_lines`` lines; the last one is shortened if text remains.

    Long unbroken tokens (digests, signatures) are split by width, not only at spaces.
    """
    s = clean(text, ascii_only=font == MONO)[: _MAX_CHARS * 2]
    lines: list[str] = []
    while s and len(lines) < max_lines - 1:
        if pdfmetrics.stringWidth(s, font, size) <= width:
            break
        cut = _longest_prefix(s, font, size, width)
        space = s.rfind(" ", 0, cut + 1)
        if space > 0 and s[cut : cut + 1] != "":
            cut = space if s[cut] != " " else cut
        lines.append(s[:cut].rstrip())
        s = s[cut:].lstrip()
    lines.append(fit(s, font, size, width))
    return lines


def wrap_all(text: str, font: str, size: float, width: float) -> list[str]:
    """Wrap the whole of ``text`` into lines of at most ``width`` points: nothing is shortened.

    Signed values go through here: a certificate shows every character it signs (cleaned of
    control and bidi characters, undrawable ones as '?'), on as many lines as it takes.
    """
    s = clean(text, ascii_only=font == MONO, whole=True)
    lines: list[str] = []
    while pdfmetrics.stringWidth(s[:_MAX_CHARS], font, size) > width or len(s) > _MAX_CHARS:
        cut = _longest_prefix(s, font, size, width)
        space = s.rfind(" ", 0, cut + 1)
        if space > 0 and s[cut] != " ":
            cut = space
        lines.append(s[:cut].rstrip())
        s = s[cut:].lstrip()
    lines.append(s)
    return lines


def _longest_prefix(s: str, font: str, size: float, width: float) -> int:
    # No line holds _MAX_CHARS characters at any size we print, so longer text need not be
    # measured: wrapping a 100 kB value stays linear.
    s = s[:_MAX_CHARS]
    lo, hi = 1, len(s)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(s[:mid], font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo
