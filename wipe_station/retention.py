"""Retention: the privacy statement's deadlines, carried out.

Two rules, both configurable in settings:
- *personal data* (employee names, phone numbers, free-text notes and reasons) of a customer is
  anonymised once its contract ended more than ``retention.personal_months`` (6) months ago;
- *accounting records* (certificates and their evidence) are purged after
  ``retention.accounting_years`` (5) years, for phones that have left the depot.

The audit log keeps only salted commitments to personal values, so erasing value and salt leaves
every hash intact. Anonymised values must be gone from the file on disk, not only from queries:
SQLite runs with ``secure_delete`` (freed cells and pages are zeroed) and the run ends by
emptying the WAL (`retention compact` also vacuums). On
PostgreSQL the run ends with a plain ``VACUUM`` (no lock that keeps stations out) and rewrites
the touched tables with ``VACUUM FULL`` only when no other station is connected; otherwise
`retention compact` does it in a quiet hour (docs/decisions.md, 2026-12-07).

Five years of records (issue 30): the work goes in batches of ``BATCH`` rows, each its own
transaction, so a run holds no lock for long, can be stopped, and is finished by the next run
(what is already anonymised or purged is not looked at again).
"""

from __future__ import annotations

import calendar
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, func, union, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from wipe_station import settings
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import (
    PERSONAL_COLUMNS,
    AuditEvent,
    AuditPersonal,
    BatchItem,
    Certificate,
    Customer,
    Device,
    Evidence,
    IntakeLine,
)
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState
from wipe_station.timeutil import utcnow

COMPACTED_TABLES = ("intake_lines", "devices", "audit_personal", "certificates", "evidence")
# Rows changed in one transaction: a second or so of locks on a five-year base.
BATCH = 1000


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class CustomerExpiry:
    org_number: str
    contract_end: date
    deadline: date
    intake_lines: int = 0
    devices: int = 0
    audit_values: int = 0


@dataclass
class RetentionPlan:
    today: date
    personal_months: int
    accounting_years: int
    customers: list[CustomerExpiry] = field(default_factory=list)
    # Phones no customer was ever named for: their free text goes N months after hand-over.
    unowned_devices: list[int] = field(default_factory=list)
    unowned_audit_values: int = 0
    purge_before: date | None = None
    certificates: list[str] = field(default_factory=list)
    evidence: int = 0
    compacted: str = ""
    # Customers left out of this run, each with the reason; the others went ahead.
    skipped: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not (
            any(c.intake_lines or c.devices or c.audit_values for c in self.customers)
            or self.unowned_devices
            or self.certificates
            or self.evidence
        )


def _int_setting(session: Session, key: str) -> int:
    # The same range `settings set` enforces, for a value stored before it did.
    raw = settings.get(session, key)
    try:
        return int(settings.validate(key, raw))
    except StationError as exc:
        raise StationError(f"setting {key} = {raw!r}: {exc}; set it again") from None


def _personal_audit_rows(cust_id: int | None, device_ids: list[int] | None = None) -> Any:
    """Ids of the personal values still held for a customer (by owner, or by an event about
    one of its phones), or for the phones ``device_ids``.

    A union of index look-ups, not one query with ``owner = X OR event_id IN (…)``: PostgreSQL
    cannot answer that OR from indexes and scanned all 1.6 M personal values for each customer
    due (issue 30)."""
    held = col(AuditPersonal.value).is_not(None) | col(AuditPersonal.salt).is_not(None)
    about_phones = select(AuditPersonal.id).join(
        AuditEvent, col(AuditEvent.id) == AuditPersonal.event_id
    )
    parts = []
    if cust_id is not None:
        # By owner: the partial index on values not erased yet, then a value erased without
        # its salt (never written so, but counted if it were) by the owner index.
        parts.append(
            select(AuditPersonal.id).where(
                AuditPersonal.customer_id == cust_id, col(AuditPersonal.value).is_not(None)
            )
        )
        parts.append(
            select(AuditPersonal.id).where(
                AuditPersonal.customer_id == cust_id,
                col(AuditPersonal.value).is_(None),
                col(AuditPersonal.salt).is_not(None),
            )
        )
        parts.append(
            about_phones.join(Device, col(Device.id) == AuditEvent.device_id)
            .where(Device.customer_id == cust_id)
            .where(held)
        )
    if device_ids:
        parts.append(about_phones.where(col(AuditEvent.device_id).in_(device_ids)).where(held))
    ids = union(*parts).subquery()
    return select(ids.c.id)


