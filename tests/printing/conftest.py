"""A cups-pdf queue of each test's own on the real CUPS server, and a label to print."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from certificates.phone_label import render_labels
from certificates.signing import sign
from tests.certificates.keys import KEY
from tests.certificates.samples import sample_payload


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
