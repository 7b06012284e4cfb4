"""Printing: every document is written as a PDF into ``<station home>/print`` and then sent to
a CUPS printer with `lp` (the print system of every Linux depot).

The PDF is kept whatever the printer does: a job that fails (no such printer, queue stopped,
printer refusing jobs, no CUPS server) comes back as a ``Printed`` with the reason and can be
sent again with ``send_again``. Printers are chosen per kind of job in the settings
(``print.documents`` for A4, ``print.labels`` for labels); empty means the CUPS default.
Every certificate written is audited as ``certificate.printed``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlmodel import col, select

from wipe_station import settings
from wipe_station.atomic import write_atomically
from wipe_station.audit import log as audit
from wipe_station.certify import signed_from_record
from wipe_station.context import StationContext
from wipe_station.db.models import Certificate
from wipe_station.errors import StationError
from wipe_station.listings import ListedCertificate, count_certificates, list_certificates

PRINT_FOLDER = "print"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def print_dir(home: Path) -> Path:
    return home / PRINT_FOLDER


def certificate_listing(
    ctx: StationContext, limit: int = 500
) -> tuple[list[ListedCertificate], int]:
    """The newest ``limit`` certificates, newest first (the CLI's listing, one query), and how
    many there are in all: a screen of 500 out of five years' 500,000 must say so."""
    with ctx.session() as session:
        rows = list(list_certificates(session, None, None, None, limit=limit))
        total = len(rows) if len(rows) < limit else count_certificates(session, None, None, None)
    return rows, total


def _write_atomically(path: Path, data: bytes) -> None:
    # A printer queue watching the folder must never pick up half a file.
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, data)
    except OSError as exc:
        raise StationError(f"cannot write {path}: {exc.strerror}") from exc


def reprint(ctx: StationContext, actor: audit.Actor, number: str) -> Path:
    """Write certificate ``number`` as a signed PDF into the print folder again; audit it.

    The caller checks Permission.PRINT_CERTIFICATES first (``operators.authorize``).
    """
    from certificates.render import render_certificate

    with ctx.session() as session:
        cert = session.exec(select(Certificate).where(Certificate.number == number)).first()
        if cert is None:
            raise StationError(f"no certificate {number}")
        pdf = render_certificate(signed_from_record(cert, ctx.identity.private_key))
        path = print_dir(ctx.home) / f"{_UNSAFE.sub('_', cert.number)}.pdf"
        audit.append(
            session,
            ctx.identity,
            actor,
            "certificate.printed",
            {"numbers": [cert.number], "reprint": True},
            device_id=cert.device_id,
        )
        # Written last, inside the transaction: if writing fails, the event is rolled back.
        _write_atomically(path, pdf)
    return path


# -- CUPS ---------------------------------------------------------------------------------------
Kind = Literal["documents", "labels"]
SETTING = {"documents": "print.documents", "labels": "print.labels"}
LP_TIMEOUT_S = 30  # a CUPS server that does not answer in this long is reported as down
_REQUEST = re.compile(r"request id is (\S+)")


class PrintError(StationError):
    """A job that did not reach the printer; the message says why and what to do."""


@dataclass(frozen=True)
class Printed:
    """A PDF written (``path``, always kept) and what CUPS did with it."""

    path: Path
    kind: Kind
    printer: str | None = None  # the queue it went (or was meant) to
    job: str | None = None  # the CUPS request id, e.g. "PDF-12"
    error: str | None = None  # why it did not reach the printer

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        """One line for a person: where it went, or why not and that the PDF is kept."""
        if self.ok:
            return f"sent to {self.printer} (job {self.job}); PDF kept in {self.path}"
        return f"not printed: {self.error}. The PDF is kept in {self.path}; print it again."


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        raise PrintError(
            f"CUPS is not installed on this station (no `{args[0]}`); install cups-client"
        )
    try:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=LP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise PrintError("the CUPS server did not answer (is cupsd running?)") from None


def _unreachable(stderr: str) -> bool:
    return any(
        s in stderr
        for s in ("Unable to connect", "No such file or directory", "Bad file descriptor")
    )


def default_printer() -> str | None:
    """CUPS's default destination, or None when it has none."""
    done = _run("lpstat", "-d")
    if _unreachable(done.stderr):
        raise PrintError("the CUPS server does not answer (is cupsd running?)")
    m = re.search(r"destination: (\S+)", done.stdout)
    return m.group(1) if m else None


def check_printer(name: str) -> None:
    """Raise PrintError saying why ``name`` cannot print now (unknown, stopped, rejecting)."""
    shown = _shown_name(name)
    status = _run("lpstat", "-p", name)
    if status.returncode != 0 or not status.stdout.strip():
        if _unreachable(status.stderr):
            raise PrintError("the CUPS server does not answer (is cupsd running?)")
        raise PrintError(f"there is no printer {shown} (`lpstat -p` lists the printers)")
    if "disabled" in status.stdout:
        raise PrintError(
            f"printer {shown} is stopped; start it (cupsenable {shown}) and print again"
        )
    accepting = _run("lpstat", "-a", name)
    if "not accepting" in accepting.stdout:
        raise PrintError(
            f"printer {shown} refuses new jobs; let it accept them (cupsaccept {shown}) "
            "and print again"
        )