def _count(s: Session, ids: Any) -> int:
    return int(s.execute(select(func.count()).select_from(ids.subquery())).scalar_one())


def _open_lines(cust_id: int) -> Any:
    return (
        select(IntakeLine.id)
        .where(IntakeLine.customer_id == cust_id)
        .where(col(IntakeLine.anonymised_at).is_(None))
    )


def _open_devices(cust_id: int) -> Any:
    return (
        select(Device.id)
        .where(Device.customer_id == cust_id)
        .where(col(Device.anonymised_at).is_(None))
    )


def _anything_left(s: Session, cust_id: int) -> bool:
    """Whether a customer still has personal data, asked of the partial indexes on what is
    not anonymised yet: a customer done in an earlier run costs three index probes, not a scan
    of its records. (Values chained in a phone's events go with the phone, in the same run,
    before it is marked anonymised.)"""
    held = select(AuditPersonal.id).where(
        AuditPersonal.customer_id == cust_id, col(AuditPersonal.value).is_not(None)
    )
    return any(
        s.execute(q.limit(1)).first() is not None
        for q in (_open_lines(cust_id), _open_devices(cust_id), held)
    )


def plan(ctx: StationContext, today: date | None = None) -> RetentionPlan:
    today = today or utcnow().date()
    with ctx.session() as s:
        return _plan(s, today)


def _plan(s: Session, today: date) -> RetentionPlan:
    months = _int_setting(s, "retention.personal_months")
    years = _int_setting(s, "retention.accounting_years")
    result = RetentionPlan(today=today, personal_months=months, accounting_years=years)
    for cust in s.exec(select(Customer).where(col(Customer.contract_end).is_not(None))).all():
        assert cust.contract_end is not None
        try:
            deadline = add_months(cust.contract_end, months)
        except (ValueError, OverflowError):
            # A contract end stored before dates were checked (9999-12-31): never due. Say so,
            # and go on with the other customers.
            result.skipped.append(
                f"customer {cust.org_number}: contract end {cust.contract_end} plus "
                f"{months} months is past the calendar; correct it with `customers set`"
            )
            continue
        if deadline >= today:
            continue
        assert cust.id is not None
        if not _anything_left(s, cust.id):
            continue  # anonymised by an earlier run
        expiry = CustomerExpiry(cust.org_number, cust.contract_end, deadline)
        expiry.intake_lines = _count(s, _open_lines(cust.id))
        expiry.devices = _count(s, _open_devices(cust.id))
        expiry.audit_values = _count(s, _personal_audit_rows(cust.id))
        if expiry.intake_lines or expiry.devices or expiry.audit_values:
            result.customers.append(expiry)
    left_before = datetime.combine(add_months(today, -months), time(), UTC)
    result.unowned_devices = [
        d
        for d in s.exec(
            select(Device.id)
            .where(col(Device.customer_id).is_(None))
            .where(Device.state == DeviceState.HANDED_OVER.value)
            .where(col(Device.state_since) < left_before)
            .where(col(Device.anonymised_at).is_(None))
        ).all()
        if d is not None
    ]
    if result.unowned_devices:
        rows = _personal_audit_rows(None, result.unowned_devices)
        result.unowned_audit_values = _count(s, rows)
    try:
        result.purge_before = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        result.purge_before = today.replace(year=today.year - years, day=28)
    cutoff = datetime.combine(result.purge_before, time(), UTC)
    left = select(Device.id).where(Device.state == DeviceState.HANDED_OVER.value)
    result.certificates = list(
        s.exec(
            select(Certificate.number)
            .where(col(Certificate.issued_at) < cutoff)
            .where(col(Certificate.device_id).in_(left))
            .order_by(col(Certificate.number))
        ).all()
    )
    result.evidence = _count(s, _old_evidence(cutoff))
    return result


