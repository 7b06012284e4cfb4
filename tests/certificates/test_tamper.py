"""Edits an attacker or an accident could make to a certificate PDF, each caught with its own
error and a one-line reason."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from certificates.render import render_certificate, render_certificates
from certificates.signing import sign
from certificates.verify import (
    DamagedPdf,
    ForgedStructure,
    NotAPdf,
    NotVerifiable,
    NumberMismatch,
    PageMismatch,
    VerificationError,
    verify_pdf,
)
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload

NUMBER = "WS-OSL01-2026-000042"


def _edit_visible_number(pdf: bytes, old: str, new: str) -> bytes:
    """Change the number drawn on the page, leaving the embedded signed payload alone."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        contents = page.get_contents()
        assert contents is not None
        data = contents.get_data()
        if f"({old})".encode() in data:
            contents.set_data(data.replace(f"({old})".encode(), f"({new})".encode()))
            page.replace_contents(contents)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _drop_attachments(pdf: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_edited_visible_number_is_caught() -> None:
    pdf = _edit_visible_number(
        render_certificate(sign(sample_payload(), KEY)), NUMBER, "WS-OSL01-2026-000043"
    )
    assert "WS-OSL01-2026-000043" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    with pytest.raises(NumberMismatch, match=f"shows WS-OSL01-2026-000043.*is {NUMBER}") as err:
        verify_pdf(pdf, PEM)
    assert "\n" not in str(err.value)


def test_an_edited_number_inside_a_batch_is_caught() -> None:
    certs = [sign(sample_payload(number=f"WS-OSL01-2026-{i:06d}"), KEY) for i in (1, 2, 3)]
    pdf = _edit_visible_number(
        render_certificates(certs), "WS-OSL01-2026-000002", "WS-OSL01-2026-000009"
    )
    with pytest.raises(NumberMismatch, match="page 2 shows WS-OSL01-2026-000009"):
        verify_pdf(pdf, PEM)


def test_a_page_whose_number_was_removed_is_caught() -> None:
    pdf = _edit_visible_number(render_certificate(sign(sample_payload(), KEY)), NUMBER, "")
    # The footer still names the certificate; the header lost its number.
    with pytest.raises(PageMismatch, match=f"page 1 .*certificate number '{NUMBER}'"):
        verify_pdf(pdf, PEM)


def test_a_pdf_without_attachments_is_caught() -> None:
    pdf = _drop_attachments(render_certificate(sign(sample_payload(), KEY)))
    with pytest.raises(NotVerifiable, match=f"page 1 carries no signed certificate .*{NUMBER}"):
        verify_pdf(pdf, PEM)


def test_a_plain_pdf_that_is_no_certificate_is_caught() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(NotVerifiable, match="page 1 carries no signed"):
        verify_pdf(out.getvalue(), PEM)


@pytest.mark.parametrize("keep", [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated_pdfs_are_damaged_not_crashes(keep: float) -> None:
    pdf = render_certificate(sign(sample_payload(), KEY))
    with pytest.raises(DamagedPdf, match="damaged"):
        verify_pdf(pdf[: int(len(pdf) * keep)], PEM)


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"PK\x03\x04zipfile", b"\x89PNG\r\n\x1a\n", "æøå".encode()]
)
def test_files_that_are_not_pdfs(data: bytes) -> None:
    with pytest.raises(NotAPdf, match="not a PDF"):
        verify_pdf(data, PEM)


def test_garbage_after_the_pdf_header_is_refused() -> None:
    with pytest.raises(DamagedPdf, match="truncated"):
        verify_pdf(b"%PDF-1.4\n" + bytes(range(256)) * 20, PEM)
    with pytest.raises(ForgedStructure, match="bytes outside any object at offset 10"):
        verify_pdf(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n", PEM)


def test_every_failure_is_one_verification_error_with_a_one_line_message() -> None:
    good = render_certificate(sign(sample_payload(), KEY))
    for bad in (b"x", good[:500], _drop_attachments(good)):
        with pytest.raises(VerificationError) as err:
            verify_pdf(bad, PEM)
        assert str(err.value) and "\n" not in str(err.value)
