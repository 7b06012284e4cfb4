"""Drawing certificates with reportlab: one A4 page each, bokmål and English side by side.

A single certificate and a batch come out of the same page routine; the signed envelope of every
certificate is attached to the PDF as an embedded file named after its number.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import qrcode
from pypdf import PdfReader, PdfWriter
from qrcode.image.pil import PilImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from certificates.labels import L
from certificates.payload import CertificatePayload
from certificates.signing import SignedCertificate
from certificates.text import BOLD, ITALIC, REGULAR, fit, register_fonts, wrap

PAGE_W, PAGE_H = A4
MARGIN = 36
LABEL_W = 178
VALUE_X = MARGIN + LABEL_W + 8
VALUE_W = PAGE_W - MARGIN - VALUE_X
ROW_H = 15.0
MONO = "Courier"  # digests and signatures: fixed width, ASCII only
INK = colors.HexColor("#1b2631")
MUTED = colors.HexColor("#5d6d7e")
RULE = colors.HexColor("#aab7b8")
BAND = colors.HexColor("#eaf2f8")
WARN = colors.HexColor("#b03a2e")


def attachment_name(number: str) -> str:
    return f"{number}.json"


class _Page:
    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.y = PAGE_H - MARGIN

    def section(self, key: str) -> None:
        nb, en = L[key]
        self.y -= 4
        self.c.setFillColor(BAND)
        self.c.rect(MARGIN, self.y - 13, PAGE_W - 2 * MARGIN, 15, stroke=0, fill=1)
        self.c.setFillColor(INK)
        self.c.setFont(BOLD, 9.5)
        self.c.drawString(MARGIN + 4, self.y - 9, nb)
        self.c.setFont(ITALIC, 9)
        self.c.setFillColor(MUTED)
        self.c.drawString(MARGIN + 4 + self.c.stringWidth(nb, BOLD, 9.5) + 6, self.y - 9, f"/ {en}")
        self.y -= 16

    def row(self, key: str, value: str, lines: int = 1, mono: bool = False) -> None:
        nb, en = L[key]
        c = self.c
        c.setFillColor(INK)
        c.setFont(BOLD, 7.2)
        c.drawString(MARGIN + 4, self.y - 6.8, fit(nb, BOLD, 7.2, LABEL_W))
        c.setFillColor(MUTED)
        c.setFont(ITALIC, 6.3)
        c.drawString(MARGIN + 4, self.y - 13.2, fit(en, ITALIC, 6.3, LABEL_W))
        c.setFillColor(INK)
        font, size, lead = (MONO, 7.4, 8.6) if mono else (REGULAR, 8.6, 10.0)
        c.setFont(font, size)
        text = value if value.strip() else "–"
        wrapped = wrap(text, font, size, VALUE_W, lines)
        for i, line in enumerate(wrapped):
            c.drawString(VALUE_X, self.y - 8.8 - i * lead, line)
        height = max(ROW_H, lead * len(wrapped) + 5)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.3)
        c.line(MARGIN, self.y - height + 1, PAGE_W - MARGIN, self.y - height + 1)
        self.y -= height


def _qr_image(text: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1, box_size=4)
    qr.add_data(text)
    qr.make(fit=True)
    img = qr.make_image(image_factory=PilImage)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return ImageReader(buf)


def _header(page: _Page, cert: SignedCertificate) -> None:
    p, c = cert.payload, page.c
    qr_size = 92
    c.drawImage(
        _qr_image(cert.qr_text()),
        PAGE_W - MARGIN - qr_size,
        PAGE_H - MARGIN - qr_size,
        qr_size,
        qr_size,
    )
    c.setFillColor(INK)
    c.setFont(BOLD, 20)
    c.drawString(MARGIN, PAGE_H - MARGIN - 18, L["title"][0])
    c.setFont(ITALIC, 15)
    c.setFillColor(MUTED)
    c.drawString(MARGIN, PAGE_H - MARGIN - 36, L["title"][1])
    c.setFont(REGULAR, 7.5)
    c.drawString(MARGIN, PAGE_H - MARGIN - 49, f"{L['subtitle'][0]} · {L['subtitle'][1]}")
    c.setFillColor(INK)
    c.setFont(BOLD, 12)
    c.drawString(MARGIN, PAGE_H - MARGIN - 68, p.number)
    c.setFont(REGULAR, 8)
    issued = f"{L['issued_at'][0]} / {L['issued_at'][1]}: {p.issued_at}"
    station = f"{L['station'][0]} / {L['station'][1]}: {p.station_id}"
    c.drawString(MARGIN, PAGE_H - MARGIN - 81, fit(f"{issued}    {station}", REGULAR, 8, 380))
    page.y = PAGE_H - MARGIN - qr_size - 4
    if p.emulated:
        c.setFillColor(WARN)
        c.rect(MARGIN, page.y - 20, PAGE_W - 2 * MARGIN, 20, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(BOLD, 9)
        c.drawCentredString(PAGE_W / 2, page.y - 9, L["emulated"][0])
        c.setFont(REGULAR, 7.5)
        c.drawCentredString(PAGE_W / 2, page.y - 17, L["emulated"][1])
        page.y -= 22


def _body(page: _Page, cert: SignedCertificate) -> None:
    p: CertificatePayload = cert.payload
    who, m, s = p.performed_by, p.media, p.sanitization
    page.section("s_person")
    page.row("name", who.name)
    page.row("title_role", who.title)
    page.row("organization", ", ".join(x for x in (who.organization, who.location) if x))
    page.row("phone", who.phone)
    page.section("s_media")
    page.row("manufacturer", m.manufacturer)
    page.row("model", m.model)
    page.row("serial_number", m.serial_number)
    page.row("property_number", m.property_number)
    page.row("media_type", m.media_type)
    page.row("source", m.source)
    page.row("classification", m.classification)
    page.row("data_backed_up", m.data_backed_up)
    page.section("s_mobile")
    mob = p.mobile
    page.row("platform", f"{mob.platform} {mob.os_version}")
    page.row("imeis", ", ".join(mob.imeis))
    page.row("udid", mob.udid, mono=True)
    blockers = "; ".join(
        f"{b.code} ({b.message}): {'fjernet/cleared' if b.cleared else 'IKKE/NOT CLEARED'}"
        for b in mob.blockers
    )
    page.row("blockers", blockers or "ingen funnet / none found", lines=3)
    page.row("evidence_digest", mob.evidence_digest, mono=True)
    cust = p.customer
    page.row("customer", f"{cust.name} ({cust.org_number})" if cust else "")
    page.section("s_sanitization")
    page.row("method_type", s.method_type)
    page.row("method_used", s.method_used)
    page.row("method_details", s.method_details, lines=2)
    page.row("tool", f"{s.tool} {s.tool_version}")
    page.row("verification_method", s.verification_method, lines=2)
    page.row("post_classification", s.post_classification)
    page.row("notes", s.notes, lines=2)
    page.section("s_destination")
    d = p.destination
    page.row("destination", ", ".join(x for x in (d.description, d.facility) if x))
    page.section("s_validation")
    v = p.validation
    page.row("validator", v.validator)
    page.row("validator_org", ", ".join(x for x in (v.title, v.organization) if x))
    page.row("validation_date", v.date)
    page.row("audit", f"{p.audit.station} #{p.audit.seq} {p.audit.event_hash}", lines=2, mono=True)
    page.row("payload_digest", cert.digest, mono=True)
    page.row("signature", cert.signature_b64, lines=2, mono=True)


def _footer(page: _Page, index: int, total: int) -> None:
    c = page.c
    c.setFont(REGULAR, 6.8)
    c.setFillColor(MUTED)
    c.drawString(MARGIN, MARGIN - 12, L["verify_hint"][0])
    c.drawString(MARGIN, MARGIN - 20, L["verify_hint"][1])
    c.drawRightString(
        PAGE_W - MARGIN, MARGIN - 12, f"{L['page'][0]} / {L['page'][1]} {index}/{total}"
    )


def render_certificates(certs: Sequence[SignedCertificate], title: str | None = None) -> bytes:
    """One page per certificate, each signed envelope embedded; one or many per file."""
    if not certs:
        raise ValueError("no certificates to render")
    register_fonts()
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(title or certs[0].payload.number)
    canvas.setAuthor("Wipe Station")
    canvas.setSubject("Sletteattest / Certificate of Erasure")
    canvas.setCreator("Wipe Station")
    for i, cert in enumerate(certs, start=1):
        page = _Page(canvas)
        _header(page, cert)
        _body(page, cert)
        _footer(page, i, len(certs))
        canvas.showPage()
    canvas.save()
    return _attach(
        buf.getvalue(), [(attachment_name(c.payload.number), c.envelope()) for c in certs]
    )


def render_certificate(cert: SignedCertificate) -> bytes:
    return render_certificates([cert])


def _attach(pdf: bytes, files: list[tuple[str, bytes]]) -> bytes:
    # reportlab has no embedded-file API; pypdf adds them to the finished document.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for name, data in files:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
