"""Payload rules beyond the round trip: the number's shape, nested types, optional customer."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.payload import CertificatePayload, PayloadError, format_number
from certificates.signing import (
    InvalidPublicKey,
    SignatureInvalid,
    parse_envelope,
    sign,
    verify_signature,
)
from tests.certificates.keys import KEY, PEM, public_pem
from tests.certificates.samples import sample_payload


def test_number_format_matches_the_station_numbering() -> None:
    assert format_number("OSL01", 2026, 42) == "WS-OSL01-2026-000042"
    assert sample_payload(number=format_number("OSL01", 2027, 1)).number == "WS-OSL01-2027-000001"


@pytest.mark.parametrize(
    "number", ["WS-OSL01-2026-42", "ws-OSL01-2026-000042", "WS-OSL01-26-000042", "X", ""]
)
def test_malformed_numbers_are_refused(number: str) -> None:
    with pytest.raises(PayloadError, match="not of the form"):
        sample_payload(number=number)


def test_a_number_of_another_station_is_refused() -> None:
    with pytest.raises(PayloadError, match="does not belong to station"):
        sample_payload(number="WS-BGO02-2026-000042")


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d["mobile"].update(imeis=[356938035643809]), r"mobile.imeis\[0\] must be a"),
        (lambda d: d["mobile"].update(imeis="356938035643809"), "mobile.imeis must be a list"),
        (lambda d: d["mobile"]["blockers"][0].pop("message"), r"blockers\[0\].message is missing"),
        (lambda d: d["mobile"]["blockers"][1].update(cleared=1), "cleared must be true or false"),
        (lambda d: d.update(media=[]), "payload.media must be an object"),
        (lambda d: d["customer"].update(vat="NO"), "payload.customer has unknown fields: vat"),
        (lambda d: d.update(number="WS-1"), "not of the form"),
    ],
)
def test_nested_fields_are_checked(mutate, message: str) -> None:
    d = sample_payload().to_dict()
    mutate(d)
    with pytest.raises(PayloadError, match=message):
        CertificatePayload.from_dict(d)


def test_not_json_and_not_an_object() -> None:
    with pytest.raises(PayloadError, match="not JSON"):
        CertificatePayload.from_json(b"{nope")
    with pytest.raises(PayloadError, match="payload must be an object"):
        CertificatePayload.from_json(b"[1, 2]")


def test_a_certificate_without_customer_round_trips() -> None:
    p = sample_payload(customer=None)
    assert p.to_dict()["customer"] is None
    assert CertificatePayload.from_json(p.canonical()) == p


def test_canonical_bytes_are_rfc8785() -> None:
    p = sample_payload()
    raw = p.canonical()
    assert raw.startswith(b'{"audit":{"event_hash":')  # keys sorted, no spaces
    # For strings, integers and booleans RFC 8785 equals sorted, compact, UTF-8 JSON.
    expected = json.dumps(p.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert raw == expected.encode("utf-8")
    assert "miljøretur".encode() in raw


def test_signature_checks_with_a_pem_key() -> None:
    signed = sign(sample_payload(), KEY)
    verify_signature(signed, PEM)
    with pytest.raises(SignatureInvalid):
        verify_signature(signed, public_pem(Ed25519PrivateKey.generate()))
    altered = dataclasses.replace(signed, payload=sample_payload(emulated=True))
    with pytest.raises(SignatureInvalid):
        verify_signature(altered, PEM)
    with pytest.raises(InvalidPublicKey, match="not a PEM"):
        verify_signature(signed, b"not a key")


def test_envelope_round_trip_and_rejections() -> None:
    signed = sign(sample_payload(), KEY)
    assert parse_envelope(signed.envelope()) == signed
    with pytest.raises(PayloadError, match="not a Wipe Station certificate"):
        parse_envelope(b'{"format": "other"}')
    with pytest.raises(PayloadError, match="not JSON"):
        parse_envelope(b"\xff\xfe")
    bad_sig = signed.envelope().replace(signed.signature_b64.encode(), b"!!!")
    with pytest.raises(PayloadError, match="not base64"):
        parse_envelope(bad_sig)
