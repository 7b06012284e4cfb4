"""The recycling hand-over manifest: every phone in a batch, counts, and signature lines for the
depot and the recycler. The phone table runs over as many pages as the batch needs.

A manifest the station signed (``SignedManifest``) carries its signed payload as an embedded file
and a QR code on every page, and is drawn deterministically so ``verify_manifest_pdf`` can draw
it again and compare; an unsigned one is a DRAFT on every page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from certificates.clock import local_and_utc
from certificates.embed import attach_to_pdf
from certificates.labels import L
from certificates.payload import OPTIONAL, PayloadError, _build, _to_jsonable
from certificates.qr import ENCODERS, Encoder, draw_qr
from certificates.signing import (
    SignatureInvalid,
    b64url,
    qr_signed_text,
    read_envelope,
    read_qr_signature,
)
from certificates.style import BOLD, INK, MUTED, REGULAR, RULE, WARN
from certificates.tables import (
    BODY_SIZE,
    CELL_PAD,
    FRAME_W,
    MARGIN,
    PAGE_H,
    PAGE_W,
    Heading,
    Title,
    both,
    build,
    cell,
    gap,
    table,
)
from certificates.text import wrap_all

MANIFEST_SCHEMA = "wipe-station/recycling-manifest/1"


@dataclass(frozen=True)
class Party:
    organization: str
    org_number: str = ""  # Norwegian organisation number
    location: str = ""

    def line(self) -> str:
        org = f"{self.organization} (org.nr. {self.org_number})" if self.org_number else ""
        return ", ".join(x for x in (org or self.organization, self.location) if x)


@dataclass(frozen=True)
class ManifestPhone:
    platform: str
    manufacturer: str
    model: str
    serial_number: str
    imeis: tuple[str, ...]
    certificate_number: str
    emulated: bool = False
    # Its certificate says reusable: false (erased, but locked to its owner): parts only.
    parts_only: bool = field(default=False, metadata=OPTIONAL)


@dataclass(frozen=True)
class RecyclingManifest:
    batch_id: str
    depot: Party
    recycler: Party
    created_at: str  # ISO date or timestamp
    handed_over_at: str  # "" while the batch has not left the depot
    phones: tuple[ManifestPhone, ...]
    station_id: str = field(default="", metadata=OPTIONAL)
    handed_over_by: str = field(default="", metadata=OPTIONAL)  # the depot's operator
    received_by: str = field(default="", metadata=OPTIONAL)  # who signed for the recycler
    timezone: str = field(default="", metadata=OPTIONAL)  # the depot's zone, for the page
    schema: str = MANIFEST_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return _to_jsonable(self)

    def canonical(self) -> bytes:
        return rfc8785.dumps(self.to_dict())

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def from_dict(cls, data: Any) -> RecyclingManifest:
        m = _build(cls, data, "manifest")
        if m.schema != MANIFEST_SCHEMA:
            raise PayloadError(f"unknown manifest schema {m.schema!r}")
        return m


MANIFEST_ENVELOPE = "wipe-station-signed-manifest"


@dataclass(frozen=True)
class SignedManifest:
    """A manifest and the station's Ed25519 signature over its canonical JSON."""

    manifest: RecyclingManifest
    signature: bytes
    # Over WSMANIFEST:2:<batch>:<digest> (docs/verification.md); empty before 2026-12-07.
    qr_signature: bytes = b""

    @property
    def digest(self) -> str:
        return self.manifest.digest()

    def with_qr_signature(self, key: Ed25519PrivateKey) -> SignedManifest:
        text = qr_signed_text("WSMANIFEST", self.manifest.batch_id, self.digest)
        return SignedManifest(self.manifest, self.signature, key.sign(text.encode("ascii")))

    def envelope(self) -> bytes:
        doc = {
            "format": MANIFEST_ENVELOPE,
            "algorithm": "Ed25519",
            "payload": self.manifest.to_dict(),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }
        if self.qr_signature:
            doc["qr_signature"] = b64url(self.qr_signature)
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")

    def qr_text(self) -> str:
        if self.qr_signature:
            signed = qr_signed_text("WSMANIFEST", self.manifest.batch_id, self.digest)
            return f"{signed}:{b64url(self.qr_signature)}"
        return f"WSMANIFEST:1:{self.manifest.batch_id}:{self.digest}:{b64url(self.signature)}"

    def verify(self, key: Ed25519PublicKey) -> None:
        try:
            key.verify(self.signature, self.manifest.canonical())
            if self.qr_signature:
                text = qr_signed_text("WSMANIFEST", self.manifest.batch_id, self.digest)
                key.verify(self.qr_signature, text.encode("ascii"))
        except InvalidSignature as exc:
            raise SignatureInvalid("the signature does not match this manifest") from exc


