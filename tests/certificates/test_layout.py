"""The page itself: one A4 page whatever the phone reported, the number where the verifier
reads it, the QR code and the station's private key nowhere in the file."""

from __future__ import annotations

import base64
import dataclasses
import io

import pytest
import zxingcpp
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader
from pypdf.generic import ContentStream

from certificates.render import render_certificate, render_certificates
from certificates.signing import sign
from certificates.verify import verify_pdf
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload, worst_case_payload


def test_worst_case_input_continues_over_pages_whole_and_verifies() -> None:
    payload = worst_case_payload()
    pdf = render_certificate(sign(payload, KEY))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    for i, page in enumerate(reader.pages, start=1):
        assert [round(float(x)) for x in page.mediabox] == [0, 0, 595, 842]
        text = page.extract_text()
        assert payload.number in text and f"Page {i} of {len(reader.pages)}" in text
        assert "EMULERT TELEFON" in text and "NOT A REAL ERASURE" in text
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert "…" not in text  # nothing signed is shortened
    # Every character of the model, and of source, notes, method details and verification
    # method (3000 each), even where a value runs on over a page break.
    assert text.count("M" * 100) >= 100 - 5 and text.count("Ø") >= 4 * 3000
    assert "(fortsatt)" in text and "(continued)" in text
    (result,) = verify_pdf(pdf, PEM)
    assert result.payload == payload  # the signed payload keeps every character


def test_every_page_of_a_batch_is_a4_with_its_own_number_and_page_count() -> None:
    certs = [sign(sample_payload(number=f"WS-OSL01-2026-{i:06d}"), KEY) for i in (7, 8, 9)]
    reader = PdfReader(io.BytesIO(render_certificates(certs)))
    texts = [p.extract_text() for p in reader.pages]
    assert len(texts) == 3
    for text, cert in zip(texts, certs, strict=True):
        assert cert.payload.number in text
        assert f"{cert.payload.number} · Side 1 av 1" in text and "Page 1 of 1" in text
        others = [c.payload.number for c in certs if c is not cert]
        assert not any(n in text for n in others)


def test_a_batch_refuses_the_same_certificate_twice() -> None:
    cert = sign(sample_payload(), KEY)
    with pytest.raises(ValueError, match="twice"):
        render_certificates([cert, cert])


def test_qr_text_carries_number_digest_and_signature_compactly() -> None:
    cert = sign(sample_payload(), KEY)
    kind, version, number, digest, sig = cert.qr_text().split(":")
    assert (kind, version, number, digest) == ("WSCERT", "2", cert.payload.number, cert.digest)
    raw = base64.urlsafe_b64decode(sig + "==")
    assert raw == cert.qr_signature and raw != cert.signature
    # The QR signature covers the QR text up to its last colon, checkable from paper alone.
    KEY.public_key().verify(raw, cert.qr_text().rsplit(":", 1)[0].encode("ascii"))
    assert len(cert.qr_text()) < 200


def test_the_qr_code_on_the_page_is_the_one_for_that_certificate() -> None:
    cert = sign(sample_payload(), KEY)
    page = PdfReader(io.BytesIO(render_certificate(cert))).pages[0]
    ops = ContentStream(page.get_contents(), page.pdf).operations
    rects = [[float(v) for v in args] for args, op in ops if op == b"re"]
    # The QR code is the only group of rectangles in the top right corner.
    qr = [r for r in rects if r[0] > 400 and r[1] > 700]
    # The reference comes straight from the encoder, not through certificates.qr.
    code = zxingcpp.create_barcode(cert.qr_text(), zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    raw, size = image.tobytes(), image.shape[0]
    light = [False] * (size + 2)  # the page draws a light border one module wide
    matrix = [light, *([False, *(raw[r * size + c] == 0 for c in range(size)), False]
                       for r in range(size)), light]  # fmt: skip
    cell = min(h for *_, h in qr)
    left, top = min(x for x, *_ in qr), max(y + h for _, y, _, h in qr)
    drawn = [[False] * len(matrix) for _ in matrix]
    for x, y, w, h in qr:
        # Row and column 0 are the light border; the finder patterns start at 1. A rectangle
        # may cover a run repeated over several rows.
        for row in range(round((top - y - h) / cell) + 1, round((top - y) / cell) + 1):
            for col in range(round((x - left) / cell), round((x + w - left) / cell)):
                drawn[row][col + 1] = True
    assert drawn == matrix


def test_the_private_key_never_reaches_the_pdf() -> None:
    pdf = render_certificate(sign(sample_payload(), KEY))
    raw = KEY.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem = KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    blobs = [pdf]
    reader = PdfReader(io.BytesIO(pdf))
    blobs += [b for files in reader.attachments.values() for b in files]
    for page in reader.pages:
        blobs.append(page.get_contents().get_data())
    for blob in blobs:
        for secret in (raw, raw.hex().encode(), base64.b64encode(raw), pem):
            assert secret not in blob
    assert b"PRIVATE KEY" not in pdf


def test_a_model_name_that_looks_like_a_number_does_not_confuse_the_verifier() -> None:
    p = sample_payload()
    media = dataclasses.replace(p.media, model="WS-OSL01-2026-999999")
    pdf = render_certificate(sign(dataclasses.replace(p, media=media), KEY))
    (result,) = verify_pdf(pdf, PEM)
    assert result.payload.number == p.number
