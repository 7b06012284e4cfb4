"""Signed hand-over manifests: verified offline like certificates, and refused when edited."""

from __future__ import annotations

import dataclasses
import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader, PdfWriter

from certificates.manifest import (
    RecyclingManifest,
    SignedManifest,
    manifest_attachment_name,
    render_manifest,
    sign_manifest,
)
from certificates.manifest_verify import DraftManifest, verify_manifest_pdf
from certificates.verify import (
    BadSignature,
    DamagedPdf,
    PageMismatch,
    PagesMissingOrAdded,
    VerificationError,
)
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_manifest


def _manifest(count: int = 40) -> RecyclingManifest:
    m = sample_manifest(count)
    phones = tuple(dataclasses.replace(p, parts_only=i == 2) for i, p in enumerate(m.phones))
    return dataclasses.replace(
        m,
        phones=phones,
        station_id="OSL01",
        handed_over_at="2026-11-26T13:05:09.000000Z",
        handed_over_by="Kari Nordmann",
        received_by="Ola Nordmann",
        timezone="Europe/Oslo",
    )


SIGNED = sign_manifest(_manifest(), KEY)
GENUINE = render_manifest(SIGNED)


def _text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def _behind_genuine_envelope(page_of: SignedManifest) -> bytes:
    """Pages drawn for an edited manifest, with the genuine signed manifest embedded."""
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(render_manifest(page_of))).pages:
        writer.add_page(page)
    writer.add_attachment(manifest_attachment_name(SIGNED.manifest.batch_id), SIGNED.envelope())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refused(pdf: bytes, error: type[VerificationError], *fragments: str) -> None:
    with pytest.raises(error) as err:
        verify_manifest_pdf(pdf, PEM)
    assert "\n" not in str(err.value)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_a_signed_manifest_verifies_and_shows_who_when_and_parts_only() -> None:
    assert verify_manifest_pdf(GENUINE, PEM) == SIGNED
    pages = _text(GENUINE)
    text = "\n".join(pages)
    assert "2026-11-26 14:05:09 Europe/Oslo (2026-11-26 13:05:09 UTC)" in text
    assert "Kari Nordmann" in text and "Ola Nordmann" in text
    assert "KUN DELER" in text and "PARTS ONLY" in text
    for phone in SIGNED.manifest.phones:
        assert phone.certificate_number in text
    assert not any("UTKAST" in p for p in pages)
    assert len(pages) >= 2
    assert PdfReader(io.BytesIO(GENUINE)).attachments[
        manifest_attachment_name("RB-OSL01-2026-0007")
    ]


def test_a_draft_is_never_accepted() -> None:
    _refused(render_manifest(_manifest()), DraftManifest, "DRAFT", "not signed")


def test_signed_by_another_key() -> None:
    other = render_manifest(sign_manifest(_manifest(), Ed25519PrivateKey.generate()))
    _refused(other, BadSignature, "RB-OSL01-2026-0007")


def test_a_listed_certificate_number_edited() -> None:
    m = SIGNED.manifest
    phones = list(m.phones)
    phones[3] = dataclasses.replace(phones[3], certificate_number="WS-OSL01-2026-999999")
    page_of = SignedManifest(dataclasses.replace(m, phones=tuple(phones)), SIGNED.signature)
    _refused(
        _behind_genuine_envelope(page_of),
        PageMismatch,
        "the phone with certificate WS-OSL01-2026-000004",
        "WS-OSL01-2026-999999",
    )


def test_a_phone_dropped_from_the_list() -> None:
    m = SIGNED.manifest
    page_of = SignedManifest(dataclasses.replace(m, phones=m.phones[1:]), SIGNED.signature)
    _refused(
        _behind_genuine_envelope(page_of),
        PageMismatch,
        "page 1",
        "shows number of phones '39', the signed manifest says '40'",
    )


def test_the_receiver_edited() -> None:
    m = dataclasses.replace(SIGNED.manifest, received_by="Per Hansen")
    page_of = SignedManifest(m, SIGNED.signature)
    _refused(_behind_genuine_envelope(page_of), PageMismatch, "'Per Hansen'", "'Ola Nordmann'")


def test_a_page_removed() -> None:
    reader = PdfReader(io.BytesIO(GENUINE))
    writer = PdfWriter(clone_from=reader)
    writer.remove_page(len(writer.pages) - 1)
    out = io.BytesIO()
    writer.write(out)
    _refused(out.getvalue(), PagesMissingOrAdded, "a page was removed")


def test_truncated() -> None:
    _refused(GENUINE[: len(GENUINE) // 2], DamagedPdf, "damaged")
