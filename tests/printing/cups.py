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
    """The file cups-pdf wrote for request ``job`` ("WSTEST-1a2b-12" -> "…job_12.pdf"), once it
    is complete. Job numbers start again when cupsd restarts, so a file an earlier run left
    under the same number may be there: only files written in the last half minute count."""
    number = job.rsplit("-", 1)[1]
    out = out_dir()
    started = time.time() - 30  # the job was submitted just before this call
    for _ in range(int(seconds / 0.2)):
        found = (
            [p for p in out.glob(f"*job_{number}.pdf") if p.stat().st_mtime >= started]
            if out.exists()
            else []
        )
        for path in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True):
            if path.read_bytes().rstrip().endswith(b"%%EOF"):
                return path
        time.sleep(0.2)
    raise AssertionError(f"cups-pdf wrote nothing complete for {job} into {out}")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
