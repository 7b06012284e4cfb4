"""Colours and fonts shared by every page we print, so certificates, manifests and reports look
like one family."""

from __future__ import annotations

from reportlab.lib import colors

from certificates.text import BOLD, ITALIC, MONO, REGULAR

__all__ = ["BAND", "BOLD", "INK", "ITALIC", "MONO", "MUTED", "REGULAR", "RULE", "WARN"]

INK = colors.HexColor("#1b2631")
MUTED = colors.HexColor("#5d6d7e")
RULE = colors.HexColor("#aab7b8")
BAND = colors.HexColor("#eaf2f8")
WARN = colors.HexColor("#b03a2e")
