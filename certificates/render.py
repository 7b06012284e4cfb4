"""Drawing certificates with reportlab: one A4 page each, bokmål and English side by side.

A single certificate and a batch come out of the same page routine; the signed envelope of every
certificate is attached to the PDF as an embedded file named after its number.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import qrcode
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certificates.labels import L
from certificates.payload import CertificatePayload
from certificates.signing import SignedCertificate, attachment_name
from certificates.style import BAND, BOLD, INK, ITALIC, MONO, MUTED, REGULAR, RULE, WARN
from certificates.text import fit, register_fonts, wrap

__all__ = ["attachment_name", "render_certificate", "render_certificates"]

PAGE_W, PAGE_H = A4
MARGIN = 36
BOTTOM = MARGIN + 2  # the footer lives below this line
LABEL_W = 178
VALUE_X = MARGIN + LABEL_W + 8
VALUE_W = PAGE_W - MARGIN - VALUE_X
ROW_H = 15.0
SECTION_H = 20.0
HANDWRITTEN_H = 24.0
QR_SIZE = 92
# The number is drawn in a standard font: it is ASCII by construction, and its bytes stay
# readable in the page content, which is what the verifier compares with the signed number.
NUMBER_FONT = "Helvetica-Bold"


@dataclass
class _Row:
    key: str
    value: str
    lines: int = 1  # most lines this row may take
    mono: bool = False
    flexible: bool = False  # may give up lines when the page is full
    _cache: dict[int, list[str]] = field(default_factory=dict, repr=False)

    def style(self) -> tuple[str, float, float]:
        # An empty value shows a dash, which the ASCII-only mono font cannot draw.
        return (MONO, 7.4, 8.6) if self.mono and self.value.strip() else (REGULAR, 8.6, 10.0)

    def wrapped(self) -> list[str]:
        # Page fitting asks again after every change of ``lines``; wrapping is the costly part.
        if self.lines not in self._cache:
            font, size, _ = self.style()
            text = self.value if self.value.strip() else "–"
            self._cache[self.lines] = wrap(text, font, size, VALUE_W, self.lines)
        return self._cache[self.lines]

    def height(self) -> float:
        return max(ROW_H, self.style()[2] * len(self.wrapped()) + 5)


@dataclass
class _Section:
    key: str


_Item = _Row | _Section


def _height(items: Sequence[_Item]) -> float:
    return sum(SECTION_H if isinstance(i, _Section) else i.height() for i in items)


def _fit_to_page(items: list[_Item], available: float) -> None:
    """Take lines from the longest free-text rows until everything fits on the one page.

    Identity, numbers and signature rows are never shortened; free text (notes, blocker messages)
    is, and the signed payload still holds all of it.
    """
    while _height(items) > available:
        rows = [i for i in items if isinstance(i, _Row) and i.flexible and i.lines > 1]
        if not rows:
            break
        max(rows, key=lambda r: (len(r.wrapped()), r.lines)).lines -= 1


class _Page:
    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.y = PAGE_H - MARGIN

    def section(self, key: str) -> None:
        nb, en = L[key]
        c = self.c
        self.y -= 4
        c.setFillColor(BAND)
        c.rect(MARGIN, self.y - 13, PAGE_W - 2 * MARGIN, 15, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(BOLD, 9.5)
        c.drawString(MARGIN + 4, self.y - 9, nb)
        c.setFont(ITALIC, 9)
        c.setFillColor(MUTED)
        c.drawString(MARGIN + 4 + c.stringWidth(nb, BOLD, 9.5) + 6, self.y - 9, f"/ {en}")
        self.y -= SECTION_H - 4

    def label(self, key: str) -> None:
        nb, en = L[key]
        c = self.c
        c.setFillColor(INK)
        c.setFont(BOLD, 7.2)
        c.drawString(MARGIN + 4, self.y - 6.2, fit(nb, BOLD, 7.2, LABEL_W))
        c.setFillColor(MUTED)
        c.setFont(ITALIC, 6.3)
        c.drawString(MARGIN + 4, self.y - 12.2, fit(en, ITALIC, 6.3, LABEL_W))

    def rule(self, height: float) -> None:
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.3)
        self.c.line(MARGIN, self.y - height + 1, PAGE_W - MARGIN, self.y - height + 1)
        self.y -= height

    def row(self, row: _Row) -> None:
        self.label(row.key)
        font, size, lead = row.style()
        c = self.c
        c.setFillColor(INK)
        c.setFont(font, size)
        wrapped = row.wrapped()
        for i, line in enumerate(wrapped):
            c.drawString(VALUE_X, self.y - 8.8 - i * lead, line)
        self.rule(row.height())

    def handwritten(self) -> None:
        """A line for a wet signature: printed copies are often countersigned at hand-over."""
        self.label("handwritten")
        self.c.setStrokeColor(INK)
        self.c.setLineWidth(0.6)
        self.c.line(VALUE_X, self.y - HANDWRITTEN_H + 6, VALUE_X + 220, self.y - HANDWRITTEN_H + 6)
        self.rule(HANDWRITTEN_H)


def _draw_qr(c: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares: sharp on any printer, and no image to encode."""
    # qrcode scores all eight masks (most of its time); the best one scans best off paper.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    path = c.beginPath()
    for r, line in enumerate(matrix):
        col = 0
        while col < len(line):  # one rectangle per run of dark modules
            if not line[col]:
                col += 1
                continue
            start = col
            while col < len(line) and line[col]:
                col += 1
            path.rect(x + start * cell, y + size - (r + 1) * cell, (col - start) * cell, cell)
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)