def sign_manifest(manifest: RecyclingManifest, key: Ed25519PrivateKey) -> SignedManifest:
    return SignedManifest(manifest, key.sign(manifest.canonical())).with_qr_signature(key)


def parse_manifest_envelope(data: bytes) -> SignedManifest:
    """Read an embedded manifest envelope back; raises PayloadError on anything malformed."""
    payload, signature = read_envelope(data, MANIFEST_ENVELOPE, "manifest")
    return SignedManifest(RecyclingManifest.from_dict(payload), signature, read_qr_signature(data))


def _header(nb_en: tuple[str, str]) -> str:
    return "\n".join(nb_en)


def _wrapped(text: str, width: float, size: float = BODY_SIZE) -> str:
    """The whole value on as many lines as the column needs: a signed manifest cuts nothing."""
    return "\n".join(
        line for part in text.split("\n") for line in wrap_all(part, REGULAR, size, width)
    )


def _make_model(p: ManifestPhone, emulated: str, parts: str) -> str:
    text = f"{p.manufacturer} {p.model}" + (emulated if p.emulated else "")
    text += parts if p.parts_only else ""
    return _wrapped(text, _PHONE_COLS[2] - 2 * CELL_PAD)


_PHONE_COLS = (26.0, 44.0, 128.0, 84.0, 90.0, FRAME_W - 372.0)


def _phone_table(phones: Iterable[ManifestPhone]) -> Table:
    emulated = " ({} / {})".format(*L["emulated_short"])
    parts = " – {} / {}".format(*L["parts_only"])
    rows = [
        [
            str(i),
            _wrapped(p.platform, _PHONE_COLS[1] - 2 * CELL_PAD),
            _make_model(p, emulated, parts),
            _wrapped(p.serial_number.replace("\n", " "), _PHONE_COLS[3] - 2 * CELL_PAD),
            "\n".join(p.imeis),  # one per line: a recycler matches them digit by digit
            p.certificate_number,
        ]
        for i, p in enumerate(phones, start=1)
    ]
    header = [
        _header(L[k])
        for k in ("row_no", "platform_short", "make_model", "serial_number", "imeis", "number")
    ]
    return table(header, [r for row in rows for r in _split_tall(row)], _PHONE_COLS, (0,))


_ROW_LINES = 40  # a table row cannot break across pages: taller ones continue in the next row


def _split_tall(row: list[str]) -> list[list[str]]:
    cells = [c.split("\n") for c in row]
    tallest = max(len(c) for c in cells)
    return [
        ["\n".join(c[i : i + _ROW_LINES]) for c in cells] for i in range(0, tallest, _ROW_LINES)
    ]


def _counts(counter: Counter[str], key: str) -> Table:
    rows = [
        [_wrapped(name, FRAME_W - 80 - 2 * CELL_PAD), str(n)]
        for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return table([_header(L[key]), _header(L["count"])], rows, (FRAME_W - 80, 80), (1,))


def _label(key: str) -> str:
    nb, en = L[key]
    return nb if nb == en else f"{nb}\n{en}"


def facts(pairs: list[tuple[str, str]], label_w: float = 150) -> Table:
    """Label/value lines for the header block; values wrapped whole, never cut."""
    value_w = FRAME_W - label_w
    rows = [[label, _wrapped(value, value_w - 2 * CELL_PAD, 9)] for label, value in pairs]
    t = Table(rows, colWidths=[label_w, value_w])
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), BOLD, 7.2, 8.6),
                ("FONT", (1, 0), (1, -1), REGULAR, 9, 11),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
            ]
        )
    )
    return t


def _signature_block(depot: Party, recycler: Party) -> Flowable:
    """Each party signs on a line, with what to write printed under it."""
    half = FRAME_W / 2
    rows: list[list[str]] = [
        [both("for_depot"), "", both("for_recycler")],
        [
            _wrapped(depot.organization, half - 16, 8),
            "",
            _wrapped(recycler.organization, half - 16, 8),
        ],
    ]
    line_rows = []
    for key in ("sign_name", "handwritten", "sign_date"):
        line_rows.append(len(rows))
        rows += [["", "", ""], [both(key), "", both(key)]]
    t = Table(rows, colWidths=[half - 12, 24, half - 12])
    style: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, 0), BOLD, 9),
        ("FONT", (0, 1), (-1, 1), REGULAR, 8),
        ("FONT", (0, 2), (-1, -1), REGULAR, 7),
        ("TEXTCOLOR", (0, 0), (-1, 1), INK),
        ("TEXTCOLOR", (0, 2), (-1, -1), MUTED),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    for r in line_rows:
        style += [
            ("TOPPADDING", (0, r), (-1, r), 20),
            ("LINEBELOW", (0, r), (0, r), 0.6, INK),
            ("LINEBELOW", (2, r), (2, r), 0.6, INK),
        ]
    t.setStyle(TableStyle(style))
    return KeepTogether([Heading(*L["s_signatures"]), t])


