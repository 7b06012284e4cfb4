"""Checking a paper copy: the QR codes on a scan, a photo or a PDF that carries no signed data.

A version-2 QR code (``WSCERT:2:<number>:<digest>:<qrsig>``) carries the station's signature
over its number and payload digest. Checking it with the key proves exactly this: the station
issued certificate <number>, whose signed payload has SHA-256 <digest>. It does not prove that
the fields printed beside it are that payload's: compare them with the station's record
(`certificate verify --bundle`, or the auditor's export) or with the PDF that carries the
signed data.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certificates.payload import NUMBER_RE

__all__ = ["QrFinding", "check_qr_text", "is_image", "qr_texts_in_image", "qr_texts_in_pdf"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_BATCH = re.compile(r"RB-[A-Z0-9]{2,16}-\d{4}-\d{4,}")
SCAN_DPI = 200


@dataclass(frozen=True)
class QrFinding:
    """One QR code read off a copy, and what checking it showed."""

    page: int
    text: str
    status: str  # "signed" | "forged" | "unsigned" (version 1) | "foreign"
    number: str = ""
    digest: str = ""

    def line(self) -> str:
        where = f"page {self.page}: "
        if self.status == "signed":
            return (
                f"{where}QR code signed by the station: it issued {self.number} with payload "
                f"digest {self.digest}"
            )
        if self.status == "unsigned":
            return (
                f"{where}QR code of {self.number} in the earlier form (version 1): its signature "
                "covers the whole payload, which paper does not carry; it cannot be checked "
                "from paper"
            )
        if self.status == "forged":
            return f"{where}QR code claims {self.number or 'a document'}, but its signature fails"
        return f"{where}a QR code that is not the station's"


def check_qr_text(text: str, key: Ed25519PublicKey, page: int = 1) -> QrFinding:
    parts = text.split(":")
    if len(parts) != 5 or parts[0] not in ("WSCERT", "WSMANIFEST"):
        return QrFinding(page, text, "foreign")
    prefix, version, number, digest, sig = parts
    shape = NUMBER_RE if prefix == "WSCERT" else _BATCH
    if not shape.fullmatch(number) or not _DIGEST.fullmatch(digest):
        return QrFinding(page, text, "forged", number)
    if version == "1":
        return QrFinding(page, text, "unsigned", number, digest)
    if version != "2":
        return QrFinding(page, text, "foreign")
    try:
        raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
        key.verify(raw, f"{prefix}:2:{number}:{digest}".encode("ascii"))
    except (binascii.Error, ValueError, InvalidSignature):
        return QrFinding(page, text, "forged", number, digest)
    return QrFinding(page, text, "signed", number, digest)


def is_image(data: bytes) -> bool:
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"))


def qr_texts_in_image(data: bytes) -> list[str]:
    """Every QR code zxing-cpp finds in a scan or photo."""
    import zxingcpp
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found]


def qr_texts_in_pdf(pdf: bytes) -> list[list[str]]:
    """Every QR code on each page of a PDF (a scan saved as PDF, a print to PDF), each page
    rendered whole with PDFium."""
    import pypdfium2 as pdfium
    import zxingcpp

    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in doc:
            image = page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil()
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            out.append([code.text for code in found])
        return out
    finally:
        doc.close()


WHAT_IT_PROVES = (
    "A signed QR code proves that the station issued that number with that payload digest; "
    "it does not prove the printed fields. Compare them with the station's record "
    "(`certificate verify --bundle`, the auditor's export) or with the PDF carrying the "
    "signed data."
)


def check_copy(data: bytes, key: Ed25519PublicKey) -> list[QrFinding]:
    """The QR codes of a scan, photo (PNG, JPEG, TIFF) or PDF copy, each checked with ``key``."""
    pages = [qr_texts_in_image(data)] if is_image(data) else qr_texts_in_pdf(data)
    return [check_qr_text(t, key, i) for i, texts in enumerate(pages, start=1) for t in texts]
