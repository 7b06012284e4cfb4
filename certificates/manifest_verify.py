"""Offline verification of a hand-over manifest PDF: the file and the station's public key only.

The same method as for certificates: the embedded signed manifest is checked under the key, then
drawn again and compared with every page (text, QR codes, page objects), so each certificate
number, serial and name printed is the one the station signed.
"""

from __future__ import annotations

import re

from certificates import pagecheck
from certificates.labels import L
from certificates.manifest import (
    QR_SIZE,
    SignedManifest,
    manifest_attachment_name,
    parse_manifest_envelope,
    render_manifest,
)
from certificates.payload import PayloadError
from certificates.qr import ENCODERS
from certificates.signing import InvalidPublicKey, SignatureInvalid, load_public_key
from certificates.tables import MARGIN, PAGE_W
from certificates.verify import (
    BadPublicKey,
    BadSignature,
    DamagedPdf,
    MalformedCertificate,
    NoEmbeddedCertificate,
    NotVerifiable,
    PageMismatch,
    PagesMissingOrAdded,
    QrMismatch,
    VerificationError,
    foreign_attachment,
    read_strictly,
)

DRAFT_WORDS = ("UTKAST", "DRAFT")
BATCH_RE = re.compile(r"RB-[A-Z0-9]{2,16}-\d{4}-\d{4,}")


_LABEL_LINES = {en: en.lower() for _nb, en in L.values()}


class DraftManifest(VerificationError):
    """An open batch's draft: never signed, so never a hand-over record."""


def verify_manifest_pdf(
    pdf: bytes, public_key_pem: bytes, *, check_qr: bool = True
) -> SignedManifest:
    """Return the signed manifest the PDF shows, or raise a VerificationError saying why not."""
    try:
        key = load_public_key(public_key_pem)
    except InvalidPublicKey as exc:
        raise BadPublicKey(str(exc)) from exc
    structure = read_strictly(pdf)
    try:
        shown = pagecheck.Drawn(pdf)
        first = shown.text(0) if len(shown) else ""
    except Exception as exc:  # PDFium refusing a file the strict reader passed
        raise DamagedPdf(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from exc
    attachments = {k: [v] for k, v in structure.attachments.items()}
    foreign_attachment(attachments, BATCH_RE)
    if not len(shown) or len(shown) != structure.page_count:
        raise DamagedPdf("the PDF has no pages")
    found = BATCH_RE.search(first or "")
    batch = found.group(0) if found else ""
    files = attachments.get(manifest_attachment_name(batch)) if batch else None
    if not files:
        if all(word in (first or "") for word in DRAFT_WORDS):
            raise DraftManifest(
                f"{batch or 'this manifest'} is a DRAFT of an open batch: it is not signed"
            )
        if not attachments:
            raise NotVerifiable(
                f"batch {batch or '(none)'}: the file carries no signed manifest (a print, a "
                "scan or a copy that dropped the attachments); check its QR code with `batch "
                "verify` on a scan, and compare the printed rows with the station's record"
            )
        raise NoEmbeddedCertificate(
            f"page 1 shows batch {batch or '(none)'}, but no signed manifest is embedded for it"
        )
    try:
        signed = parse_manifest_envelope(files[0])
    except PayloadError as exc:
        raise MalformedCertificate(f"{batch}: {exc}") from exc
    try:
        signed.verify(key)
    except SignatureInvalid as exc:
        raise BadSignature(
            f"{batch}: the signature does not match the signed manifest under this key "
            "(altered manifest, or another station's key)"
        ) from exc
    if signed.manifest.batch_id != batch:
        raise PageMismatch(
            f"page 1 shows batch {batch}, but the signed manifest is {signed.manifest.batch_id}"
        )
    try:
        _compare(shown, signed, check_qr)
    except VerificationError:
        raise
    except Exception as exc:
        raise DamagedPdf(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from exc
    return signed


def _compare(shown: pagecheck.Drawn, signed: SignedManifest, check_qr: bool) -> None:
    batch = signed.manifest.batch_id
    drawings = [
        pagecheck.cached(lambda enc=enc: pagecheck.Drawn(render_manifest(signed, qr=enc)))
        for enc in ENCODERS
    ]
    expected = drawings[0]()
    if len(expected) != len(shown):
        change = "removed" if len(shown) < len(expected) else "added"
        raise PagesMissingOrAdded(
            f"the signed manifest of {batch} takes {len(expected)} page(s), the file has "
            f"{len(shown)}: a page was {change}"
        )
    numbers = {p.certificate_number: f"the phone with certificate {p.certificate_number}"
               for p in signed.manifest.phones}  # fmt: skip

    def names(want_lines: list[str]) -> list[str | None]:
        fields = pagecheck.field_names(want_lines, _LABEL_LINES)
        return [
            next((n for k, n in numbers.items() if k in line), field)
            for line, field in zip(want_lines, fields, strict=True)
        ]

    want = signed.qr_text()
    box = (PAGE_W - MARGIN - QR_SIZE - 24, MARGIN - 24, 112, 112)

    def qr(index: int) -> None:
        found = shown.qr_codes(index - 1, box)
        if found == [want]:
            return
        if not found:
            raise QrMismatch(f"page {index} ({batch}) has no readable QR code")
        other = [t.split(":")[2] for t in found if t.count(":") >= 2 and t != want]
        raise QrMismatch(
            f"page {index} shows {batch}, but its QR code belongs to "
            f"{other[0] if other else 'something else'}"
        )

    for index in range(1, len(shown) + 1):
        diff = pagecheck.first_page_difference(
            shown, index - 1, drawings, index - 1, list(_LABEL_LINES), names,
            "the signed manifest", (lambda i=index: qr(i)) if check_qr else (lambda: None),
        )  # fmt: skip
        if diff:
            raise PageMismatch(f"page {index} ({batch}) {diff}")