def _old_certificates(cutoff: datetime) -> Any:
    """Certificates past the accounting period of phones that left the depot, oldest first
    (an older certificate goes before the one that superseded it)."""
    left = select(Device.id).where(Device.state == DeviceState.HANDED_OVER.value)
    return (
        select(Certificate.id, Certificate.number, Certificate.job_id)
        .where(col(Certificate.issued_at) < cutoff)
        .where(col(Certificate.device_id).in_(left))
        .order_by(col(Certificate.issued_at), col(Certificate.id))
    )


def _old_evidence(cutoff: datetime) -> Any:
    old_jobs = _old_certificates(cutoff).order_by(None).with_only_columns(Certificate.job_id)
    return select(Evidence.id).where(col(Evidence.job_id).in_(old_jobs))


def _in_batches(ctx: StationContext, ids: Any, change: Any) -> int:
    """Apply ``change`` (ids -> a statement) to what the select ``ids`` finds, ``BATCH`` ids at
    a time, each batch its own transaction, until it finds nothing: an interrupted run leaves
    whole batches done, and the next run goes on from there. Returns the rows changed."""
    done = 0
    while True:
        with ctx.session() as s:
            batch = [row[0] for row in s.execute(ids.limit(BATCH)).all()]
            if not batch:
                return done
            s.execute(change(batch))
            done += len(batch)
        if len(batch) < BATCH:
            # That was all there was: asking again would cost a query and a transaction for
            # each of a run's hundreds of customers (what arrives meanwhile is the next run's).
            return done


def _anonymise(
    ctx: StationContext, model: type[IntakeLine] | type[Device], open_ids: Any, now: datetime
) -> int:
    """Blank every personal column of ``model`` (as ``PERSONAL_COLUMNS`` names them) in the rows
    ``open_ids`` selects (ids of rows not anonymised yet), a batch at a time."""
    return _in_batches(ctx, open_ids, lambda batch: _blanked(model, batch, now))


def _blanked(model: type[IntakeLine] | type[Device], ids: Any, now: datetime) -> Any:
    """The UPDATE that blanks every personal column of ``model`` (as ``PERSONAL_COLUMNS``
    names them) in the rows ``ids`` (a list, or a select of ids) not anonymised yet."""
    blank: dict[str, Any] = dict.fromkeys(PERSONAL_COLUMNS[model])
    return (
        update(model)
        .where(col(model.id).in_(ids))
        .where(col(model.anonymised_at).is_(None))
        .values(**blank, anonymised_at=now)
    )


def _erase_audit_values(ctx: StationContext, rows: Any) -> int:
    """Erase value and salt behind the commitments ``rows`` (a select of ids) points at."""
    return _in_batches(ctx, rows, _erased_values)


def _erased_values(ids: Any) -> Any:
    """The UPDATE that erases value and salt of the commitments ``ids`` (a list or a select)."""
    return update(AuditPersonal).where(col(AuditPersonal.id).in_(ids)).values(value=None, salt=None)


