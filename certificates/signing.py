"""Ed25519 signatures over the canonical payload, and the envelope that travels in the PDF."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates.payload import CertificatePayload, PayloadError

ENVELOPE_FORMAT = "wipe-station-signed-certificate"


def attachment_name(number: str) -> str:
    """The name of a certificate's signed envelope inside a PDF: verifiers look it up by the
    number printed on the page."""
    return f"{number}.json"


class SigningError(Exception):
    """Base of the errors raised while checking a signature."""


class SignatureInvalid(SigningError):
    """The signature does not match the payload under the given key."""


class InvalidPublicKey(SigningError):
    """The key given for checking is not an Ed25519 public key in PEM form."""


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise InvalidPublicKey("the public key file is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidPublicKey("the public key is not an Ed25519 key")
    return key


QR_PREFIX = "WSCERT"
QR_VERSION = "2"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def qr_signed_text(prefix: str, number: str, digest: str) -> str:
    """What a version-2 QR signature covers: ``<prefix>:2:<number>:<digest>`` (ASCII), so a
    paper copy's QR code is checked with the key alone (docs/verification.md)."""
    return f"{prefix}:{QR_VERSION}:{number}:{digest}"


@dataclass(frozen=True)
class SignedCertificate:
    payload: CertificatePayload
    signature: bytes
    # The station's signature over qr_signed_text(); empty for certificates signed before
    # 2026-12-07, whose QR codes (version 1) still carry the payload signature.
    qr_signature: bytes = b""

    @cached_property  # the payload is frozen; each page's QR code and the check both need it
    def canonical(self) -> bytes:
        return self.payload.canonical()

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical).hexdigest()

    @property
    def signature_b64(self) -> str:
        return base64.b64encode(self.signature).decode("ascii")

    def envelope(self) -> bytes:
        """The file embedded in the PDF: payload, signature and algorithm, nothing secret."""
        doc: dict[str, Any] = {
            "format": ENVELOPE_FORMAT,
            "algorithm": "Ed25519",
            "payload": self.payload.to_dict(),
            "signature": self.signature_b64,
        }
        if self.qr_signature:
            doc["qr_signature"] = b64url(self.qr_signature)
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")

    def qr_text(self) -> str:
        """Number, payload digest and the station's signature over both (version 2), which a
        paper copy is checked with; version 1 (no qr_signature) carried the payload signature,
        which paper cannot check."""
        if self.qr_signature:
            signed = qr_signed_text(QR_PREFIX, self.payload.number, self.digest)
            return f"{signed}:{b64url(self.qr_signature)}"
        return f"WSCERT:1:{self.payload.number}:{self.digest}:{b64url(self.signature)}"

    def verify(self, key: Ed25519PublicKey) -> None:
        try:
            key.verify(self.signature, self.canonical)
        except InvalidSignature as exc:
            raise SignatureInvalid("the signature does not match this certificate") from exc
        if self.qr_signature:
            try:
                key.verify(
                    self.qr_signature,
                    qr_signed_text(QR_PREFIX, self.payload.number, self.digest).encode("ascii"),
                )
            except InvalidSignature as exc:
                raise SignatureInvalid("the QR code's signature does not match") from exc

    def with_qr_signature(self, key: Ed25519PrivateKey) -> SignedCertificate:
        """The same certificate with its version-2 QR signature (Ed25519 is deterministic: the
        same key gives the same bytes every time it is drawn)."""
        text = qr_signed_text(QR_PREFIX, self.payload.number, self.digest)
        return SignedCertificate(self.payload, self.signature, key.sign(text.encode("ascii")))


def sign(payload: CertificatePayload, key: Ed25519PrivateKey) -> SignedCertificate:
    return SignedCertificate(payload, key.sign(payload.canonical())).with_qr_signature(key)


def verify_signature(cert: SignedCertificate, public_key_pem: bytes) -> None:
    """Raise InvalidPublicKey or SignatureInvalid unless ``cert`` is signed by that key."""
    cert.verify(load_public_key(public_key_pem))


def read_envelope(data: bytes, fmt: str, what: str) -> tuple[Any, bytes]:
    """The payload (still JSON data) and signature of an embedded envelope of format ``fmt``
    (``what``: "certificate" or "manifest", for the messages); PayloadError when malformed."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"the embedded {what} is not JSON") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise PayloadError(f"the embedded file is not a Wipe Station {what}")
    if doc.get("algorithm") != "Ed25519":
        raise PayloadError(f"unsupported signature algorithm {doc.get('algorithm')!r}")
    try:
        signature = base64.b64decode(str(doc.get("signature", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError("the signature is not base64") from exc
    return doc.get("payload"), signature


def read_qr_signature(data: bytes) -> bytes:
    """An envelope's optional version-2 QR signature (empty for earlier envelopes)."""
    doc = json.loads(data.decode("utf-8"))
    raw = doc.get("qr_signature", "")
    if not isinstance(raw, str):
        raise PayloadError("the QR signature is not base64url")
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)) if raw else b""
    except (binascii.Error, ValueError) as exc:
        raise PayloadError("the QR signature is not base64url") from exc


def parse_envelope(data: bytes) -> SignedCertificate:
    """Read an embedded envelope back; raises PayloadError on anything malformed."""
    payload, signature = read_envelope(data, ENVELOPE_FORMAT, "certificate")
    return SignedCertificate(
        CertificatePayload.from_dict(payload), signature, read_qr_signature(data)
    )
