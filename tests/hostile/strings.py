"""Hostile strings for the property tests: what a phone, a spreadsheet or a person might send."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Fixed seed, few examples: the same cases on every run and every machine, in seconds.
settings.register_profile(
    "hostile",
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HOSTILE = settings.get_profile("hostile")

SAMPLES = (
    "Pixel [/b] 8",
    "[@click=app.quit]Pixel 8",
    "[b]bold[/b] [link=https://evil.example]x[/link]",
    "\x1b]0;owned\x07Pixel",  # OSC: set the terminal title
    "\x1b[5mblink\x1b[0m",  # CSI
    "\x1b[2J\x1b[H",  # clear the screen
    "invoice\u202efdp.exe",  # RIGHT-TO-LEFT OVERRIDE
    "\u2066isolate\u2069\u200f",
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-1+2",
    "\t=1+1",
    "\r=1+1",
    "NUL\x00byte",
    "\x9b31m C1 CSI",
    "line\nbreak\u2028sep",
    "x" * 10_000,
)

_hostile_chars = st.sampled_from(
    list("[]/@=+-\\\x00\x07\x1b\x9b\t\r\n\u202e\u202d\u2066\u2069\u200f\u2028")
)
hostile_text = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(st.one_of(_hostile_chars, st.characters(codec="utf-8")), min_size=1, max_size=40),
    st.tuples(st.sampled_from(SAMPLES), st.sampled_from(SAMPLES)).map("".join),
)

CONTROL_OR_BIDI = {chr(c) for c in range(0x20)} | {chr(0x7F)} | {chr(c) for c in range(0x80, 0xA0)}
CONTROL_OR_BIDI |= set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
CONTROL_OR_BIDI |= {"\u2028", "\u2029"}


def clean(shown: str) -> bool:
    """Nothing in ``shown`` steers a terminal or reorders a line."""
    return not (set(shown) & CONTROL_OR_BIDI)