def run(
    ctx: StationContext, actor: audit.Actor, *, dry_run: bool, today: date | None = None
) -> RetentionPlan:
    """Carry out what is due, in batches of ``BATCH`` rows, each its own transaction. A run
    that is stopped part way leaves whole batches done; the next run plans again and finishes
    the rest (each customer's audit event is written once its data is all anonymised)."""
    today = today or utcnow().date()
    with ctx.session() as s:
        result = _plan(s, today)
    if dry_run:
        return result
    now = utcnow()
    for expiry in list(result.customers):
        try:
            # One customer at a time: a record that fails stops only its customer.
            _anonymise_customer(ctx, actor, result, expiry, now)
        except (SQLAlchemyError, StationError, ValueError) as exc:
            result.customers.remove(expiry)
            result.skipped.append(
                f"customer {expiry.org_number}: {type(exc).__name__}; "
                "the others went ahead, run retention again once it is corrected"
            )
    if result.unowned_devices:
        for i in range(0, len(result.unowned_devices), BATCH):
            phones = result.unowned_devices[i : i + BATCH]
            _erase_audit_values(ctx, _personal_audit_rows(None, phones))
            _anonymise(
                ctx,
                Device,
                select(Device.id)
                .where(col(Device.id).in_(phones))
                .where(col(Device.anonymised_at).is_(None)),
                now,
            )
        with ctx.session() as s:
            audit.append(
                s,
                ctx.identity,
                actor,
                "retention.anonymised",
                {
                    "customer": None,
                    "rule": f"free text {result.personal_months} months after hand-over "
                    "(phones no customer was named for)",
                    "devices": len(result.unowned_devices),
                    "audit_values": result.unowned_audit_values,
                },
            )
    if result.certificates or result.evidence:
        assert result.purge_before is not None
        _purge(ctx, actor, result, datetime.combine(result.purge_before, time(), UTC))
    with ctx.session() as s:
        audit.checkpoint_head(s, ctx.identity)
    result.compacted = compact(ctx)
    return result


def _purge(
    ctx: StationContext, actor: audit.Actor, result: RetentionPlan, cutoff: datetime
) -> None:
    """Delete old certificates with their evidence and batch entries, ``BATCH`` certificates a
    transaction, each batch audited with the numbers it purged."""
    while True:
        with ctx.session() as s:
            rows = s.execute(_old_certificates(cutoff).limit(BATCH)).all()
            if not rows:
                return
            ids = [r[0] for r in rows]
            jobs = [r[2] for r in rows if r[2] is not None]
            evidence = s.execute(delete(Evidence).where(col(Evidence.job_id).in_(jobs)))
            s.execute(delete(BatchItem).where(col(BatchItem.certificate_id).in_(ids)))
            s.execute(delete(Certificate).where(col(Certificate.id).in_(ids)))
            audit.append(
                s,
                ctx.identity,
                actor,
                "retention.purged",
                {
                    "rule": f"accounting records kept {result.accounting_years} years",
                    "before": cutoff.date().isoformat(),
                    "certificates": [r[1] for r in rows],
                    "evidence": evidence.rowcount,
                },
            )


def _anonymise_customer(
    ctx: StationContext,
    actor: audit.Actor,
    result: RetentionPlan,
    expiry: CustomerExpiry,
    now: datetime,
) -> None:
    with ctx.session() as s:
        cust_id = s.execute(
            select(Customer.id).where(Customer.org_number == expiry.org_number)
        ).scalar_one()
    if max(expiry.audit_values, expiry.devices, expiry.intake_lines) <= BATCH:
        # Most customers: everything in one transaction with its audit event (four commits a
        # customer were most of a five-year run on SQLite, where each one is an fsync).
        with ctx.session() as s:
            s.execute(_erased_values(_personal_audit_rows(cust_id)))
            s.execute(_blanked(Device, _open_devices(cust_id), now))
            s.execute(_blanked(IntakeLine, _open_lines(cust_id), now))
            _audit_anonymised(s, ctx, actor, result, expiry)
        return
    # The chained values first, then the phones and lines: a phone marked anonymised has no
    # values left behind it, which is what `_anything_left` relies on.
    _erase_audit_values(ctx, _personal_audit_rows(cust_id))
    _anonymise(ctx, Device, _open_devices(cust_id), now)
    _anonymise(ctx, IntakeLine, _open_lines(cust_id), now)
    with ctx.session() as s:
        _audit_anonymised(s, ctx, actor, result, expiry)