def _shown_name(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_.@-]{1,127}", name) else repr(name[:60])


def printer_for(ctx: StationContext, kind: Kind) -> str:
    """The printer chosen in the settings for ``kind`` ("" = CUPS's default)."""
    with ctx.session() as session:
        return settings.get(session, SETTING[kind])


def send(path: Path, printer: str, title: str) -> str:
    """Send ``path`` to ``printer`` (a PDF; CUPS converts it); return the job's request id."""
    check_printer(printer)
    done = _run("lp", "-d", printer, "-t", title[:100], "--", str(path))
    m = _REQUEST.search(done.stdout)
    if done.returncode != 0 or m is None:
        why = " ".join((done.stderr or done.stdout).split()) or f"lp exited {done.returncode}"
        if why.startswith("lp: "):
            why = why[4:]
        raise PrintError(f"printer {_shown_name(printer)} did not take the job: {why}")
    return m.group(1)


def deliver(path: Path, kind: Kind, printer: str = "", title: str = "") -> Printed:
    """Send a written PDF to ``printer`` (or CUPS's default); a failure is returned, not
    raised, so the caller can say so and offer to print again."""
    name = printer or None
    try:
        if name is None:
            name = default_printer()
            if name is None:
                setting = SETTING[kind]
                raise PrintError(
                    f"no printer chosen for {kind}: set one (wipe-station settings set "
                    f"{setting} NAME) or a CUPS default (lpoptions -d NAME)"
                )
        job = send(path, name, title or path.stem)
    except PrintError as exc:
        return Printed(path, kind, name, None, str(exc))
    return Printed(path, kind, name, job)


def send_again(ctx: StationContext, printed: Printed) -> Printed:
    """Print a kept PDF again, to the printer chosen now if none was named before."""
    printer = printed.printer or printer_for(ctx, printed.kind)
    return deliver(printed.path, printed.kind, printer, printed.path.stem)


def print_file(ctx: StationContext, path: Path, kind: Kind, printer: str | None = None) -> Printed:
    """Send a written PDF (manifest, report) to the chosen printer for ``kind``."""
    return deliver(path, kind, printer if printer else printer_for(ctx, kind), path.stem)


# -- what the station prints --------------------------------------------------------------------
def print_certificate(
    ctx: StationContext, actor: audit.Actor, number: str, printer: str | None = None
) -> Printed:
    """Write certificate ``number`` into the print folder (audited) and send it to the A4
    printer. The caller checks Permission.PRINT_CERTIFICATES first."""
    path = reprint(ctx, actor, number)
    return print_file(ctx, path, "documents", printer)


def _signed(ctx: StationContext, numbers: Sequence[str]) -> list[tuple[Certificate, object]]:
    with ctx.session() as session:
        rows = session.exec(
            select(Certificate).where(col(Certificate.number).in_(list(numbers)))
        ).all()
        by_number = {c.number: c for c in rows}
        missing = [n for n in numbers if n not in by_number]
        if missing:
            raise StationError(f"no certificate {missing[0]}")
        return [
            (by_number[n], signed_from_record(by_number[n], ctx.identity.private_key))
            for n in numbers
        ]


def write_certificates(
    ctx: StationContext, actor: audit.Actor, numbers: Sequence[str], name: str
) -> Path:
    """Write many certificates into one PDF (one after another) in the print folder; audited."""
    from certificates.render import render_certificates

    if not numbers:
        raise StationError("no certificates to print")
    pairs = _signed(ctx, numbers)
    pdf = render_certificates(
        [s for _, s in pairs],  # type: ignore[misc]
        title=f"Certificates ({len(pairs)})",
    )
    path = print_dir(ctx.home) / f"{_UNSAFE.sub('_', name)}.pdf"
    with ctx.session() as session:
        audit.append(
            session, ctx.identity, actor, "certificate.printed", {"numbers": list(numbers)}
        )
        _write_atomically(path, pdf)
    return path


def label_size(ctx: StationContext) -> tuple[float, float]:
    with ctx.session() as session:
        return settings.label_size_mm(session)


def write_labels(
    ctx: StationContext, actor: audit.Actor, numbers: Sequence[str], name: str
) -> Path:
    """Write a label per certificate (one a page, the label's size) into the print folder."""
    from certificates.phone_label import render_labels

    if not numbers:
        raise StationError("no certificates to label")
    pairs = _signed(ctx, numbers)
    pdf = render_labels([s for _, s in pairs], label_size(ctx))  # type: ignore[misc]
    path = print_dir(ctx.home) / f"{_UNSAFE.sub('_', name)}.pdf"
    with ctx.session() as session:
        audit.append(
            session,
            ctx.identity,
            actor,
            "certificate.printed",
            {"numbers": list(numbers), "labels": True},
        )
        _write_atomically(path, pdf)
    return path


def print_label(
    ctx: StationContext, actor: audit.Actor, number: str, printer: str | None = None
) -> Printed:
    """The label of one certified phone, to the label printer."""
    path = write_labels(ctx, actor, [number], f"{number}-label")
    return print_file(ctx, path, "labels", printer)


def labels_at_certification(ctx: StationContext) -> bool:
    with ctx.session() as session:
        return settings.get(session, "print.label_at_certification") == "yes"
