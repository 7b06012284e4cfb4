"""Offline verification of a certificate PDF: needs the file and the station's public key only."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from certificates.payload import CertificatePayload, PayloadError
from certificates.render import attachment_name
from certificates.signing import SignatureInvalid, SignedCertificate, parse_envelope

NUMBER_RE = re.compile(r"WS-[A-Z0-9]{2,16}-\d{4}-\d{6}")


class VerificationError(Exception):
    """The certificate must not be trusted; the message says why, in one line."""


class NotAPdf(VerificationError):
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


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise BadPublicKey("the public key file is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BadPublicKey("the public key is not an Ed25519 key")
    return key


def verify_pdf(pdf: bytes, public_key_pem: bytes) -> list[VerifiedCertificate]:
    """Check every certificate in ``pdf``: signature, and the number printed on its page."""
    key = load_public_key(public_key_pem)
    if not pdf.startswith(b"%PDF-"):
        raise NotAPdf("the file is not a PDF")
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        attachments = reader.attachments
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise NotAPdf(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from exc
    if not pages:
        raise NotAPdf("the PDF has no pages")
    results = []
    for index, text in enumerate(pages, start=1):
        shown = NUMBER_RE.findall(text)
        if not shown:
            raise NumberMismatch(f"page {index} shows no certificate number")
        number = shown[0]
        files = attachments.get(attachment_name(number))
        if not files:
            raise NoEmbeddedCertificate(
                f"page {index} shows {number}, but no signed certificate with that number is "
                "embedded in the PDF"
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
        if signed.payload.number != number or any(n != number for n in shown):
            raise NumberMismatch(
                f"page {index} shows {number}, but the signed certificate is "
                f"{signed.payload.number}"
            )
        results.append(VerifiedCertificate(signed, index))
    return results


def describe(cert: VerifiedCertificate) -> list[str]:
    """The signed fields, one per line, for `certificate verify` output."""
    lines = [f"certificate: {cert.payload.number}", f"payload digest: {cert.signed.digest}"]

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                for i, v in enumerate(value):
                    walk(f"{prefix}[{i}]", v)
            else:
                lines.append(f"{prefix}: {', '.join(str(v) for v in value)}")
        else:
            lines.append(f"{prefix}: {value}")

    walk("", cert.payload.to_dict())
    return lines
