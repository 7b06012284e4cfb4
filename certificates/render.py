"""Drawing certificates with reportlab: A4 pages, bokmål and English side by side.

A single certificate and a batch come out of the same page routine; the signed envelope of every
certificate is attached to the PDF as an embedded file named after its number. Every signed value
is shown whole: long values wrap and continue on the next page, never cut short.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certificates.clock import local_and_utc
from certificates.embed import embed_files
from certificates.labels import L
from certificates.payload import CertificatePayload
from certificates.qr import ENCODERS, Encoder, draw_qr
from certificates.signing import SignedCertificate, attachment_name
from certificates.style import BAND, BOLD, INK, ITALIC, MONO, MUTED, REGULAR, RULE, WARN
from certificates.text import clean, fit, register_fonts, wrap_all

__all__ = [
    "Row",
    "attachment_name",
    "certificate_rows",
    "page_count",
    "render_certificate",
    "render_certificates",
]

PAGE_W, PAGE_H = A4
MARGIN = 36
BOTTOM = MARGIN + 2  # the footer lives below this line
LABEL_W = 178
VALUE_X = MARGIN + LABEL_W + 8
VALUE_W = PAGE_W - MARGIN - VALUE_X
HANDWRITTEN_H = 20.0
QR_SIZE = 92


@dataclass(frozen=True)
class Layout:
    """What changed between the station's certificate layouts. The verifier draws a file
    again with each (newest first) until one matches: a certificate an auditor holds stays
    genuine when a later station version draws it differently."""

    name: str
    row_h: float  # a one-line row: bokmål label above its English one
    section_h: float
    label: tuple[float, float, float, float]  # bokmål size and baseline, English size and baseline
    subtitle: str  # key in labels.L
    standard_row: bool  # the "method per standard" row (NIST SP 800-88 Rev. 2, IEEE 2883)
    value: tuple[tuple[float, float], tuple[float, float]]  # (size, leading): mono, regular
    band: tuple[float, float, float, float]  # section band: top pad, bottom, height, baseline
    row_pad: float  # below a value's last line


# From 2026-12-07: an ordinary certificate fits one A4 sheet, citing SP 800-88 Rev. 2.
LAYOUT_2 = Layout(
    "2",
    11.4,
    14.0,
    (6.5, 5.2, 5.5, 10.3),
    "subtitle",
    True,
    ((7.0, 8.2), (8.2, 9.4)),
    (1.0, 12.0, 12.5, 8.6),
    1.6,
)
# Until 2026-12-07 (cited SP 800-88 Rev. 1; an emulated certificate took two sheets).
LAYOUT_1 = Layout(
    "1",
    13.0,
    18.0,
    (7.2, 6.2, 6.3, 12.2),
    "subtitle_rev1",
    False,
    ((7.4, 8.6), (8.6, 10.0)),
    (4.0, 13.0, 15.0, 9.0),
    3.5,
)
LAYOUTS: tuple[Layout, ...] = (LAYOUT_2, LAYOUT_1)
# The number is drawn in a standard font: it is ASCII by construction, and its bytes stay
# readable in the page content, which is what the verifier compares with the signed number.
NUMBER_FONT = "Helvetica-Bold"


@dataclass(frozen=True)
class Row:
    """One signed fact as the page shows it: a bilingual label and the whole value."""

    key: str
    value: str
    mono: bool = False

    def style(self, lay: Layout | None = None) -> tuple[str, float, float]:
        # An empty value shows a dash, which the ASCII-only mono font cannot draw.
        mono, regular = (lay or LAYOUTS[0]).value
        if self.mono and self.value.strip():
            return (MONO, *mono)
        return (REGULAR, *regular)

    def lines(self, lay: Layout | None = None) -> list[str]:
        font, size, _ = self.style(lay)
        return wrap_all(self.value if self.value.strip() else "–", font, size, VALUE_W)


@dataclass(frozen=True)
class _Section:
    key: str


_Item = Row | _Section


@dataclass
class _Block:
    """What one page draws for a row: some of its lines (a long value continues overleaf)."""

    row: Row
    lines: list[str]
    continued: bool = False

    def height(self, lay: Layout) -> float:
        return max(lay.row_h, self.row.style(lay)[2] * len(self.lines) + lay.row_pad)


_Placed = _Block | _Section


def _paginate(
    items: Sequence[_Item], first: float, later: float, lay: Layout
) -> list[list[_Placed]]:
    """Spread the rows over as many pages as they need; nothing is shortened.

    ``first`` and ``later`` are the heights available below the header. A section band never
    ends a page alone; a row too long for what is left continues on the next page under its
    label marked "continued".
    """
    pages: list[list[_Placed]] = [[]]
    room = first
    for n, item in enumerate(items):
        if isinstance(item, _Section):
            nxt = items[n + 1] if n + 1 < len(items) else None
            need = lay.section_h + (lay.row_h if isinstance(nxt, Row) else 0)
            if need > room and pages[-1]:
                pages.append([])
                room = later
            pages[-1].append(item)
            room -= lay.section_h
            continue
        lead = item.style(lay)[2]
        lines, continued = item.lines(lay), False
        while lines:
            fits = max(0, int((room - lay.row_pad) // lead)) if room >= lay.row_h else 0
            if fits == 0 and pages[-1]:
                pages.append([])
                room = later
                continue
            take = max(1, fits)
            block = _Block(item, lines[:take], continued)
            pages[-1].append(block)
            room -= block.height(lay)
            lines, continued = lines[take:], True
    if room < HANDWRITTEN_H:
        pages.append([])
    return pages


class _Page:
    def __init__(self, canvas: Canvas, lay: Layout) -> None:
        self.c = canvas
        self.lay = lay
        self.y = PAGE_H - MARGIN

    def section(self, key: str) -> None:
        nb, en = L[key]
        c = self.c
        pad, low, high, base = self.lay.band
        self.y -= pad
        c.setFillColor(BAND)
        c.rect(MARGIN, self.y - low, PAGE_W - 2 * MARGIN, high, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(BOLD, 9.5)
        c.drawString(MARGIN + 4, self.y - base, nb)
        c.setFont(ITALIC, 9)
        c.setFillColor(MUTED)
        c.drawString(MARGIN + 4 + c.stringWidth(nb, BOLD, 9.5) + 6, self.y - base, f"/ {en}")
        self.y -= self.lay.section_h - pad

    def label(self, key: str, continued: bool = False) -> None:
        nb, en = L[key]
        if continued:
            nb, en = f"{nb} ({L['continued'][0]})", f"{en} ({L['continued'][1]})"
        c = self.c
        nb_size, nb_y, en_size, en_y = self.lay.label
        c.setFillColor(INK)
        c.setFont(BOLD, nb_size)
        c.drawString(MARGIN + 4, self.y - nb_y, fit(nb, BOLD, nb_size, LABEL_W))
        c.setFillColor(MUTED)
        c.setFont(ITALIC, en_size)
        c.drawString(MARGIN + 4, self.y - en_y, fit(en, ITALIC, en_size, LABEL_W))

    def rule(self, height: float) -> None:
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.3)
        self.c.line(MARGIN, self.y - height + 1, PAGE_W - MARGIN, self.y - height + 1)
        self.y -= height

    def row(self, block: _Block) -> None:
        self.label(block.row.key, block.continued)
        font, size, lead = block.row.style(self.lay)
        c = self.c
        c.setFillColor(INK)
        c.setFont(font, size)
        for i, line in enumerate(block.lines):
            c.drawString(VALUE_X, self.y - 8.8 - i * lead, line)
        self.rule(block.height(self.lay))

    def handwritten(self) -> None:
        """A line for a wet signature: printed copies are often countersigned at hand-over."""
        self.label("handwritten")
        self.c.setStrokeColor(INK)
        self.c.setLineWidth(0.6)
        self.c.line(VALUE_X, self.y - HANDWRITTEN_H + 6, VALUE_X + 220, self.y - HANDWRITTEN_H + 6)
        self.rule(HANDWRITTEN_H)


def _header(page: _Page, cert: SignedCertificate, qr: Encoder) -> None:
    p, c = cert.payload, page.c
    top = PAGE_H - MARGIN
    draw_qr(c, cert.qr_text(), PAGE_W - MARGIN - QR_SIZE, top - QR_SIZE, QR_SIZE, qr)
    text_w = PAGE_W - 2 * MARGIN - QR_SIZE - 12
    c.setFillColor(INK)
    c.setFont(BOLD, 20)
    c.drawString(MARGIN, top - 18, L["title"][0])
    c.setFont(ITALIC, 15)
    c.setFillColor(MUTED)
    c.drawString(MARGIN, top - 35, L["title"][1])
    c.setFont(REGULAR, 7.2)
    sub = L[page.lay.subtitle]
    c.drawString(MARGIN, top - 47, f"{sub[0]} · {sub[1]}")
    c.setFont(REGULAR, 6.8)
    c.drawString(MARGIN, top - 60, f"{L['number'][0]} / {L['number'][1]}")
    c.setFillColor(INK)
    c.setFont(NUMBER_FONT, 14)
    c.drawString(MARGIN, top - 74, p.number)
    c.setFont(REGULAR, 8)
    issued = f"{L['issued_at'][0]} / {L['issued_at'][1]}: {local_and_utc(p.issued_at, p.timezone)}"
    station = f"{L['station'][0]} / {L['station'][1]}: {p.station_id}"
    # Both are short by construction (a timestamp, a station code), so nothing is cut here.
    c.drawString(MARGIN, top - 84, clean(issued, whole=True))
    c.drawString(MARGIN, top - 94, clean(station, whole=True))
    assert c.stringWidth(clean(issued, whole=True), REGULAR, 8) <= text_w + QR_SIZE
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


def _words(prefix: str, code: str) -> str:
    """A code as plain words in both languages; an unknown code as its words, never a constant
    name alone (the raw value stays in the evidence)."""
    if f"{prefix}{code}" in L:
        return "{} / {}".format(*L[f"{prefix}{code}"])
    return " ".join(code.replace("_", " ").split())


def _blockers(p: CertificatePayload) -> str:
    if not p.mobile.blockers:
        return "{} / {}".format(*L["no_blockers"])
    state = {True: "{} / {}".format(*L["cleared"]), False: "{} / {}".format(*L["not_cleared"])}
    # The phone's own answer (b.message) is in the signed payload and the evidence; the page
    # names the check in words and says whether it was cleared.
    return "; ".join(f"{_words('blocker_', b.code)}: {state[b.cleared]}" for b in p.mobile.blockers)


def _route(p: CertificatePayload) -> str:
    return _words("route_", p.mobile.reset_route) if p.mobile.reset_route else ""


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


def _standard(p: CertificatePayload) -> str:
    """The method in the terms of NIST SP 800-88 Rev. 2 and IEEE 2883-2022, from the signed
    method fields: a factory reset that destroys the storage keys of an encrypted phone is purge
    by cryptographic erase. Nothing is claimed that the signed method does not say."""
    s = p.sanitization
    method = s.method_type.strip().lower()
    crypto = "cryptographic erase" in f"{s.method_used} {s.method_details}".lower()
    if method == "purge" and crypto:
        return "{} / {}".format(*L["std_purge_ce"])
    if method in ("clear", "purge"):
        return "{} / {}".format(*L[f"std_{method}"])
    if method in ("destroy", "destruct"):
        return "{} / {}".format(*L["std_destroy"])
    return ""


def certificate_rows(cert: SignedCertificate, lay: Layout | None = None) -> list[_Item]:
    """Every row the page shows, in order, each with its whole value."""
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
        *([Row("supersedes", p.supersedes)] if p.supersedes else []),
        _Section("s_person"),
        Row("name", who.name),
        Row("title_role", who.title),
        Row("organization", _joined(who.organization, who.location)),
        Row("phone", who.phone),
        _Section("s_media"),
        Row("manufacturer", m.manufacturer),
        Row("model", m.model),
        Row("serial_number", m.serial_number),
        Row("property_number", m.property_number),
        Row("media_type", m.media_type),
        Row("source", m.source),
        Row("classification", m.classification),
        Row("data_backed_up", m.data_backed_up),
        _Section("s_mobile"),
        Row("platform", f"{mob.platform} {mob.os_version}"),
        Row("imeis", ", ".join(mob.imeis)),
        Row("udid", mob.udid, mono=True),
        Row("blockers", _blockers(p)),
        Row("evidence_digest", mob.evidence_digest, mono=True),
        Row("customer", f"{cust.name} ({cust.org_number})" if cust else ""),
        _Section("s_sanitization"),
        *([Row("standard", _standard(p))] if (lay or LAYOUTS[0]).standard_row else []),
        Row("method_type", s.method_type),
        Row("method_used", s.method_used),
        Row("method_details", s.method_details),
        Row("tool", f"{s.tool} {s.tool_version}"),
        Row("verification_method", s.verification_method),
        Row("reset_route", _route(p)),
        Row("verification_level", _level(p)),
        Row("activation_lock", _owner_lock(p)),
        Row("reuse", _reuse(p)),
        Row("post_classification", s.post_classification),
        Row("notes", s.notes),
        _Section("s_destination"),
        Row("destination", _joined(d.description, d.facility)),
        _Section("s_validation"),
        Row("validator", v.validator),
        Row("validator_org", _joined(v.title, v.organization)),
        Row("validation_date", v.date),
        Row("audit", f"{p.audit.station} #{p.audit.seq} {p.audit.event_hash}", mono=True),
        Row("payload_digest", cert.digest, mono=True),
        Row("signature", cert.signature_b64, mono=True),
    ]


def _header_height(cert: SignedCertificate) -> float:
    return QR_SIZE + 4 + (24 if cert.payload.emulated else 0)


def _pages(cert: SignedCertificate, lay: Layout) -> list[list[_Placed]]:
    room = PAGE_H - MARGIN - _header_height(cert) - BOTTOM
    return _paginate(certificate_rows(cert, lay), room, room, lay)


def _footer(page: _Page, number: str, index: int, total: int) -> None:
    c = page.c
    c.setFont(REGULAR, 6.8)
    c.setFillColor(MUTED)
    c.drawString(MARGIN, MARGIN - 12, L["verify_hint"][0])
    c.drawString(MARGIN, MARGIN - 20, L["verify_hint"][1])
    (nb, en), (of_nb, of_en) = L["page"], L["page_of"]
    c.drawRightString(PAGE_W - MARGIN, MARGIN - 12, f"{number} · {nb} {index} {of_nb} {total}")
    c.drawRightString(PAGE_W - MARGIN, MARGIN - 20, f"{en} {index} {of_en} {total}")


def page_count(cert: SignedCertificate, layout: Layout = LAYOUTS[0]) -> int:
    """How many pages ``cert`` takes; the verifier checks a file holds all of them."""
    return len(_pages(cert, layout))


def render_certificates(
    certs: Sequence[SignedCertificate],
    title: str | None = None,
    qr: Encoder = ENCODERS[0],
    layout: Layout = LAYOUTS[0],
) -> bytes:
    """Each certificate on as many A4 pages as it needs (each page with its number and QR code),
    each signed envelope embedded; one or many certificates per file.

    The output depends on nothing but ``certs`` (reportlab's invariant mode): the verifier draws
    the same file again from the signed payloads and compares it page by page; ``qr`` and
    ``layout`` let it draw the QR codes and pages as an earlier station version did.
    """
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
    for cert in certs:
        pages = _pages(cert, layout)
        for i, placed in enumerate(pages, start=1):
            page = _Page(canvas, layout)
            _header(page, cert, qr)
            for item in placed:
                if isinstance(item, _Section):
                    page.section(item.key)
                else:
                    page.row(item)
            if i == len(pages):
                page.handwritten()
            if page.y < BOTTOM - 0.5:  # only a layout bug can get here
                raise AssertionError(f"{cert.payload.number}: page {i} overflows")
            _footer(page, cert.payload.number, i, len(pages))
            canvas.showPage()
    embed_files(
        canvas, [(attachment_name(n), c.envelope()) for n, c in zip(numbers, certs, strict=True)]
    )
    canvas.save()
    return buf.getvalue()


def render_certificate(cert: SignedCertificate) -> bytes:
    return render_certificates([cert])
