"""What auditors take away: certificates and evidence as CSV or JSON, and reproducible samples of
certified phones for physical spot checks. No personal data: employees never appear here."""

from __future__ import annotations

import hashlib
import heapq
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from wipe_station import csv_safe
from wipe_station.audit import log as audit
from wipe_station.certify import issued_between
from wipe_station.context import StationContext
from wipe_station.db.models import (
    BatchItem,
    Certificate,
    Device,
    Evidence,
    RecyclingBatch,
    WipeJob,
)
from wipe_station.errors import StationError
from wipe_station.listings import CHUNK, stream
from wipe_station.timeutil import iso


@dataclass(frozen=True)
class CertificateRow:
    number: str
    issued_at: str
    station: str
    platform: str
    manufacturer: str
    model: str
    serial: str
    imei: str
    customer: str
    method: str
    erasure_class: str
    route: str
    verification_level: str  # readback | attested
    activation_lock: str  # not_locked | locked | unknown | "" (not read on this route)
    reusable: bool  # False: parts only
    batch: str
    digest: str
    signature: str
    emulated: bool


@dataclass(frozen=True)
class EvidenceRow:
    certificate: str
    serial: str
    seq: int
    at: str
    step: str
    check: str
    request: str
    response: str
    ok: bool


def _certificate_query(start: date | None, end: date | None) -> Any:
    """The current certificates in the period, oldest first, as the columns a row needs: the
    batch's code, never its manifest (18 KB a row on a five-year base, issue 30)."""
    stmt = (
        select(
            Certificate.number,
            Certificate.issued_at,
            Certificate.station_id,
            Certificate.payload_json,
            Certificate.digest,
            Certificate.signature,
            Certificate.emulated,
            Device.platform,
            Device.manufacturer,
            Device.model,
            WipeJob.id,
            WipeJob.method,
            WipeJob.erasure_class,
            WipeJob.route,
            WipeJob.verification_level,
            WipeJob.activation_lock,
            WipeJob.reusable,
            RecyclingBatch.code,
        )
        .join(Device, col(Device.id) == Certificate.device_id)
        .outerjoin(WipeJob, col(WipeJob.id) == Certificate.job_id)
        .outerjoin(BatchItem, col(BatchItem.certificate_id) == Certificate.id)
        .outerjoin(RecyclingBatch, col(RecyclingBatch.id) == BatchItem.batch_id)
        # Current certificates only: a superseded one no longer says what the records say.
        .where(col(Certificate.superseded_by_id).is_(None))
        .order_by(col(Certificate.issued_at), col(Certificate.number))
    )
    return issued_between(stmt, start, end)


