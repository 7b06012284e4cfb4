"""Retention: the privacy statement's deadlines, carried out.

Two rules, both configurable in settings:
- *personal data* (employee names, phone numbers, free-text notes and reasons) of a customer is
  anonymised once its contract ended more than ``retention.personal_months`` (6) months ago;
- *accounting records* (certificates and their evidence) are purged after
  ``retention.accounting_years`` (5) years, for phones that have left the depot.

The audit log keeps only salted commitments to personal values, so erasing value and salt leaves
every hash intact. Anonymised values must be gone from the file on disk, not only from queries:
SQLite runs with ``secure_delete`` and the run ends by checkpointing the WAL and vacuuming; on
PostgreSQL the touched tables are rewritten with ``VACUUM FULL``.
"""

from __future__ import annotations

import calendar
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, col, or_, select

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


def _customer_devices(session: Session, cust: Customer) -> list[int]:
    return [
        d
        for d in session.exec(select(Device.id).where(Device.customer_id == cust.id)).all()
        if d is not None
    ]


def _personal_audit_rows(session: Session, cust: Customer | None, device_ids: list[int]) -> Any:
    conds = [AuditPersonal.customer_id == cust.id] if cust is not None else []
    if device_ids:
        in_devices = select(AuditEvent.id).where(col(AuditEvent.device_id).in_(device_ids))
        conds.append(col(AuditPersonal.event_id).in_(in_devices))
    return (
        select(AuditPersonal.id)
        .where(or_(*conds))
        .where(col(AuditPersonal.value).is_not(None) | col(AuditPersonal.salt).is_not(None))
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
        devices = _customer_devices(s, cust)
        expiry = CustomerExpiry(cust.org_number, cust.contract_end, deadline)
        expiry.intake_lines = len(
            s.exec(
                select(IntakeLine.id)
                .where(IntakeLine.customer_id == cust.id)
                .where(col(IntakeLine.anonymised_at).is_(None))
            ).all()
        )
        expiry.devices = len(
            s.exec(
                select(Device.id)
                .where(Device.customer_id == cust.id)
                .where(col(Device.anonymised_at).is_(None))
            ).all()
        )
        expiry.audit_values = len(s.exec(_personal_audit_rows(s, cust, devices)).all())  # type: ignore[call-overload]
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
        rows = _personal_audit_rows(s, None, result.unowned_devices)
        result.unowned_audit_values = len(s.exec(rows).all())
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
    result.evidence = len(s.exec(_old_evidence(cutoff)).all())  # type: ignore[call-overload]
    return result


def _old_evidence(cutoff: datetime):  # type: ignore[no-untyped-def]
    old_jobs = (
        select(Certificate.job_id)
        .where(col(Certificate.issued_at) < cutoff)
        .where(
            col(Certificate.device_id).in_(
                select(Device.id).where(Device.state == DeviceState.HANDED_OVER.value)
            )
        )
    )
    return select(Evidence.id).where(col(Evidence.job_id).in_(old_jobs))


def _anonymise(
    s: Session, model: type[IntakeLine] | type[Device], where: Any, now: datetime
) -> None:
    """Blank every personal column of ``model`` (as ``PERSONAL_COLUMNS`` names them) in the rows
    ``where`` selects that are not anonymised yet."""
    blank: dict[str, Any] = dict.fromkeys(PERSONAL_COLUMNS[model])
    s.exec(  # type: ignore[call-overload]
        update(model)
        .where(where)
        .where(col(model.anonymised_at).is_(None))
        .values(**blank, anonymised_at=now)
    )


def _erase_audit_values(s: Session, rows: Any) -> None:
    """Erase value and salt behind the commitments ``rows`` (a select of ids) points at."""
    ids = list(s.exec(rows).all())
    if ids:
        s.exec(  # type: ignore[call-overload]
            update(AuditPersonal)
            .where(col(AuditPersonal.id).in_(ids))
            .values(value=None, salt=None)
        )


def run(
    ctx: StationContext, actor: audit.Actor, *, dry_run: bool, today: date | None = None
) -> RetentionPlan:
    today = today or utcnow().date()
    with ctx.session() as s:
        result = _plan(s, today)
        if dry_run:
            return result
        now = utcnow()
        for expiry in list(result.customers):
            try:
                # One customer at a time: a record that fails rolls back only its customer.
                with s.begin_nested():
                    _anonymise_customer(ctx, s, actor, result, expiry, now)
            except (SQLAlchemyError, StationError, ValueError) as exc:
                result.customers.remove(expiry)
                result.skipped.append(
                    f"customer {expiry.org_number}: {type(exc).__name__}; "
                    "the others went ahead, run retention again once it is corrected"
                )
        if result.unowned_devices:
            _erase_audit_values(s, _personal_audit_rows(s, None, result.unowned_devices))
            _anonymise(s, Device, col(Device.id).in_(result.unowned_devices), now)
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
            cutoff = datetime.combine(result.purge_before, time(), UTC)
            s.exec(delete(Evidence).where(col(Evidence.id).in_(_old_evidence(cutoff))))  # type: ignore[call-overload]
            numbers = result.certificates
            cert_ids = select(Certificate.id).where(col(Certificate.number).in_(numbers))
            s.exec(delete(BatchItem).where(col(BatchItem.certificate_id).in_(cert_ids)))  # type: ignore[call-overload]
            s.exec(delete(Certificate).where(col(Certificate.number).in_(numbers)))  # type: ignore[call-overload]
            audit.append(
                s,
                ctx.identity,
                actor,
                "retention.purged",
                {
                    "rule": f"accounting records kept {result.accounting_years} years",
                    "before": result.purge_before.isoformat(),
                    "certificates": numbers,
                    "evidence": result.evidence,
                },
            )
        audit.checkpoint_head(s, ctx.identity)
    result.compacted = compact(ctx)
    return result


def _anonymise_customer(
    ctx: StationContext,
    s: Session,
    actor: audit.Actor,
    result: RetentionPlan,
    expiry: CustomerExpiry,
    now: datetime,
) -> None:
    cust = s.exec(select(Customer).where(Customer.org_number == expiry.org_number)).one()
    devices = _customer_devices(s, cust)
    _erase_audit_values(s, _personal_audit_rows(s, cust, devices))
    _anonymise(s, IntakeLine, col(IntakeLine.customer_id) == cust.id, now)
    _anonymise(s, Device, col(Device.customer_id) == cust.id, now)
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


def compact(ctx: StationContext) -> str:
    """Make deleted and overwritten values unrecoverable from the database files. Runs on every
    retention run, so a run interrupted before this point is finished by the next one."""
    engine = ctx.engine
    try:
        if engine.dialect.name == "sqlite":
            # The raw DBAPI connection: the engine's BEGIN IMMEDIATE hook must not wrap VACUUM.
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cur.execute("VACUUM")
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cur.fetchone()
                cur.close()
            finally:
                raw.close()
            if busy and busy[0]:
                raise StationError(
                    "the database was vacuumed but another program still reads it, so its WAL "
                    "could not be emptied; stop the other station programs and run "
                    "`wipe-station retention run` again"
                )
            return "sqlite: vacuumed, WAL truncated"
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in COMPACTED_TABLES:
                conn.exec_driver_sql(f"VACUUM FULL {table}")
            return f"postgresql: VACUUM FULL {', '.join(COMPACTED_TABLES)}"
    except (OperationalError, sqlite3.OperationalError) as exc:
        raise StationError(
            f"records were anonymised, but compacting the database failed "
            f"({getattr(exc, 'orig', None) or exc}); "
            "stop other station programs and run `wipe-station retention run` again"
        ) from exc