def _audit_anonymised(
    s: Session,
    ctx: StationContext,
    actor: audit.Actor,
    result: RetentionPlan,
    expiry: CustomerExpiry,
) -> None:
    audit.append(
        s,
        ctx.identity,
        actor,
        "retention.anonymised",
        {
            "customer": expiry.org_number,
            "contract_end": expiry.contract_end.isoformat(),
            "rule": f"personal data {result.personal_months} months after contract end",
            "intake_lines": expiry.intake_lines,
            "devices": expiry.devices,
            "audit_values": expiry.audit_values,
        },
    )


def compact(ctx: StationContext, *, rewrite: bool = False) -> str:
    """Make deleted and overwritten values unrecoverable from the database files. Runs on every
    retention run, so a run interrupted before this point is finished by the next one.

    SQLite: every connection runs with ``secure_delete`` on, so the cells and pages that held
    an anonymised or purged value are zeroed in place; what is left is their old images in the
    WAL, which a TRUNCATE checkpoint removes. ``rewrite`` (`retention compact`) also VACUUMs,
    which gives the file's free pages back to the disk: a whole rewrite of the file (24 s at
    five years), so not on every run (docs/decisions.md, 2026-12-07).

    PostgreSQL: see `_compact_postgresql`; ``rewrite`` rewrites the tables even while other
    stations are connected (`retention compact --now`)."""
    engine = ctx.engine
    try:
        if engine.dialect.name == "sqlite":
            # The raw DBAPI connection: the engine's BEGIN IMMEDIATE hook must not wrap VACUUM.
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                if rewrite:
                    cur.execute("VACUUM")
                    cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cur.fetchone()
                cur.close()
            finally:
                raw.close()
            if busy and busy[0]:
                raise StationError(
                    "another program still reads the database, so its WAL could not be emptied "
                    "of the old values; stop the other station programs and run "
                    "`wipe-station retention run` again"
                )
            return "sqlite: secure_delete, WAL truncated" + (", vacuumed" if rewrite else "")
        return _compact_postgresql(ctx, rewrite=rewrite)
    except (OperationalError, sqlite3.OperationalError) as exc:
        raise StationError(
            f"records were anonymised, but compacting the database failed "
            f"({getattr(exc, 'orig', None) or exc}); "
            "stop other station programs and run `wipe-station retention run` again"
        ) from exc


def other_connections(ctx: StationContext) -> int:
    """Client connections to this PostgreSQL database other than this process's own."""
    ctx.engine.dispose()  # this process's idle pooled connections are not another station
    with ctx.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).scalar_one()
        )


def _compact_postgresql(ctx: StationContext, *, rewrite: bool) -> str:
    """A plain VACUUM of the touched tables always: it frees the dead row versions holding the
    old values without a lock that keeps stations out. ``VACUUM FULL`` (which rewrites each
    table into new files and drops the old ones, so no old value is left on disk) takes an
    exclusive lock for as long as it runs (28 s for the evidence of five years): it runs only
    when no other station is connected, or when asked to (``rewrite``), and gives up after a
    few seconds' wait for its lock rather than queue every station behind it."""
    others = other_connections(ctx)
    with ctx.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in COMPACTED_TABLES:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        if others and not rewrite:
            return (
                f"postgresql: VACUUM {', '.join(COMPACTED_TABLES)}; {others} other "
                "connections, so the files are rewritten later: run `wipe-station retention "
                "compact` when the other stations are idle"
            )
        conn.exec_driver_sql("SET lock_timeout = '5s'")
        for table in COMPACTED_TABLES:
            conn.exec_driver_sql(f"VACUUM FULL {table}")
        return f"postgresql: VACUUM FULL {', '.join(COMPACTED_TABLES)}"
