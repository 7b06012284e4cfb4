"""The forgery matrix: what an auditor could be handed instead of a genuine certificate. Each one
is refused, and the one-line reason names what differs."""

from __future__ import annotations

import dataclasses
import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PageObject, PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certificates.payload import CertificatePayload, Customer
from certificates.qr import draw_qr
from certificates.render import (
    MARGIN,
    PAGE_H,
    PAGE_W,
    QR_SIZE,
    render_certificate,
    render_certificates,
)
from certificates.signing import SignedCertificate, attachment_name, sign
from certificates.verify import (
    BadSignature,
    DamagedPdf,
    NumberMismatch,
    PageMismatch,
    PagesMissingOrAdded,
    QrMismatch,
    VerificationError,
    verify_pdf,
)
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload

A = sign(sample_payload(), KEY)
B = sign(
    sample_payload(
        number="WS-OSL01-2026-000043",
        media=dataclasses.replace(sample_payload().media, serial_number="R58N99ZZZZZ"),
    ),
    KEY,
)


def _pdf(pages: list[PageObject], files: dict[str, bytes]) -> bytes:
    writer = PdfWriter()
    for page in pages:
        writer.add_page(page)
    for name, data in files.items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pages(pdf: bytes) -> list[PageObject]:
    return list(PdfReader(io.BytesIO(pdf)).pages)


def _files(*certs: SignedCertificate) -> dict[str, bytes]:
    return {attachment_name(c.payload.number): c.envelope() for c in certs}


def _printed_as(changed: CertificatePayload) -> bytes:
    """A's genuine envelope behind a page drawn for an edited payload (as if its text had been
    edited in place): the signature and digest printed are A's too."""
    page_of = SignedCertificate(changed, A.signature)
    return _pdf(_pages(render_certificate(page_of)), _files(A))


