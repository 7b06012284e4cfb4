"""Hostile text on a certificate: whatever a phone, a spreadsheet or a person wrote, the PDF
draws it as inert text (no control or bidi characters on the page), nothing signed is cut, and the
genuine certificate still verifies offline."""

from __future__ import annotations

import dataclasses
import io

import pypdf
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates.payload import Customer
from certificates.render import render_certificate
from certificates.signing import sign
from certificates.verify import verify_pdf
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload

from .strings import CONTROL_OR_BIDI, HOSTILE, hostile_text


def _page_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


# Rendering and verifying a certificate takes about a second: a handful of cases, always the same.
@settings(HOSTILE, max_examples=6)
@given(model=hostile_text, serial=hostile_text, customer=hostile_text)
def test_hostile_values_are_drawn_as_text_and_still_verify(
    model: str, serial: str, customer: str
) -> None:
    base = sample_payload()
    payload = dataclasses.replace(
        base,
        media=dataclasses.replace(base.media, model=model, serial_number=serial),
        customer=Customer(name=customer, org_number="974760673"),
    )
    cert = sign(payload, KEY)
    pdf = render_certificate(cert)
    (verified,) = verify_pdf(pdf, PEM)
    assert verified.payload == payload  # the signed values are kept exactly as given
    text = _page_text(pdf)
    assert not (set(text) & (CONTROL_OR_BIDI - {"\n"}))


@settings(HOSTILE, max_examples=3)
@given(st.sampled_from(["x" * 10_000, "W" * 3_000 + "\u202e" + "y" * 50]))
def test_a_very_long_value_continues_on_more_pages(value: str) -> None:
    base = sample_payload()
    payload = dataclasses.replace(base, media=dataclasses.replace(base.media, model=value))
    pdf = render_certificate(sign(payload, KEY))
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) > 1
    verify_pdf(pdf, PEM)  # nothing cut: the page comparison finds every signed character
