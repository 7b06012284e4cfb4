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


@dataclass(frozen=True)
class SignedCertificate:
    payload: CertificatePayload
    signature: bytes

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
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")

    def qr_text(self) -> str:
        """Number, payload digest and signature: enough to check a paper copy against the key."""
        sig = base64.urlsafe_b64encode(self.signature).decode("ascii").rstrip("=")
        return f"WSCERT:1:{self.payload.number}:{self.digest}:{sig}"

    def verify(self, key: Ed25519PublicKey) -> None:
        try:
            key.verify(self.signature, self.canonical)
        except InvalidSignature as exc:
            raise SignatureInvalid("the signature does not match this certificate") from exc


def sign(payload: CertificatePayload, key: Ed25519PrivateKey) -> SignedCertificate:
    return SignedCertificate(payload, key.sign(payload.canonical()))


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


def parse_envelope(data: bytes) -> SignedCertificate:
    """Read an embedded envelope back; raises PayloadError on anything malformed."""
    payload, signature = read_envelope(data, ENVELOPE_FORMAT, "certificate")
    return SignedCertificate(CertificatePayload.from_dict(payload), signature)