def _overlay(pdf: bytes, draw) -> bytes:  # type: ignore[no-untyped-def]
    """Paint over the first page with pypdf, as an editing tool would."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    draw(canvas)
    canvas.save()
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    writer.pages[0].merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refused(pdf: bytes, error: type[VerificationError], *fragments: str) -> str:
    with pytest.raises(error) as err:
        verify_pdf(pdf, PEM)
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_genuine_certificates_verify() -> None:
    assert [r.payload for r in verify_pdf(render_certificate(A), PEM)] == [A.payload]
    both = verify_pdf(render_certificates([A, B]), PEM)
    assert [r.payload.number for r in both] == [A.payload.number, B.payload.number]


def test_re_signed_with_another_key() -> None:
    other = sign(sample_payload(), Ed25519PrivateKey.generate())
    _refused(render_certificate(other), BadSignature, A.payload.number, "another station's key")


p = sample_payload()
EDITS = [
    ("serial number", "R58N12ABCXX", dataclasses.replace(p, media=dataclasses.replace(
        p.media, serial_number="R58N12ABCXX"))),
    ("model", "Galaxy S24", dataclasses.replace(p, media=dataclasses.replace(
        p.media, model="Galaxy S24"))),
    ("make / manufacturer", "Apple", dataclasses.replace(p, media=dataclasses.replace(
        p.media, manufacturer="Apple"))),
    ("imei", "356938035643817", dataclasses.replace(p, mobile=dataclasses.replace(
        p.mobile, imeis=("356938035643817",)))),
    ("customer (org. no.)", "Other AS (923609016)",
     dataclasses.replace(p, customer=Customer("Other AS", "923609016"))),
    # The method in the standards' terms is drawn from the method type, above it.
    ("method per standard", "Clear", dataclasses.replace(p, sanitization=dataclasses.replace(
        p.sanitization, method_type="Clear"))),
    ("verification level", "Read back", dataclasses.replace(p, mobile=dataclasses.replace(
        p.mobile, verification_level="readback"))),
    ("reuse", "reusable", dataclasses.replace(p, mobile=dataclasses.replace(
        p.mobile, reusable=True))),
    ("validated by", "Ola Nordmann", dataclasses.replace(p, validation=dataclasses.replace(
        p.validation, validator="Ola Nordmann"))),
]  # fmt: skip


@pytest.mark.parametrize(("field", "forged", "changed"), EDITS, ids=[e[0] for e in EDITS])
def test_each_printed_field_edited(field: str, forged: str, changed: CertificatePayload) -> None:
    global A
    if field == "reuse":  # A is reusable; the forgery claims what a parts-only phone lacks
        parts = dataclasses.replace(p, mobile=dataclasses.replace(p.mobile, reusable=False))
        saved, A = A, sign(parts, KEY)
        try:
            _refused(_printed_as(changed), PageMismatch, "page 1", field, forged, "PARTS ONLY")
        finally:
            A = saved
        return
    _refused(_printed_as(changed), PageMismatch, "page 1", field, forged)


def test_issue_time_edited() -> None:
    changed = dataclasses.replace(p, issued_at="2026-11-24T10:15:00.000000Z")
    _refused(
        _printed_as(changed),
        PageMismatch,
        "shows issue time 'Utstedt / Issued: 2026-11-24 10:15:00 UTC'",
        "the signed certificate says 'Utstedt / Issued: 2026-11-25 10:15:00 UTC'",
    )


def test_text_painted_over_a_field_with_pypdf() -> None:
    def cover_serial(c: Canvas) -> None:
        c.setFillColorRGB(1, 1, 1)
        c.rect(200, 300, 300, 200, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        c.drawString(230, 400, "R58N12ABCXX")

    _refused(_overlay(render_certificate(A), cover_serial), PageMismatch, "R58N12ABCXX")


def test_a_white_box_without_text_over_a_field() -> None:
    import pypdfium2 as pdfium

    text = pdfium.PdfDocument(render_certificate(A))[0].get_textpage()
    search = text.search("R58N12ABCDE")
    first = search.get_next()
    assert first is not None
    left, bottom, _right, _top = text.get_charbox(first[0] + 8)  # over "CDE"

    def blank(c: Canvas) -> None:
        c.setFillColorRGB(1, 1, 1)
        c.rect(left, bottom - 1, 18, 8, stroke=0, fill=1)

    _refused(_overlay(render_certificate(A), blank), PageMismatch, "drawing")


def test_qr_swapped_for_another_certificates() -> None:
    def swap_qr(c: Canvas) -> None:
        x, y = PAGE_W - MARGIN - QR_SIZE, PAGE_H - MARGIN - QR_SIZE
        c.setFillColorRGB(1, 1, 1)
        c.rect(x - 2, y - 2, QR_SIZE + 4, QR_SIZE + 4, stroke=0, fill=1)
        draw_qr(c, B.qr_text(), x, y, QR_SIZE)

    _refused(
        _overlay(render_certificate(A), swap_qr),
        QrMismatch,
        f"shows {A.payload.number}, but its QR code belongs to {B.payload.number}",
    )


def test_qr_painted_out() -> None:
    def hide_qr(c: Canvas) -> None:
        c.setFillColorRGB(1, 1, 1)
        c.rect(PAGE_W - MARGIN - QR_SIZE - 2, PAGE_H - MARGIN - QR_SIZE - 2, 100, 100, 0, 1)

    _refused(_overlay(render_certificate(A), hide_qr), QrMismatch, "no readable QR code")


def test_page_spliced_from_another_certificate() -> None:
    # B's genuine page in front of A's genuine envelope.
    spliced = _pdf(_pages(render_certificate(B)), _files(A))
    _refused(spliced, NumberMismatch, f"page 1 shows {B.payload.number}", A.payload.number)


def test_page_spliced_under_another_number() -> None:
    # A's page with B's number and B's genuine envelope: the rest of the page is still A's.
    page_of = SignedCertificate(
        dataclasses.replace(A.payload, number=B.payload.number), B.signature
    )
    spliced = _pdf(_pages(render_certificate(page_of)), _files(B))
    _refused(spliced, PageMismatch, "serial number 'R58N12ABCDE'", "says 'R58N99ZZZZZ'")


def test_pages_of_two_genuine_files_glued_together_verify() -> None:
    # Each page genuine, each bringing the font of its own file (a glyph only the second uses
    # moves the first's codes): what is drawn is what was signed, as after pdfunite.
    media = dataclasses.replace(B.payload.media, model="Xperia Qz Æå")
    other = sign(dataclasses.replace(B.payload, media=media), KEY)
    glued = _pdf(
        _pages(render_certificate(A)) + _pages(render_certificate(other)), _files(A, other)
    )
    assert [c.payload.number for c in verify_pdf(glued, PEM)] == [
        A.payload.number,
        other.payload.number,
    ]


def test_attachment_swapped() -> None:
    swapped = _pdf(_pages(render_certificate(A)), {attachment_name(A.payload.number): B.envelope()})
    _refused(swapped, NumberMismatch, f"shows {A.payload.number}", f"is {B.payload.number}")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.95])
def test_truncated(keep: float) -> None:
    pdf = render_certificate(A)
    _refused(pdf[: int(len(pdf) * keep)], DamagedPdf, "damaged")


def test_a_page_added() -> None:
    batch = render_certificates([A, B])
    pages = _pages(batch)
    _refused(_pdf([*pages, pages[0]], _files(A, B)), PagesMissingOrAdded, "appears twice")
    blank = PageObject.create_blank_page(width=PAGE_W, height=PAGE_H)
    _refused(_pdf([*pages, blank], _files(A, B)), NumberMismatch, "page 3 shows no")


def test_a_certificates_page_removed() -> None:
    pages = _pages(render_certificates([A, B]))
    _refused(_pdf(pages[:1], _files(A, B)), PagesMissingOrAdded, B.payload.number, "removed")


def test_a_continuation_page_removed() -> None:
    long = sign(dataclasses.replace(p, sanitization=dataclasses.replace(
        p.sanitization, notes="Skjermen sprukket. " * 400)), KEY)  # fmt: skip
    pages = _pages(render_certificate(long))
    assert len(pages) >= 2
    verify_pdf(_pdf(pages, _files(long)), PEM)  # re-assembled whole, it is still genuine
    _refused(_pdf(pages[:-1], _files(long)), PagesMissingOrAdded, "a page was removed")


def test_a_second_qr_code_pasted_elsewhere() -> None:
    def paste(c: Canvas) -> None:
        draw_qr(c, B.qr_text(), 300, 60, QR_SIZE)

    _refused(_overlay(render_certificate(A), paste), PageMismatch, "drawing")
