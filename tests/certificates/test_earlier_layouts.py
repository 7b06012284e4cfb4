"""Documents an earlier station version drew stay genuine: until 2026-11-30 the QR codes came
from the qrcode package, whose squares differ from today's. The fixtures are such files
(tests/fixtures/layout1/SOURCE.md); altering them is still caught."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certificates.manifest_verify import verify_manifest_pdf
from certificates.pagecheck import Drawn, drawing_difference
from certificates.qr import Encoder
from certificates.render import LAYOUT_1, render_certificates
from certificates.verify import PageMismatch, verify_pdf

LAYOUT1 = Path(__file__).parents[1] / "fixtures" / "layout1"
PEM = (LAYOUT1 / "station.pub.pem").read_bytes()


def _stamped(pdf: bytes) -> bytes:
    """The file with a small dark square added to its first page, as an editing tool would."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    canvas.rect(300, 60, 4, 4, stroke=0, fill=1)
    canvas.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pages[0].merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_todays_drawing_of_the_fixture_differs_so_the_earlier_encoder_is_needed() -> None:
    pdf = (LAYOUT1 / "certificates.pdf").read_bytes()
    signed = [c.signed for c in verify_pdf(pdf, PEM)]
    shown = Drawn(pdf)
    today = Drawn(render_certificates(signed))
    then = Drawn(render_certificates(signed, qr=Encoder.QRCODE, layout=LAYOUT_1))
    assert drawing_difference(shown, today, 0, 0) is not None  # the QR squares differ
    assert drawing_difference(shown, then, 0, 0) is None


def test_certificates_drawn_by_layout_1_still_verify() -> None:
    pdf = (LAYOUT1 / "certificates.pdf").read_bytes()
    numbers = [c.payload.number for c in verify_pdf(pdf, PEM)]
    assert numbers == ["WS-OSL01-2026-000007", "WS-OSL01-2026-000042"]


def test_an_altered_layout_1_certificate_is_refused() -> None:
    with pytest.raises(PageMismatch, match=r"page 1 .* drawing"):
        verify_pdf(_stamped((LAYOUT1 / "certificates.pdf").read_bytes()), PEM)


def test_a_manifest_drawn_by_layout_1_still_verifies() -> None:
    pdf = (LAYOUT1 / "manifest.pdf").read_bytes()
    assert verify_manifest_pdf(pdf, PEM).manifest.batch_id == "RB-OSL01-2026-0007"


def test_an_altered_layout_1_manifest_is_refused() -> None:
    with pytest.raises(PageMismatch, match=r"page 1 .* drawing"):
        verify_manifest_pdf(_stamped((LAYOUT1 / "manifest.pdf").read_bytes()), PEM)
