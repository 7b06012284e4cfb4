"""Reading back what the real CUPS server's cups-pdf printer wrote."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path


def out_dir() -> Path:
    """Where cups-pdf writes (its `Out` setting, ${HOME} of the user who printed)."""
    conf = Path("/etc/cups/cups-pdf.conf").read_text()
    m = re.search(r"(?m)^Out\s+(\S+)", conf)
    out = m.group(1) if m else "/var/spool/cups-pdf/${USER}"
    return Path(
        out.replace("${HOME}", os.path.expanduser("~")).replace("${USER}", os.environ["USER"])
        if "USER" in os.environ
        else out.replace("${HOME}", os.path.expanduser("~"))
    )


def printed_file(job: str, seconds: float = 60) -> Path:
    """The file cups-pdf wrote for request ``job`` ("WSTEST-1a2b-12" -> "…job_12.pdf")."""
    number = job.rsplit("-", 1)[1]
    out = out_dir()
    for _ in range(int(seconds / 0.2)):
        found = [p for p in out.glob(f"*job_{number}.pdf")] if out.exists() else []
        if found and found[0].stat().st_size > 0:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"cups-pdf wrote nothing for {job} into {out}")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
