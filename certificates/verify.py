"""Offline verification of a certificate PDF: needs the file and the station's public key only."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certificates import pagecheck
from certificates.labels import L, both
from certificates.payload import NUMBER_RE, CertificatePayload, PayloadError

if TYPE_CHECKING:
    from certificates.render import Layout
from certificates.pdfstrict import Structure, StructureError, Unreadable, read_structure
from certificates.qr import ENCODERS
from certificates.signing import (
    InvalidPublicKey,
    SignatureInvalid,
    SignedCertificate,
    attachment_name,
    load_public_key,
    parse_envelope,
)


class VerificationError(Exception):
    """The certificate must not be trusted; the message says why, in one line."""


class NotAPdf(VerificationError):
    pass


class DamagedPdf(VerificationError):
    pass


class NoEmbeddedCertificate(VerificationError):
    pass


class ForgedStructure(VerificationError):
    """The file has a shape the station never writes (see certificates/pdfstrict.py)."""


class NotVerifiable(NoEmbeddedCertificate):
    """The copy carries no signed data at all (a print, a scan, a merge that dropped the
    attachments): neither valid nor forged; its QR codes may still be checked."""


class MalformedCertificate(VerificationError):
    pass


class BadSignature(VerificationError):
    pass


class NumberMismatch(VerificationError):
    pass


class BadPublicKey(VerificationError):
    pass


@dataclass(frozen=True)
class VerifiedCertificate:
    signed: SignedCertificate
    page: int

    @property
    def payload(self) -> CertificatePayload:
        return self.signed.payload


class PageMismatch(VerificationError):
    """The page shows something other than what the signed certificate draws."""


class QrMismatch(VerificationError):
    pass


class PagesMissingOrAdded(VerificationError):
    pass


class Superseded(VerificationError):
    """Genuine, but a later certificate replaces it (known only from the audit bundle)."""


def verify_pdf(
    pdf: bytes, public_key_pem: bytes, *, check_qr: bool = True
) -> list[VerifiedCertificate]:
    """Check every certificate in ``pdf``: its embedded signed payload and the signature under
    ``public_key_pem``, then every page against the pages that signed payload draws — the text
    field by field, the QR codes read off the rendered page, and the page objects as a whole.

    Returns the verified certificates in file order (``page`` is each one's first page), or
    raises a VerificationError subclass whose one-line message names what differs.
    """
    try:
        key = load_public_key(public_key_pem)
    except InvalidPublicKey as exc:
        raise BadPublicKey(str(exc)) from exc
    structure = read_strictly(pdf)
    from certificates.pagecheck import Drawn

    try:
        shown_doc = Drawn(pdf)
        texts = [shown_doc.text(i) for i in range(len(shown_doc))]
    except Exception as exc:  # PDFium refusing a file the strict reader passed
        raise DamagedPdf(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from exc
    attachments = {k: [v] for k, v in structure.attachments.items()}
    foreign_attachment(attachments, NUMBER_RE)
    if not texts or len(texts) != structure.page_count:
        raise DamagedPdf("the PDF has no pages")
    envelopes = [n for n in attachments if NUMBER_RE.fullmatch(n.removesuffix(".json"))]
    if not envelopes:
        raise NotVerifiable(not_verifiable_message(texts, "certificate"))
    shown = [_visible_number(i, text) for i, text in enumerate(texts, start=1)]
    unclaimed = sorted(
        name.removesuffix(".json")
        for name in attachments
        if NUMBER_RE.fullmatch(name.removesuffix(".json"))
        and name.removesuffix(".json") not in shown
    )
    verified: dict[str, VerifiedCertificate] = {}
    for index, number in enumerate(shown, start=1):
        if number not in verified:
            verified[number] = _verify_page(
                index, number, attachments.get(attachment_name(number)), unclaimed, key
            )
    certs = list(verified.values())
    from certificates.render import LAYOUTS

    runs: list[VerificationError] = []
    drawn: list[VerificationError] = []
    # The layout whose subtitle the first page shows first (its differences are the ones to
    # name), then the others: a file an earlier station version drew matches its own.
    subtitle = " ".join(texts[0].split())
    layouts = sorted(LAYOUTS, key=lambda lay: " ".join(L[lay.subtitle][1].split()) not in subtitle)
    try:
        for layout in layouts:
            try:
                _check_page_runs(shown, verified, unclaimed, layout)
            except PagesMissingOrAdded as exc:
                runs.append(exc)
                continue
            try:
                _compare_pages(shown_doc, certs, shown, check_qr, layout)
                return certs
            except (PageMismatch, QrMismatch) as exc:
                drawn.append(exc)
    except VerificationError:
        raise
    except Exception as exc:  # a renderer on a hostile page
        raise DamagedPdf(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from exc
    finally:
        shown_doc.close()
    raise (drawn or runs)[0]


def read_strictly(pdf: bytes) -> Structure:
    """The strict structure check every verification starts with: FORGED for a shape the
    station never writes, damaged for bytes that do not parse."""
    if not pdf.startswith(b"%PDF-"):
        raise NotAPdf("the file is not a PDF")
    try:
        return read_structure(pdf)
    except StructureError as exc:
        raise ForgedStructure(str(exc)) from exc
    except Unreadable as exc:
        raise DamagedPdf(f"the PDF is damaged and cannot be read: {exc}") from exc


def foreign_attachment(attachments: dict[str, list[bytes]], shape: re.Pattern[str]) -> None:
    """FORGED when a file is embedded that the station never embeds (its envelopes only)."""
    for name in attachments:
        if not shape.fullmatch(name.removesuffix(".json")) or not name.endswith(".json"):
            raise ForgedStructure(
                f"the file embeds {terminal_safe(name)!r}, which the station never embeds"
            )


def page_ranges(pages: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    runs: list[list[int]] = []
    for p in pages:
        if runs and runs[-1][-1] == p - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def not_verifiable_message(texts: list[str], what: str) -> str:
    """Why a file without any signed data cannot be checked, and how to check it instead."""
    shown = sorted({m.group(0) for t in texts for m in NUMBER_RE.finditer(t)})
    which = f" (it shows {', '.join(shown[:5])}{' …' if len(shown) > 5 else ''})" if shown else ""
    pages = page_ranges(list(range(1, len(texts) + 1)))
    return (
        f"{'page' if len(texts) == 1 else 'pages'} {pages} "
        f"{'carries' if len(texts) == 1 else 'carry'} no signed {what} data"
        f"{which}: this is a print, a scan or a merge that dropped the attachments. Check its "
        "QR codes (`certificate verify` reads them off a scan or this PDF's pages) and compare "
        "the printed fields with the station's record (`--bundle`, or the auditor's export)"
    )


def _check_page_runs(
    shown: list[str],
    verified: dict[str, VerifiedCertificate],
    unclaimed: list[str],
    layout: Layout,
) -> None:
    """Each certificate's pages stand together and all of them are there."""
    from certificates.render import page_count

    runs: list[tuple[str, int, int]] = []  # number, first page, pages
    for index, number in enumerate(shown, start=1):
        if runs and runs[-1][0] == number:
            runs[-1] = (number, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((number, index, 1))
    seen: dict[str, int] = {}
    for number, first, count in runs:
        if number in seen:
            raise PagesMissingOrAdded(
                f"{number} appears twice, on page {seen[number]} and on page {first}: a page "
                "was added"
            )
        seen[number] = first
        want = page_count(verified[number].signed, layout)
        if count != want:
            change = "removed" if count < want else "added"
            raise PagesMissingOrAdded(
                f"{number} takes {want} page(s), but the file holds {count} of its pages "
                f"(pages {first}-{first + count - 1}): a page was {change}"
            )
    if unclaimed:
        raise PagesMissingOrAdded(
            f"the file embeds the signed certificate {unclaimed[0]}, but no page shows it: "
            "its page was removed"
        )


def _compare_pages(
    shown_doc: pagecheck.Drawn,
    certs: list[VerifiedCertificate],
    shown: list[str],
    check_qr: bool,
    layout: Layout,
) -> None:
    from certificates.render import MARGIN, PAGE_W, QR_SIZE, render_certificates

    signed = [c.signed for c in certs]
    drawings = [
        pagecheck.cached(
            lambda enc=enc: pagecheck.Drawn(render_certificates(signed, qr=enc, layout=layout))
        )
        for enc in ENCODERS
    ]
    expected = drawings[0]()
    if len(expected) != len(shown_doc):  # _check_page_runs makes this unreachable
        raise PagesMissingOrAdded(
            f"the signed certificates take {len(expected)} pages, the file has {len(shown_doc)}"
        )
    by_number = {c.payload.number: c.signed for c in certs}
    # Where render.py draws each page's QR code, with a margin around it.
    box = (PAGE_W - MARGIN - QR_SIZE - 24, MARGIN - 24, QR_SIZE + 48, QR_SIZE + 48)
    for index in range(1, len(shown_doc) + 1):
        number = shown[index - 1]
        labels = {**_LABEL_LINES, number: "certificate number"}
        diff = pagecheck.first_page_difference(
            shown_doc,
            index - 1,
            drawings,
            index - 1,
            list(labels),
            lambda want, labels=labels: pagecheck.field_names(want, labels),
            "the signed certificate",
            (lambda i=index, n=number: _check_qr(i, by_number[n], shown_doc.qr_codes(i - 1, box)))
            if check_qr
            else (lambda: None),
        )
        if diff:
            raise PageMismatch(f"page {index} ({number}) {diff}")


def _label_lines() -> dict[str, str]:
    """Each row label as the page shows it (English, also "… (continued)"), to its name."""
    out: dict[str, str] = {}
    for _nb, en in L.values():
        for text in (en, f"{en} ({L['continued'][1]})"):
            out[" ".join(text.split())] = en.lower()
    out[" ".join(f"{L['issued_at'][0]} / {L['issued_at'][1]}:".split())] = "issue time"
    return out


_LABEL_LINES = _label_lines()


def _check_qr(index: int, cert: SignedCertificate, found: list[str]) -> None:
    want = cert.qr_text()
    if found == [want]:
        return
    number = cert.payload.number
    if not found:
        raise QrMismatch(f"page {index} ({number}) has no readable QR code")
    for text in found:
        if text == want:
            continue
        parts = text.split(":")
        if len(parts) >= 3 and parts[0] == "WSCERT" and parts[2] != number:
            raise QrMismatch(f"page {index} shows {number}, but its QR code belongs to {parts[2]}")
        raise QrMismatch(
            f"page {index} ({number}): the QR code does not match the signed certificate "
            f"(it reads {text[:60]!r})"
        )
    raise QrMismatch(f"page {index} ({number}) carries {len(found)} QR codes; it should carry one")


def _visible_number(index: int, text: str) -> str:
    # The header is drawn first, so its number is the first in the text; a phone's model name
    # that happens to look like a number further down cannot stand in for it.
    found = NUMBER_RE.search(text)
    if found is None:
        raise NumberMismatch(f"page {index} shows no certificate number")
    return found.group(0)


def _verify_page(
    index: int,
    number: str,
    files: list[bytes] | None,
    unclaimed: list[str],
    key: Ed25519PublicKey,
) -> VerifiedCertificate:
    if not files:
        if unclaimed:  # a certificate is embedded, but the page names another one
            raise NumberMismatch(
                f"page {index} shows {number}, but the signed certificate embedded for it is "
                f"{unclaimed[0]}"
            )
        raise NoEmbeddedCertificate(
            f"page {index} shows {number}, but no signed certificate is embedded for it, "
            "while other pages of the file carry signed data: a page was put in"
        )
    try:
        signed = parse_envelope(files[0])
    except PayloadError as exc:
        raise MalformedCertificate(f"{number}: {exc}") from exc
    try:
        signed.verify(key)
    except SignatureInvalid as exc:
        what = "the QR code's signature" if "QR" in str(exc) else "the signature"
        raise BadSignature(
            f"{number}: {what} does not match the signed content under this key "
            "(altered certificate, or another station's key)"
        ) from exc
    if signed.payload.number != number:
        raise NumberMismatch(
            f"page {index} shows {number}, but the signed certificate is {signed.payload.number}"
        )
    return VerifiedCertificate(signed, index)


def describe(cert: VerifiedCertificate, bilingual: bool = False) -> list[str]:
    """The signed fields, one per line, for `certificate verify` output.

    Lines are ``path: value`` (``media.serial_number: R58N…``); with ``bilingual`` the path is
    followed by the bokmål / English label where the page has one. Values are escaped so text
    that came from a phone cannot drive the operator's terminal.
    """
    lines = [f"certificate: {cert.payload.number}", f"payload digest: {cert.signed.digest}"]

    def label(path: str) -> str:
        key = _LABELS.get(re.sub(r"\[\d+\]", "", path))
        return f"{path} ({both(key)})" if bilingual and key else path

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                for i, v in enumerate(value):
                    walk(f"{prefix}[{i}]", v)
            else:
                lines.append(f"{label(prefix)}: {', '.join(terminal_safe(str(v)) for v in value)}")
        else:
            lines.append(f"{label(prefix)}: {terminal_safe(str(value))}")

    walk("", cert.payload.to_dict())
    return lines


def terminal_safe(text: str) -> str:
    """Control, bidi and other format characters as visible ``\\u`` escapes; the rest as is."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] == "C" else ch
        for ch in text
    )


_LABELS = {
    "number": "number",
    "issued_at": "issued_at",
    "station_id": "station",
    "performed_by.name": "name",
    "performed_by.title": "title_role",
    "performed_by.organization": "organization",
    "performed_by.phone": "phone",
    "media.manufacturer": "manufacturer",
    "media.model": "model",
    "media.serial_number": "serial_number",
    "media.property_number": "property_number",
    "media.media_type": "media_type",
    "media.source": "source",
    "media.classification": "classification",
    "media.data_backed_up": "data_backed_up",
    "sanitization.method_type": "method_type",
    "sanitization.method_used": "method_used",
    "sanitization.method_details": "method_details",
    "sanitization.tool": "tool",
    "sanitization.verification_method": "verification_method",
    "sanitization.post_classification": "post_classification",
    "sanitization.notes": "notes",
    "destination.description": "destination",
    "destination.facility": "facility",
    "validation.validator": "validator",
    "validation.date": "validation_date",
    "mobile.imeis": "imeis",
    "mobile.udid": "udid",
    "mobile.blockers.code": "blockers",
    "mobile.evidence_digest": "evidence_digest",
    "mobile.reset_route": "reset_route",
    "mobile.verification_level": "verification_level",
    "mobile.activation_lock": "activation_lock",
    "mobile.reusable": "reuse",
    "supersedes": "supersedes",
    "customer.name": "customer",
    "audit.seq": "audit",
}