def _signed_facts(payload_json: str) -> tuple[str, str, str]:
    """Serial, first IMEI and customer as signed. The stored payload was checked when it was
    signed; the export reads three values from it, not the typed payload (building that cost
    ~2 ms a certificate: 17 minutes for five years)."""
    try:
        data = json.loads(payload_json)
        imeis = (data.get("mobile") or {}).get("imeis") or []
        customer = data.get("customer") or {}
        return (
            str(data["media"]["serial_number"]),
            str(imeis[0]) if imeis else "",
            str(customer.get("org_number") or ""),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StationError("a stored certificate payload is unreadable") from exc


def _certificate_row(row: Any) -> CertificateRow:
    (number, issued_at, station, payload, digest, signature, emulated) = row[:7]
    platform, manufacturer, model, job_id, method, erasure_class, route = row[7:14]
    level, lock, reusable, batch = row[14:]
    # The certified facts are read from what was signed, so the export cannot disagree.
    serial, imei, customer = _signed_facts(payload)
    has_job = job_id is not None
    return CertificateRow(
        number=number,
        issued_at=iso(issued_at),
        station=station,
        platform=platform,
        manufacturer=manufacturer,
        model=model,
        serial=serial,
        imei=imei,
        customer=customer,
        method=method or "",
        erasure_class=erasure_class or "",
        route=route or "",
        verification_level=level or "",
        activation_lock=lock or "",
        reusable=reusable is not False if has_job else True,
        batch=batch or "",
        digest=digest,
        signature=signature,
        emulated=emulated,
    )


def iter_certificate_rows(
    session: Session, start: date | None, end: date | None
) -> Iterator[CertificateRow]:
    """The export's certificate rows as they are read (a server-side cursor on PostgreSQL)."""
    for row in stream(session, _certificate_query(start, end)):
        yield _certificate_row(row)


def iter_evidence_rows(
    session: Session, start: date | None, end: date | None
) -> Iterator[EvidenceRow]:
    """The evidence behind each current certificate in the period, as it is read."""
    stmt = (
        select(
            Certificate.number,
            Device.serial,
            Evidence.seq,
            Evidence.at,
            Evidence.step,
            Evidence.check,
            Evidence.request,
            Evidence.response,
            Evidence.ok,
        )
        .join(Device, col(Device.id) == Certificate.device_id)
        .join(Evidence, col(Evidence.job_id) == Certificate.job_id)
        .where(col(Certificate.superseded_by_id).is_(None))
        .order_by(col(Certificate.number), col(Evidence.seq))
    )
    for number, serial, seq, at, step, check, request, response, ok in stream(
        session, issued_between(stmt, start, end)
    ):
        yield EvidenceRow(number, serial, seq, iso(at), step, check, request, response, ok)


_ROWS = {"certificates": iter_certificate_rows, "evidence": iter_evidence_rows}
ROW_TYPES: dict[str, type] = {"certificates": CertificateRow, "evidence": EvidenceRow}


@dataclass
class Written:
    """How many rows an export wrote: known once its text has been read to the end."""

    count: int = 0


def export_text(
    ctx: StationContext,
    actor: audit.Actor,
    kind: str,
    fmt: str,
    start: date | None = None,
    end: date | None = None,
    written: Written | None = None,
) -> Iterator[str]:
    """The export of ``kind`` (certificates | evidence) as ``fmt`` (csv | json), a piece at a
    time as the rows are read, so a five-year export holds a chunk of rows, never all of them.
    The export is audited (with its row count) once the last row has been read; a reader that
    stops early leaves no audit event, as no export was made."""
    written = written if written is not None else Written()
    with ctx.session() as s:
        rows = _counted(_ROWS[kind](s, start, end), written)
        if fmt == "csv":
            yield from csv_chunks(rows, ROW_TYPES[kind])
        else:
            yield from json_chunks(rows, kind, written)
        audit.append(
            s, ctx.identity, actor, f"export.{kind}", {"count": written.count} | _span(start, end)
        )


def _counted(rows: Iterable[Any], written: Written) -> Iterator[Any]:
    for row in rows:
        written.count += 1
        yield row


def certificates(
    ctx: StationContext, actor: audit.Actor, start: date | None = None, end: date | None = None
) -> list[CertificateRow]:
    """Every current certificate's row in the period, as a list (few rows; the CLI streams)."""
    with ctx.session() as s:
        rows = list(iter_certificate_rows(s, start, end))
        audit.append(
            s, ctx.identity, actor, "export.certificates", {"count": len(rows)} | _span(start, end)
        )
        return rows


def evidence(
    ctx: StationContext, actor: audit.Actor, start: date | None = None, end: date | None = None
) -> list[EvidenceRow]:
    """The evidence behind each certificate in the period, as a list (the CLI streams)."""
    with ctx.session() as s:
        rows = list(iter_evidence_rows(s, start, end))
        audit.append(
            s, ctx.identity, actor, "export.evidence", {"count": len(rows)} | _span(start, end)
        )
        return rows


def _span(start: date | None, end: date | None) -> dict[str, str | None]:
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
    }


# Rows written into one piece of text: few writes, a small piece.
_ROWS_A_PIECE = 500


