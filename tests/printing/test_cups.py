"""Printing through the real CUPS server (`.ci/run` starts it with Debian's cups-pdf printer):
the job reaches the printer and comes out as a PDF with the certificate's number in it; a
printer that is missing, stopped or refusing jobs is reported, the PDF is kept, and the job
can be sent again."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from certificates.phone_label import render_labels
from certificates.signing import sign
from tests.certificates.keys import KEY
from tests.certificates.samples import sample_payload
from wipe_station import printing


def _out_dir() -> Path:
    """Where cups-pdf writes (its `Out` setting, ${HOME} of the user who printed)."""
    conf = Path("/etc/cups/cups-pdf.conf").read_text()
    m = re.search(r"(?m)^Out\s+(\S+)", conf)
    out = m.group(1) if m else "/var/spool/cups-pdf/${USER}"
    return Path(
        out.replace("${HOME}", os.path.expanduser("~")).replace("${USER}", os.environ["USER"])
        if "USER" in os.environ
        else out.replace("${HOME}", os.path.expanduser("~"))
    )


@pytest.fixture
def queue() -> Iterator[str]:
    """A cups-pdf queue of this test's own, so stopping it touches no other test."""
    name = f"WSTEST-{uuid.uuid4().hex[:8]}"
    ppd = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
    subprocess.run(["lpadmin", "-p", name, "-E", "-v", "cups-pdf:/", "-m", ppd], check=True)
    yield name
    subprocess.run(["lpadmin", "-x", name], check=False)


@pytest.fixture
def label_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "WS-OSL01-2026-000042-label.pdf"
    path.write_bytes(render_labels([sign(sample_payload(), KEY)]))
    return path


def _printed(job: str, seconds: float = 60) -> Path:
    """The file cups-pdf wrote for request ``job`` ("WSTEST-1a2b-12" -> "…job_12.pdf")."""
    number = job.rsplit("-", 1)[1]
    out = _out_dir()
    for _ in range(int(seconds / 0.2)):
        found = [p for p in out.glob(f"*job_{number}.pdf")] if out.exists() else []
        if found and found[0].stat().st_size > 0:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"cups-pdf wrote nothing for {job} into {out}")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout


def test_a_label_reaches_the_printer(queue: str, label_pdf: Path) -> None:
    printed = printing.deliver(label_pdf, "labels", queue)
    assert printed.ok, printed.error
    assert printed.printer == queue and printed.job and printed.job.startswith(queue)
    out = _printed(printed.job)
    assert out.read_bytes().startswith(b"%PDF")
    assert "WS-OSL01-2026-000042" in _text(out)
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
    assert "WS-OSL01-2026-000042" in _text(_printed(again.job or ""))


def test_a_printer_refusing_jobs_is_said(queue: str, label_pdf: Path) -> None:
    subprocess.run(["cupsreject", queue], check=True)
    printed = printing.deliver(label_pdf, "labels", queue)
    assert not printed.ok and "refuses new jobs" in (printed.error or "")
    assert label_pdf.exists()
