"""The text the CLI prints for `certificate verify`."""

from __future__ import annotations

import dataclasses

from certificates.render import render_certificate
from certificates.signing import sign
from certificates.verify import describe, terminal_safe, verify_pdf
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload


def test_one_line_per_signed_field_with_optional_bilingual_labels() -> None:
    (result,) = verify_pdf(render_certificate(sign(sample_payload(), KEY)), PEM)
    plain = describe(result)
    assert plain[0] == "certificate: WS-OSL01-2026-000042"
    assert f"payload digest: {result.signed.digest}" in plain
    assert "mobile.imeis: 356938035643809" in plain
    assert "mobile.blockers[1].code: sim_present" in plain
    assert "emulated: False" in plain
    bilingual = describe(result, bilingual=True)
    assert "media.serial_number (Serienummer / Serial number): R58N12ABCDE" in bilingual
    assert len(bilingual) == len(plain)


def test_phone_text_cannot_drive_the_terminal() -> None:
    media = dataclasses.replace(sample_payload().media, model="Pixel\x1b[2J\u202e8\n")
    (result,) = verify_pdf(render_certificate(sign(sample_payload(media=media), KEY)), PEM)
    line = next(x for x in describe(result) if x.startswith("media.model:"))
    assert line == "media.model: Pixel\\x1b[2J\\u202e8\\n"
    assert terminal_safe("Blåbær ✓") == "Blåbær ✓"
