"""The aggregated employer report: small counts hidden, no identifiers."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from certificates.report import CountRow, EmployerReport, render_report, shown_count
from tests.certificates.samples import sample_manifest, sample_payload


def _report() -> EmployerReport:
    return EmployerReport(
        customer_name="Acme AS",
        customer_org_number="974760673",
        period_start="2026-01-01",
        period_end="2026-11-30",
        generated_at="2026-11-25T10:00:00Z",
        by_month=(CountRow("2026-01", 12), CountRow("2026-02", 3), CountRow("2026-03", 0)),
        by_model=(CountRow("samsung Galaxy S23", 57), CountRow("Google Pixel 8", 4)),
        by_outcome=(
            CountRow("Slettet og attestert / Erased and certified", 120),
            CountRow("Feilet / Failed", 1),
            CountRow("Sperret / Blocked", 5),
        ),
    )


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_counts_below_five_are_hidden() -> None:
    assert [shown_count(n) for n in (0, 1, 4, 5, 6, 120)] == ["<5", "<5", "<5", "5", "6", "120"]
    with pytest.raises(ValueError):
        shown_count(-1)


def test_report_shows_the_aggregates_with_bilingual_headings() -> None:
    text = _text(render_report(_report()))
    for expected in (
        "Rapport om slettede telefoner",
        "Report on erased phones",
        "Acme AS (org.nr. 974760673)",
        "2026-01-01 – 2026-11-30",
    ):
        assert expected in text, expected
    for heading in ("Per måned\n/ By month", "Antall per modell\n/ Count by model"):
        assert heading in text  # bokmål, then English after a slash
    assert "Per utfall\n/ By outcome" in text
    assert re.search(r"2026-01\s*12", text)
    assert re.search(r"2026-02\s*<5", text) and re.search(r"2026-03\s*<5", text)
    assert re.search(r"Google Pixel 8\s*<5", text)
    assert re.search(r"Feilet / Failed\s*<5", text)
    assert re.search(r"Sperret / Blocked\s*5", text)
    for hidden in ("\n3\n", "\n4\n", "\n1\n"):
        assert hidden not in f"\n{text}\n"


def test_report_carries_no_identifiers() -> None:
    text = _text(render_report(_report()))
    payload, manifest = sample_payload(), sample_manifest(5)
    identifiers = [
        payload.number,
        payload.media.serial_number,
        *payload.mobile.imeis,
        payload.performed_by.name,
        *(p.serial_number for p in manifest.phones),
        *(p.certificate_number for p in manifest.phones),
    ]
    for ident in identifiers:
        assert ident not in text
    assert not re.search(r"WS-[A-Z0-9]+-\d{4}-\d{6}|\b\d{15}\b", text)
