"""The recycling hand-over manifest, read back from the PDF."""

from __future__ import annotations

import dataclasses
import io
import re

from pypdf import PdfReader

from certificates.manifest import render_manifest
from tests.certificates.samples import sample_manifest


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_every_phone_is_listed_once_across_pages() -> None:
    manifest = sample_manifest(130)
    pdf = render_manifest(manifest)
    pages = _pages(pdf)
    assert len(pages) >= 3  # the table runs over pages
    text = "\n".join(pages)
    for phone in manifest.phones:
        assert text.count(phone.certificate_number) == 1
        assert phone.serial_number in text
        for imei in phone.imeis:
            assert imei in text  # never shortened: the recycler matches them digit by digit
    # The bilingual table header repeats on every page the table reaches.
    table_pages = [p for p in pages if "WS-OSL01-2026-" in p]
    assert all("Serienummer" in p and "Serial number" in p for p in table_pages)
    assert PdfReader(io.BytesIO(pdf)).metadata.title.endswith(manifest.batch_id)


def test_header_counts_and_signature_lines() -> None:
    manifest = sample_manifest(130)
    text = "\n".join(_pages(render_manifest(manifest)))
    for expected in (
        "RB-OSL01-2026-0007",
        "Norsk Gjenvinning AS (org.nr. 955213395), Oslo",
        "Miljødepot Øst AS (org.nr. 974760673), Oslo",
        "Overlevert\nHanded over",
        "2026-11-26",
        "Overleveringsmanifest",
        "Recycling hand-over manifest",
        "For depotet / For the depot",
        "For gjenvinner / For the recycler",
        "Underskrift / Signature",
    ):
        assert expected in text, expected
    assert re.search(r"Antall telefoner\s*Number of phones\s*130", text)
    assert re.search(r"Emulerte telefoner\s*Emulated phones\s*1", text)
    assert re.search(r"\(EMULERT\s*/ EMULATED\)", text)
    # Phones 1..130 cycle over three models: Apple 44, samsung 43, Google 43.
    assert re.search(r"Android\s*86", text) and re.search(r"iOS\s*44", text)
    assert re.search(r"samsung Galaxy S23 \(SM-S911B\)\s*43", text)
    assert re.search(r"Apple iPhone 13 \(iPhone14,5\)\s*44", text)
    assert text.count("Side / Page") == len(_pages(render_manifest(manifest)))
    # Unsigned, it is a draft on every page.
    assert all("UTKAST" in p and "DRAFT" in p for p in _pages(render_manifest(manifest)))


def test_odd_phone_text_is_cleaned_and_wrapped_whole_in_the_table() -> None:
    base = sample_manifest(3)
    odd = dataclasses.replace(
        base.phones[0], model="\u202eevil\u202c 😀 " + "X" * 5000, serial_number="AB\x1bC"
    )
    pdf = render_manifest(dataclasses.replace(base, phones=(odd, *base.phones[1:])))
    page = "".join(_pages(pdf))
    assert "\u202e" not in page and "\x1b" not in page
    assert "evil ?" in page and "…" not in page and "ABC" in page
    assert "".join(page.split()).count("X") >= 5000  # nothing cut


def test_an_empty_batch_still_renders_its_frame() -> None:
    text = "\n".join(_pages(render_manifest(sample_manifest(0))))
    assert re.search(r"Antall telefoner\s*Number of phones\s*0", text)
    assert "Emulated phones" not in text
