"""A small label for a certified phone and its box: certificate number, model, serial/IMEI and
a QR of the signed certificate, so the phone carries its proof to the recycler.

One label a page, sized for the roll of a depot's label printer (62 x 29 mm by default).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from certificates.qr import draw_qr
from certificates.signing import SignedCertificate
from certificates.text import BOLD, MONO, REGULAR, fit, register_fonts

DEFAULT_SIZE_MM = (62.0, 29.0)
MARGIN_MM = 1.5


def render_labels(
    certs: Sequence[SignedCertificate], size_mm: tuple[float, float] = DEFAULT_SIZE_MM
) -> bytes:
    """One page per certificate, each page the label's size (landscape: width x height)."""
    register_fonts()
    width, height = size_mm[0] * mm, size_mm[1] * mm
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), pageCompression=1)
    c.setTitle(f"Labels ({len(certs)})" if len(certs) != 1 else f"Label {certs[0].payload.number}")
    c.setCreator("Wipe Station")
    for cert in certs:
        _label(c, cert, width, height)
        c.showPage()
    c.save()
    return buf.getvalue()


def render_label(cert: SignedCertificate, size_mm: tuple[float, float] = DEFAULT_SIZE_MM) -> bytes:
    return render_labels([cert], size_mm)


def _label(c: Canvas, cert: SignedCertificate, width: float, height: float) -> None:
    p = cert.payload
    margin = MARGIN_MM * mm
    qr = height - 2 * margin  # the QR takes the label's height, the text the rest
    draw_qr(c, cert.qr_text(), width - margin - qr, margin, qr)
    text_w = width - 3 * margin - qr
    x = margin
    # Sizes from the label's height so a larger roll gets larger print, made smaller where the
    # number or an IMEI would not fit whole (they are what a person types from the label).
    big = min(height / 6.2, 0.97 * text_w / pdfmetrics.stringWidth(p.number, BOLD, 1))
    small = min(height / 8.5, text_w / pdfmetrics.stringWidth("IMEI 000000000000000", MONO, 1))
    y = height - margin - big
    c.setFillColor(colors.black)
    c.setFont(BOLD, big)
    c.drawString(x, y, fit(p.number, BOLD, big, text_w))
    y -= small * 1.5
    c.setFont(REGULAR, small)
    c.drawString(x, y, fit(f"{p.media.manufacturer} {p.media.model}", REGULAR, small, text_w))
    y -= small * 1.3
    c.setFont(MONO, small)
    c.drawString(x, y, fit(f"S/N {p.media.serial_number}", MONO, small, text_w))
    for imei in p.mobile.imeis[:2]:
        y -= small * 1.3
        c.drawString(x, y, fit(f"IMEI {imei}", MONO, small, text_w))
    c.setFont(REGULAR, small * 0.85)
    status = "ERASED · certified"
    if p.emulated:
        status = "LAB PHONE · not a real erasure"
    elif not p.mobile.reusable:
        status = "ERASED · parts only (owner lock)"
    c.drawString(x, margin + small * 0.2, fit(status, REGULAR, small * 0.85, text_w))
