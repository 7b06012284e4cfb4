"""One A4 sheet for an ordinary certificate (both languages, QR code, signature block), a second
page only for genuinely long values; the page cites NIST SP 800-88 Rev. 2 and IEEE 2883-2022 in
their terms; certificates drawn by the earlier layout still verify."""

from __future__ import annotations

import dataclasses

import pypdfium2 as pdfium

from certificates.payload import BlockerResult
from certificates.render import LAYOUT_1, page_count, render_certificate, render_certificates
from certificates.signing import sign
from certificates.verify import verify_pdf
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload

P = sample_payload()
# The most an ordinary certificate carries: the EMULATED band, a superseded predecessor, every
# blocker the station checks, a customer.
FULL = dataclasses.replace(
    P,
    emulated=True,
    supersedes="WS-OSL01-2026-000001",
    mobile=dataclasses.replace(
        P.mobile,
        blockers=tuple(
            BlockerResult(code, "phone's answer", True)
            for code in ("frp_account", "google_accounts", "sim_present", "mdm", "battery_low")
        ),
        verification_level="attested",
        attested_by="Kari Nordmann",
        reset_route="guided_recovery",
        activation_lock="not_locked",
    ),
)


def _text(pdf: bytes) -> list[str]:
    return [page.get_textpage().get_text_bounded() for page in pdfium.PdfDocument(pdf)]


def test_an_ordinary_certificate_is_one_sheet_with_everything_on_it() -> None:
    for payload in (P, FULL):
        cert = sign(payload, KEY)
        assert page_count(cert) == 1
        (text,) = _text(render_certificate(cert))
        for words in ("Sletteattest", "Certificate of Erasure", "Serienummer", "Serial number",
                      "Digital signatur (Ed25519)", "Underskrift", "Signature",
                      cert.signature_b64[:40], "Side 1 av 1"):  # fmt: skip
            assert words in text, words
        assert "EMULATED PHONE" in text or not payload.emulated
    # Layout 1 needed two sheets for the same certificate: the complaint.
    assert page_count(sign(FULL, KEY), LAYOUT_1) == 2


def test_only_genuinely_long_values_continue_on_a_second_page() -> None:
    notes = "Skjermen sprukket; bakdeksel løst. " * 60
    long = sign(dataclasses.replace(P, sanitization=dataclasses.replace(P.sanitization,
                notes=notes)), KEY)  # fmt: skip
    assert page_count(long) == 2
    _first, second = _text(render_certificate(long))
    assert "Notes (continued)" in second and "Side 2 av 2" in second
    assert [c.payload.number for c in verify_pdf(render_certificate(long), PEM)]


def test_the_page_cites_rev_2_and_ieee_2883_in_their_terms() -> None:
    (text,) = _text(render_certificate(sign(P, KEY)))
    flat = " ".join(text.split())
    assert "NIST SP 800-88 Rev. 2" in flat and "IEEE 2883-2022" in flat
    assert "Rev. 1" not in flat
    assert "Purge by cryptographic erase" in flat and "Purge ved kryptografisk sletting" in flat
    clear = sign(dataclasses.replace(P, sanitization=dataclasses.replace(
        P.sanitization, method_type="Clear", method_used="Overwrite")), KEY)  # fmt: skip
    flat = " ".join(_text(render_certificate(clear))[0].split())
    assert "Clear (NIST SP 800-88 Rev. 2; IEEE 2883-2022)" in flat
    assert "cryptographic erase" not in flat.replace("Cryptographic", "")


def test_a_certificate_drawn_by_layout_1_still_verifies() -> None:
    certs = [sign(FULL, KEY), sign(dataclasses.replace(P, number="WS-OSL01-2026-000043"), KEY)]
    old = render_certificates(certs, layout=LAYOUT_1)
    assert "Rev. 1" in _text(old)[0]
    assert [c.payload.number for c in verify_pdf(old, PEM)] == [
        "WS-OSL01-2026-000042",
        "WS-OSL01-2026-000043",
    ]