HEADER_H = 70.0  # room above the frame on every page: batch, QR code or DRAFT band
QR_SIZE = 64.0


def _when(text: str, zone: str) -> str:
    return local_and_utc(text, zone) if "T" in text else text


def render_manifest(
    document: RecyclingManifest | SignedManifest, qr: Encoder = ENCODERS[0]
) -> bytes:
    """Draw the manifest. A ``SignedManifest`` gets its QR code on every page and its signed
    payload embedded; a bare ``RecyclingManifest`` is marked DRAFT on every page. ``qr`` lets
    the verifier draw the QR codes as an earlier station version did."""
    signed = document if isinstance(document, SignedManifest) else None
    manifest = signed.manifest if signed else document
    assert isinstance(manifest, RecyclingManifest)
    phones = manifest.phones
    n_emulated = sum(p.emulated for p in phones)
    n_parts = sum(p.parts_only for p in phones)
    zone = manifest.timezone
    pairs = [
        (_label("batch_id"), manifest.batch_id),
        (_label("depot"), manifest.depot.line()),
        (_label("recycler"), manifest.recycler.line()),
        (_label("created"), _when(manifest.created_at, zone)),
        (_label("handed_over"), _when(manifest.handed_over_at, zone) or "–"),
        (_label("handed_over_by"), manifest.handed_over_by or "–"),
        (_label("received_by"), manifest.received_by or "–"),
        (_label("phone_count"), str(len(phones))),
    ]
    if n_emulated:
        pairs.append((_label("emulated_count"), str(n_emulated)))
    if n_parts:
        pairs.append((_label("parts_only_count"), str(n_parts)))
    story: list[Flowable] = [
        Title(*L["m_title"], subtitle="{} · {}".format(*L["m_subtitle"])),
        facts(pairs),
        gap(10),
        Heading(*L["s_phones"]),
        _phone_table(phones),
        gap(10),
        KeepTogether(
            [
                Heading(*L["s_by_platform"]),
                _counts(Counter(p.platform for p in phones), "platform_short"),
            ]
        ),
        gap(10),
        Heading(*L["s_by_model"]),
        _counts(Counter(f"{p.manufacturer} {p.model}" for p in phones), "model"),
        gap(14),
        _signature_block(manifest.depot, manifest.recycler),
    ]
    if signed:  # what the QR code and the embedded file carry, for a reader without a scanner
        story += [gap(10), facts([(_label("payload_digest"), signed.digest)])]
    title = f"{L['m_title'][1]} {cell(manifest.batch_id, 400)}"
    footer = (
        f"{both('batch_id')}: {manifest.batch_id} · {both('recycler')}: {manifest.recycler.line()}"
    )

    def decorate(c: Canvas, page: int) -> None:
        top = PAGE_H - MARGIN
        c.setFillColor(INK)
        c.setFont(BOLD, 11)
        c.drawString(MARGIN, top - 12, manifest.batch_id)
        c.setFont(REGULAR, 7)
        c.setFillColor(MUTED)
        c.drawString(MARGIN, top - 22, both("m_title"))
        if signed:
            c.drawString(MARGIN, top - 34, L["m_verify_hint"][0])
            c.drawString(MARGIN, top - 43, L["m_verify_hint"][1])
            draw_qr(c, signed.qr_text(), PAGE_W - MARGIN - QR_SIZE, top - QR_SIZE, QR_SIZE, qr)
            return
        # Unsigned: a band on top and a large mark across the page, on every page.
        c.setFillColor(WARN)
        c.rect(MARGIN, top - HEADER_H + 8, PAGE_W - 2 * MARGIN, 26, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(BOLD, 10)
        c.drawCentredString(PAGE_W / 2, top - HEADER_H + 24, L["draft"][0])
        c.setFont(REGULAR, 8)
        c.drawCentredString(PAGE_W / 2, top - HEADER_H + 13, L["draft"][1])
        c.saveState()
        c.setFillColor(colors.Color(0.69, 0.23, 0.18, alpha=0.15))
        c.translate(PAGE_W / 2, PAGE_H / 2)
        c.rotate(45)
        c.setFont(BOLD, 72)
        c.drawCentredString(0, 0, L["draft_mark"][0])
        c.drawCentredString(0, -80, L["draft_mark"][1])
        c.restoreState()

    pdf = build(
        story,
        title=title,
        subject=both("m_title"),
        footer=footer,
        top=HEADER_H,
        decorate=decorate,
    )
    if signed is None:
        return pdf
    return attach_to_pdf(pdf, [(manifest_attachment_name(manifest.batch_id), signed.envelope())])


def manifest_attachment_name(batch_id: str) -> str:
    return f"{batch_id}.json"
