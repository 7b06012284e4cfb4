"""Ordinary office handling: a genuine certificate or manifest re-saved by qpdf, mutool,
pikepdf, pypdf, Ghostscript's pdfwrite or pdfunite looks the same and verifies; a print to PDF
that drops the attachments is NOT VERIFIABLE; messages show control characters visibly."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from certificates.manifest import render_manifest, sign_manifest
from certificates.manifest_verify import verify_manifest_pdf
from certificates.pagecheck import first_difference
from certificates.render import render_certificates
from certificates.signing import sign
from certificates.verify import NotVerifiable, PageMismatch, verify_pdf
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_manifest, sample_payload
from tests.certificates.test_structure import _qdf_edit, _resaved

CERTS = [sign(sample_payload(number=f"WS-OSL01-2026-{i:06d}"), KEY) for i in (1, 2)]


def test_certificates_re_saved_by_office_tools_verify(tmp_path: Path) -> None:
    batch = render_certificates(CERTS)
    for tool, pdf in _resaved(tmp_path, batch).items():
        found = [c.payload.number for c in verify_pdf(pdf, PEM)]
        assert found == ["WS-OSL01-2026-000001", "WS-OSL01-2026-000002"], tool


def test_a_manifest_re_saved_by_office_tools_verifies(tmp_path: Path) -> None:
    signed = sign_manifest(sample_manifest(40), KEY)
    for tool, pdf in _resaved(tmp_path, render_manifest(signed)).items():
        assert verify_manifest_pdf(pdf, PEM).manifest.batch_id == signed.manifest.batch_id, tool


def test_a_print_to_pdf_is_not_verifiable(tmp_path: Path) -> None:
    # What CUPS's PDF printer and "Print to PDF" dialogs write: the drawing, no attachments.
    (tmp_path / "in.pdf").write_bytes(render_certificates(CERTS))
    subprocess.run(["pdftocairo", "-pdf", str(tmp_path / "in.pdf"), str(tmp_path / "out.pdf")],
                   check=True)  # fmt: skip
    with pytest.raises(NotVerifiable, match="pages 1-2 carry no signed certificate data"):
        verify_pdf((tmp_path / "out.pdf").read_bytes(), PEM)


def test_control_characters_in_a_difference_are_shown_visibly(tmp_path: Path) -> None:
    p = sample_payload()
    cert = sign(dataclasses.replace(p, media=dataclasses.replace(p.media, model="Pixel\x1b7")),
                KEY)  # fmt: skip
    forged = _qdf_edit(tmp_path, lambda t: t.replace(b"R58N12ABCDE) Tj", b"R58N12ABCDX\x07) Tj"),
                       render_certificates([cert]))  # fmt: skip
    with pytest.raises(PageMismatch) as err:
        verify_pdf(forged, PEM)
    message = str(err.value)
    assert "serial number 'R58N12ABCDX'" in message
    assert all(ch >= " " for ch in message), repr(message)
    # What PDFium extracts may hold raw control codes (Ghostscript's re-encoded glyphs):
    # quoted in a message, they are escapes.
    assert first_difference(["a"], ["b\x01\x1b[31m"], [None], "x") == (
        "shows 'b\\x01\\x1b[31m' where x says 'a'"
    )


def test_an_overlay_that_keeps_the_text_is_caught_by_the_drawing(tmp_path: Path) -> None:
    # A white box over the red EMULATED band's words: the text layer still holds them.
    cert = sign(dataclasses.replace(sample_payload(), emulated=True), KEY)

    def paint(text: bytes) -> bytes:
        at = text.index(b"\nendstream", text.index(b"%% Contents for page 1"))
        return text[:at] + b"\n1 g 200 700 200 30 re f" + text[at:]

    with pytest.raises(PageMismatch, match="differs in its drawing"):
        verify_pdf(_qdf_edit(tmp_path, paint, render_certificates([cert])), PEM)
