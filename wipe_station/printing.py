"""The station's print folder: certificates written again as PDF for the printer to pick up.

The folder is ``<station home>/print``; a printer queue (or a person) takes the PDFs from there.
Every copy written is audited as ``certificate.printed``, like `wipe-station certificate export`.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from wipe_station.audit import log as audit
from wipe_station.certify import signed_from_record
from wipe_station.context import StationContext
from wipe_station.db.models import Certificate, Device
from wipe_station.errors import StationError

PRINT_FOLDER = "print"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class IssuedCertificate:
    """One line of the certificate list: what identifies the phone, not what it held."""

    number: str
    issued_at: datetime
    platform: str
    model: str
    serial: str
    emulated: bool


def print_dir(home: Path) -> Path:
    return home / PRINT_FOLDER


def recent_certificates(ctx: StationContext, limit: int = 500) -> list[IssuedCertificate]:
    """The newest ``limit`` certificates, newest first."""
    with ctx.session() as session:
        rows = session.exec(
            select(Certificate, Device)
            .join(Device, col(Device.id) == Certificate.device_id)
            .order_by(col(Certificate.issued_at).desc(), col(Certificate.number).desc())
            .limit(limit)
        ).all()
        return [
            IssuedCertificate(
                number=cert.number,
                issued_at=cert.issued_at,
                platform=dev.platform,
                model=dev.model,
                serial=dev.serial,
                emulated=cert.emulated,
            )
            for cert, dev in rows
        ]


def _write_atomically(path: Path, data: bytes) -> None:
    # A printer queue watching the folder must never pick up half a file.
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
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
        pdf = render_certificate(signed_from_record(cert))
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
