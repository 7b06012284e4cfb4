"""Offline verification of a certificate PDF: needs the file and the station's public key only."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader

from certificates.labels import both
from certificates.payload import NUMBER_RE, CertificatePayload, PayloadError
from certificates.signing import (
    InvalidPublicKey,
    SignatureInvalid,
    SignedCertificate,
    attachment_name,
    load_public_key,
    parse_envelope,
)


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs its repairs of broken files; the verdict already says the file is broken."""
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


class VerificationError(Exception):
    """The certificate must not be trusted; the message says why, in one line."""


class NotAPdf(VerificationError):
    pass


class DamagedPdf(VerificationError):
    pass


class NoEmbeddedCertificate(VerificationError):
    pass


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


def verify_pdf(pdf: bytes, public_key_pem: bytes) -> list[VerifiedCertificate]:
    """Check every certificate in ``pdf`` (one per page): its embedded signed payload, the
    signature under ``public_key_pem``, and the number printed on its page.

    Returns the verified certificates in page order, or raises a VerificationError subclass.
    """
    try:
        key = load_public_key(public_key_pem)
    except InvalidPublicKey as exc:
        raise BadPublicKey(str(exc)) from exc
    if not pdf.startswith(b"%PDF-"):
        raise NotAPdf("the file is not a PDF")
    try:
        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(pdf), strict=False)
            attachments = reader.attachments
            pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # a parser fed hostile bytes fails in many ways; all mean "damaged"
        raise DamagedPdf(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from exc
    if not pages:
        raise DamagedPdf("the PDF has no pages")
    shown = [_visible_number(i, text) for i, text in enumerate(pages, start=1)]
    unclaimed = sorted(
        name.removesuffix(".json")
        for name in attachments
        if NUMBER_RE.fullmatch(name.removesuffix(".json"))
        and name.removesuffix(".json") not in shown
    )
    return [
        _verify_page(index, number, attachments.get(attachment_name(number)), unclaimed, key)
        for index, number in enumerate(shown, start=1)
    ]


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
            f"page {index} shows {number}, but no signed certificate is embedded for it"
        )
    try:
        signed = parse_envelope(files[0])
    except PayloadError as exc:
        raise MalformedCertificate(f"{number}: {exc}") from exc
    try:
        signed.verify(key)
    except SignatureInvalid as exc:
        raise BadSignature(
            f"{number}: the signature does not match the signed content under this key "
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
    "customer.name": "customer",
    "audit.seq": "audit",
}
