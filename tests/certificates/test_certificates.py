from __future__ import annotations

import dataclasses
import io
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader, PdfWriter

from certificates.payload import CertificatePayload, PayloadError
from certificates.render import attachment_name, render_certificate, render_certificates
from certificates.signing import sign
from certificates.verify import (
    BadPublicKey,
    BadSignature,
    MalformedCertificate,
    NoEmbeddedCertificate,
    NotAPdf,
    NumberMismatch,
    VerificationError,
    describe,
    verify_pdf,
)
from tests.certificates.samples import sample_payload

KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def _text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def _leaves(obj: object) -> list[str]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _leaves(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _leaves(v)]
    return [str(obj)]


def test_payload_round_trips_through_canonical_json() -> None:
    p = sample_payload()
    assert CertificatePayload.from_json(p.canonical()) == p
    assert p.canonical() == CertificatePayload.from_json(p.canonical()).canonical()
    # Canonical means key order and spacing cannot change the bytes.
    shuffled = json.dumps(dict(reversed(list(p.to_dict().items()))), indent=3)
    assert CertificatePayload.from_json(shuffled).canonical() == p.canonical()


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d.pop("number"), "payload.number is missing"),
        (lambda d: d.update(extra=1), "unknown fields: extra"),
        (lambda d: d["audit"].update(seq="12"), "payload.audit.seq must be an integer"),
        (lambda d: d.update(emulated="no"), "payload.emulated must be true or false"),
        (lambda d: d.update(schema="other/1"), "unknown certificate schema"),
    ],
)
def test_payload_parsing_is_strict(mutate, message: str) -> None:
    d = sample_payload().to_dict()
    mutate(d)
    with pytest.raises(PayloadError, match=message):
        CertificatePayload.from_dict(d)


def test_every_field_is_visible_on_one_bilingual_page_and_embedded() -> None:
    cert = sign(sample_payload(), KEY)
    pdf = render_certificate(cert)
    (page,) = _text(pdf)
    flat = " ".join(page.split())
    d = cert.payload.to_dict()
    # Shown in other words: the time local and UTC, blocker checks by name (the phone's raw
    # answer stays in the payload and the evidence).
    shown_otherwise = {d["issued_at"]} | {
        v for b in d["mobile"]["blockers"] for v in (b["code"], b["message"])
    }
    for value in _leaves(d):
        if value in ("", "True", "False", "wipe-station/certificate-of-erasure/1"):
            continue
        if value in shown_otherwise:
            continue
        assert value in flat or value in page.replace("\n", ""), value
    assert "2026-11-25 10:15:00 UTC" in flat
    assert "Google-konto (FRP) / Google account (FRP): fjernet / cleared" in flat
    assert "frp_account" not in flat and "…" not in flat
    for nb, en in [
        ("Serienummer", "Serial number"),
        ("Metodetype", "Method type"),
        ("Sletteattest", "Certificate of Erasure"),
    ]:
        assert nb in page and en in page
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == cert.payload.number
    (embedded,) = reader.attachments[attachment_name(cert.payload.number)]
    assert json.loads(embedded)["payload"] == cert.payload.to_dict()


def test_verify_prints_the_signed_fields() -> None:
    pdf = render_certificate(sign(sample_payload(), KEY))
    (result,) = verify_pdf(pdf, PEM)
    assert result.payload == sample_payload()
    lines = describe(result)
    assert "media.serial_number: R58N12ABCDE" in lines
    assert "customer.org_number: 974760673" in lines


def test_emulated_certificates_say_so_on_the_page() -> None:
    page = _text(render_certificate(sign(sample_payload(emulated=True), KEY)))[0]
    assert "NOT A REAL ERASURE" in page and "IKKE EN EKTE SLETTING" in page
    (page,) = _text(render_certificate(sign(sample_payload(), KEY)))
    assert "NOT A REAL ERASURE" not in page


def _rewrite_attachment(pdf: bytes, name: str, data: bytes | None) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for other, blobs in reader.attachments.items():
        if other != name:
            writer.add_attachment(other, blobs[0])
    if data is not None:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_changed_payload_byte_is_rejected() -> None:
    cert = sign(sample_payload(), KEY)
    pdf = render_certificate(cert)
    name = attachment_name(cert.payload.number)
    forged = cert.envelope().replace(b"R58N12ABCDE", b"R58N12ABCDF")
    with pytest.raises(BadSignature, match="does not match"):
        verify_pdf(_rewrite_attachment(pdf, name, forged), PEM)


def test_a_swapped_signature_is_rejected() -> None:
    a = sign(sample_payload(), KEY)
    b = sign(sample_payload(media=dataclasses.replace(sample_payload().media, model="X")), KEY)
    doc = json.loads(a.envelope())
    doc["signature"] = b.signature_b64
    pdf = _rewrite_attachment(
        render_certificate(a), attachment_name(a.payload.number), json.dumps(doc).encode()
    )
    with pytest.raises(BadSignature):
        verify_pdf(pdf, PEM)


def test_another_stations_key_is_rejected() -> None:
    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(BadSignature, match="another station's key"):
        verify_pdf(render_certificate(sign(sample_payload(), KEY)), other)


def test_visible_number_must_match_the_signed_one() -> None:
    honest = sign(sample_payload(), KEY)
    other = sign(sample_payload(number="WS-OSL01-2026-000043"), KEY)
    # The page of certificate 43, carrying the (valid) signed payload of 42 under 43's name.
    pdf = _rewrite_attachment(
        render_certificate(other), attachment_name(other.payload.number), honest.envelope()
    )
    with pytest.raises(NumberMismatch, match="shows WS-OSL01-2026-000043"):
        verify_pdf(pdf, PEM)


def test_missing_attachment_broken_files_and_bad_keys() -> None:
    cert = sign(sample_payload(), KEY)
    pdf = render_certificate(cert)
    with pytest.raises(NoEmbeddedCertificate):
        verify_pdf(_rewrite_attachment(pdf, attachment_name(cert.payload.number), None), PEM)
    with pytest.raises(MalformedCertificate):
        verify_pdf(_rewrite_attachment(pdf, attachment_name(cert.payload.number), b"{}"), PEM)
    with pytest.raises(NotAPdf):
        verify_pdf(b"hello", PEM)
    with pytest.raises(VerificationError):
        verify_pdf(pdf[: len(pdf) // 3], PEM)
    with pytest.raises(BadPublicKey):
        verify_pdf(pdf, b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n")


ODD = [
    "Pixel\x00\x07\x1b[31m 8\r\nPro",
    "\u202eevil\u202c \u2067هاتف\u2069 \u200f",
    "Galaxy 😀📱 S23 \U0001f4a9",
    "M" * 10_000,
]


@pytest.mark.parametrize("model", ODD)
def test_odd_phone_text_cannot_break_the_page(model: str) -> None:
    media = dataclasses.replace(sample_payload().media, model=model, manufacturer=model[:500])
    cert = sign(sample_payload(media=media), KEY)
    pdf = render_certificate(cert)
    page = "".join(_text(pdf))
    assert "\x1b" not in page and "\u202e" not in page
    (result,) = verify_pdf(pdf, PEM)
    assert result.payload.media.model == model  # the signed payload keeps the original


def test_batch_file_holds_every_certificate() -> None:
    certs = [sign(sample_payload(number=f"WS-OSL01-2026-{i:06d}"), KEY) for i in range(1, 6)]
    pdf = render_certificates(certs, title="Batch")
    results = verify_pdf(pdf, PEM)
    assert [r.payload.number for r in results] == [c.payload.number for c in certs]
    assert [r.page for r in results] == [1, 2, 3, 4, 5]
