"""The sanitiser for text that came from phones."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from certificates.text import BOLD, ELLIPSIS, MONO, REGULAR, clean, fit, register_fonts, wrap

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_control_and_bidi_characters_are_removed() -> None:
    assert clean("Pixel\x00\x07\x1b[31m 8\r\nPro") == "Pixel[31m 8 Pro"
    assert clean(f"{BIDI}evil{BIDI}") == "evil"
    assert clean("a\u200bb\ufeffc") == "abc"  # zero-width characters


def test_characters_the_font_lacks_are_replaced_visibly() -> None:
    assert clean("Galaxy 😀 S23") == "Galaxy ? S23"
    assert clean("هاتف") == "????"
    assert clean("Blåbær Øst Æsj") == "Blåbær Øst Æsj"  # Norwegian letters survive


def test_mono_text_is_ascii() -> None:
    assert clean("UDID-æ-1", ascii_only=True) == "UDID-?-1"
    assert fit("00008030-æ", MONO, 7.4, 500) == "00008030-?"


def test_long_text_is_shortened_with_an_ellipsis() -> None:
    out = fit("M" * 10_000, REGULAR, 8.6, 200)
    assert out.endswith(ELLIPSIS) and stringWidth(out, REGULAR, 8.6) <= 200
    lines = wrap("word " * 2000, REGULAR, 8.6, 300, 3)
    assert len(lines) == 3 and lines[-1].endswith(ELLIPSIS)
    assert wrap("short", REGULAR, 8.6, 300, 3) == ["short"]


def test_unbroken_tokens_wrap_by_width() -> None:
    lines = wrap("ab" * 200, MONO, 7.4, 200, 2)
    assert len(lines) == 2 and all(stringWidth(x, MONO, 7.4) <= 200 for x in lines)
    assert lines[0].startswith("abab")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.floats(min_value=20, max_value=500))
def test_fit_output_is_drawable_and_fits(text: str, width: float) -> None:
    drawable = register_fonts()
    out = fit(text, BOLD, 9, width)
    assert stringWidth(out, BOLD, 9) <= width + 1e-6 or out == ELLIPSIS
    for ch in out:
        assert ord(ch) in drawable
        assert unicodedata.category(ch)[0] != "C"
        assert ch not in BIDI


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=1, max_value=4))
def test_wrap_never_exceeds_its_lines_or_width(text: str, lines: int) -> None:
    out = wrap(text, REGULAR, 8.6, 250, lines)
    assert 1 <= len(out) <= lines
    assert all(stringWidth(x, REGULAR, 8.6) <= 250 + 1e-6 for x in out)
    assert all("\n" not in x and "\r" not in x for x in out)