def _header(page: _Page, cert: SignedCertificate) -> None:
    p, c = cert.payload, page.c
    top = PAGE_H - MARGIN
    _draw_qr(c, cert.qr_text(), PAGE_W - MARGIN - QR_SIZE, top - QR_SIZE, QR_SIZE)
    text_w = PAGE_W - 2 * MARGIN - QR_SIZE - 12
    c.setFillColor(INK)
    c.setFont(BOLD, 20)
    c.drawString(MARGIN, top - 18, L["title"][0])
    c.setFont(ITALIC, 15)
    c.setFillColor(MUTED)
    c.drawString(MARGIN, top - 35, L["title"][1])
    c.setFont(REGULAR, 7.2)
    c.drawString(MARGIN, top - 47, f"{L['subtitle'][0]} · {L['subtitle'][1]}")
    c.setFont(REGULAR, 6.8)
    c.drawString(MARGIN, top - 60, f"{L['number'][0]} / {L['number'][1]}")
    c.setFillColor(INK)
    c.setFont(NUMBER_FONT, 14)
    c.drawString(MARGIN, top - 74, p.number)
    c.setFont(REGULAR, 8)
    issued = f"{L['issued_at'][0]} / {L['issued_at'][1]}: {p.issued_at}"
    station = f"{L['station'][0]} / {L['station'][1]}: {p.station_id}"
    c.drawString(MARGIN, top - 87, fit(f"{issued}     {station}", REGULAR, 8, text_w))
    page.y = top - QR_SIZE - 4
    if p.emulated:
        c.setFillColor(WARN)
        c.rect(MARGIN, page.y - 22, PAGE_W - 2 * MARGIN, 22, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(BOLD, 10)
        c.drawCentredString(PAGE_W / 2, page.y - 10, L["emulated"][0])
        c.setFont(REGULAR, 8)
        c.drawCentredString(PAGE_W / 2, page.y - 19, L["emulated"][1])
        page.y -= 24


def _blockers(p: CertificatePayload) -> str:
    if not p.mobile.blockers:
        return "{} / {}".format(*L["no_blockers"])
    state = {True: "{} / {}".format(*L["cleared"]), False: "{} / {}".format(*L["not_cleared"])}
    return "; ".join(f"{b.code} ({b.message}): {state[b.cleared]}" for b in p.mobile.blockers)


def _level(p: CertificatePayload) -> str:
    mob = p.mobile
    if not mob.verification_level:
        return ""
    text = "{} / {}".format(*L[f"level_{mob.verification_level}"])
    return f"{text} ({mob.attested_by})" if mob.attested_by else text


def _owner_lock(p: CertificatePayload) -> str:
    mob = p.mobile
    words = "{} / {}".format(*L[f"lock_{mob.activation_lock or 'not_read'}"])
    return f"{words}: {mob.activation_lock_reason}" if mob.activation_lock_reason else words


def _reuse(p: CertificatePayload) -> str:
    return "{} / {}".format(*L["reuse_yes" if p.mobile.reusable else "reuse_parts"])


def _joined(*parts: str) -> str:
    return ", ".join(x for x in parts if x)


def _items(cert: SignedCertificate) -> list[_Item]:
    p = cert.payload
    who, m, s, mob, d, v = (
        p.performed_by,
        p.media,
        p.sanitization,
        p.mobile,
        p.destination,
        p.validation,
    )
    cust = p.customer
    return [
        _Section("s_person"),
        _Row("name", who.name),
        _Row("title_role", who.title),
        _Row("organization", _joined(who.organization, who.location)),
        _Row("phone", who.phone),
        _Section("s_media"),
        _Row("manufacturer", m.manufacturer),
        _Row("model", m.model, lines=2, flexible=True),
        _Row("serial_number", m.serial_number),
        _Row("property_number", m.property_number),
        _Row("media_type", m.media_type),
        _Row("source", m.source),
        _Row("classification", m.classification),
        _Row("data_backed_up", m.data_backed_up),
        _Section("s_mobile"),
        _Row("platform", f"{mob.platform} {mob.os_version}"),
        _Row("imeis", ", ".join(mob.imeis)),
        _Row("udid", mob.udid, mono=True),
        _Row("blockers", _blockers(p), lines=3, flexible=True),
        _Row("evidence_digest", mob.evidence_digest, mono=True),
        _Row("customer", f"{cust.name} ({cust.org_number})" if cust else ""),
        _Section("s_sanitization"),
        _Row("method_type", s.method_type),
        _Row("method_used", s.method_used),
        _Row("method_details", s.method_details, lines=2, flexible=True),
        _Row("tool", f"{s.tool} {s.tool_version}"),
        _Row("verification_method", s.verification_method, lines=2, flexible=True),
        _Row("verification_level", _level(p), lines=2, flexible=True),
        _Row("activation_lock", _owner_lock(p), lines=2, flexible=True),
        _Row("reuse", _reuse(p)),
        _Row("post_classification", s.post_classification),
        _Row("notes", s.notes, lines=2, flexible=True),
        _Section("s_destination"),
        _Row("destination", _joined(d.description, d.facility)),
        _Section("s_validation"),
        _Row("validator", v.validator),
        _Row("validator_org", _joined(v.title, v.organization)),
        _Row("validation_date", v.date),
        _Row("audit", f"{p.audit.station} #{p.audit.seq} {p.audit.event_hash}", lines=2, mono=True),
        _Row("payload_digest", cert.digest, mono=True),
        _Row("signature", cert.signature_b64, lines=2, mono=True),
    ]


def _body(page: _Page, cert: SignedCertificate) -> None:
    items = _items(cert)
    _fit_to_page(items, page.y - BOTTOM - HANDWRITTEN_H)
    for item in items:
        if isinstance(item, _Section):
            page.section(item.key)
        else:
            page.row(item)
    page.handwritten()
    if page.y < BOTTOM - 0.5:  # only a layout bug can get here: every input is bounded above
        raise AssertionError(f"{cert.payload.number}: certificate overflows its page")


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
    numbers = [c.payload.number for c in certs]
    if len(set(numbers)) != len(numbers):
        raise ValueError("a certificate appears twice in the batch")
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
        buf.getvalue(),
        [(attachment_name(n), c.envelope()) for n, c in zip(numbers, certs, strict=True)],
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
