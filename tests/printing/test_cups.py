"""Printing through the real CUPS server (`.ci/run` starts it with Debian's cups-pdf printer):
the job reaches the printer and comes out as a PDF with the certificate's number in it; a
printer that is missing, stopped or refusing jobs is reported, the PDF is kept, and the job
can be sent again."""

from __future__ import annotations

import subprocess
from pathlib import Path

from wipe_station import printing

from .cups import pdf_text, printed_file


def test_a_label_reaches_the_printer(queue: str, label_pdf: Path) -> None:
    printed = printing.deliver(label_pdf, "labels", queue)
    assert printed.ok, printed.error
    assert printed.printer == queue and printed.job and printed.job.startswith(queue)
    out = printed_file(printed.job)
    assert out.read_bytes().startswith(b"%PDF")
    assert "WS-OSL01-2026-000042" in pdf_text(out)
    assert label_pdf.exists()  # the station keeps its own copy


def test_no_such_printer_is_said_and_the_pdf_kept(label_pdf: Path) -> None:
    printed = printing.deliver(label_pdf, "labels", "NO-SUCH-PRINTER")
    assert not printed.ok
    assert "there is no printer NO-SUCH-PRINTER" in (printed.error or "")
    assert "The PDF is kept in" in printed.describe() and label_pdf.exists()


def test_a_stopped_queue_is_said_then_printing_again_works(queue: str, label_pdf: Path) -> None:
    subprocess.run(["cupsdisable", queue], check=True)
    printed = printing.deliver(label_pdf, "labels", queue)
    assert not printed.ok and "is stopped" in (printed.error or "")
    assert f"cupsenable {queue}" in (printed.error or "")
    subprocess.run(["cupsenable", queue], check=True)
    again = printing.deliver(printed.path, printed.kind, printed.printer or "")
    assert again.ok, again.error
    assert "WS-OSL01-2026-000042" in pdf_text(printed_file(again.job or ""))


def test_a_printer_refusing_jobs_is_said(queue: str, label_pdf: Path) -> None:
    subprocess.run(["cupsreject", queue], check=True)
    printed = printing.deliver(label_pdf, "labels", queue)
    assert not printed.ok and "refuses new jobs" in (printed.error or "")
    assert label_pdf.exists()