def csv_chunks(rows: Iterable[Any], row_type: type) -> Iterator[str]:
    """CSV text, a piece at a time; the header comes from the row type, so an export with no
    rows still says what its columns are."""
    out = io.StringIO()
    w = csv_safe.writer(out)  # serials, models, names: never a formula in a spreadsheet
    names = [f.name for f in fields(row_type)]
    w.writerow(names)
    values = _values(names)
    for i, row in enumerate(rows, 1):
        w.writerow([_cell(v) for v in values(row)])
        if i % _ROWS_A_PIECE == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def to_csv(rows: list[Any], row_type: type | None = None) -> str:
    """The rows as CSV (``CertificateRow`` columns unless the rows or ``row_type`` say)."""
    kind = type(rows[0]) if rows else (row_type or CertificateRow)
    return "".join(csv_chunks(rows, kind))


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A flat row's field values, in field order: `dataclasses.asdict` walked each value for
    nested dataclasses and copies, a quarter of a five-year export's time (issue 30)."""
    get = attrgetter(*names)
    return (lambda row: (get(row),)) if len(names) == 1 else get


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def json_chunks(rows: Iterable[Any], kind: str, written: Written | None = None) -> Iterator[str]:
    """``{"kind": ..., "rows": [...], "count": N}``, a piece at a time: the count comes last,
    when it is known."""
    yield f'{{"kind": {json.dumps(kind)},\n "rows": ['
    pieces: list[str] = []
    count = 0
    values: Callable[[Any], tuple[Any, ...]] | None = None
    names: list[str] = []
    for count, row in enumerate(rows, 1):
        if values is None:
            names = [f.name for f in fields(row)]
            values = _values(names)
        lead = "\n  " if count == 1 else ",\n  "
        pieces.append(
            lead + json.dumps(dict(zip(names, values(row), strict=True)), ensure_ascii=False)
        )
        if len(pieces) == _ROWS_A_PIECE:
            yield "".join(pieces)
            pieces.clear()
    pieces.append(f'\n ],\n "count": {written.count if written else count}\n}}\n')
    yield "".join(pieces)


def to_json(rows: list[Any], kind: str) -> str:
    return "".join(json_chunks(rows, kind))


def sample(
    ctx: StationContext,
    actor: audit.Actor,
    percent: float,
    seed: str,
    start: date | None = None,
    end: date | None = None,
) -> list[CertificateRow]:
    """A reproducible random sample of certified phones: each certificate is ranked by
    SHA-256(seed, number) and the lowest ``percent`` taken (at least one). The same seed over the
    same certificates gives the same sample on any machine; certificates issued later do not
    change which of the earlier ones were drawn ahead of others."""
    if not 0 < percent <= 100:
        raise StationError("--percent must be more than 0 and at most 100")
    if not seed.strip():
        raise StationError("the sample needs a seed")
    with ctx.session() as s:
        current = issued_between(
            select(Certificate.number).where(col(Certificate.superseded_by_id).is_(None)),
            start,
            end,
        )
        population = s.execute(select(func.count()).select_from(current.subquery())).scalar_one()
        if not population:
            raise StationError("no certificates in that period to sample from")
        k = max(1, math.ceil(population * percent / 100))
        # The k lowest ranks, kept as the numbers stream past: k numbers held, not every row.
        drawn = heapq.nsmallest(
            k,
            (number for (number,) in stream(s, current)),
            key=lambda n: hashlib.sha256(f"{seed}\x00{n}".encode()).hexdigest(),
        )
        chosen = sorted(_rows_of(s, drawn, start, end), key=lambda r: r.number)
        audit.append(
            s,
            ctx.identity,
            actor,
            "audit.sampled",
            {
                "seed": seed,
                "percent": percent,
                "population": population,
                "drawn": [r.number for r in chosen],
            }
            | _span(start, end),
        )
        return chosen


def _rows_of(
    session: Session, numbers: list[str], start: date | None, end: date | None
) -> Iterator[CertificateRow]:
    """The export rows of these certificates, looked up a chunk of numbers at a time."""
    for i in range(0, len(numbers), CHUNK):
        chunk = numbers[i : i + CHUNK]
        stmt = _certificate_query(start, end).where(col(Certificate.number).in_(chunk))
        for row in session.execute(stmt):
            yield _certificate_row(row)
