"""The station's records. Schema changes go through Alembic migrations in ``db/migrations``.

Personal data (employee name and phone number, free-text notes) lives only in the columns named in
``PERSONAL_COLUMNS`` so retention can find and anonymise every one of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from wipe_station.db.types import UTCDateTime
from wipe_station.timeutil import utcnow


def _ts(nullable: bool = False, index: bool = False) -> Any:
    column = Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


class Station(SQLModel, table=True):
    __tablename__ = "stations"
    id: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=100)
    public_key_pem: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    id: int | None = Field(default=None, primary_key=True)
    org_number: str = Field(max_length=9, unique=True, index=True)
    name: str = Field(max_length=200)
    contract_end: date | None = None
    created_at: datetime = _ts()


class Operator(SQLModel, table=True):
    __tablename__ = "operators"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=16)
    pin_hash: str = Field(max_length=200)
    disabled: bool = False
    failed_pins: int = 0
    locked_until: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()


class IntakeLine(SQLModel, table=True):
    """A return the customer announced; matched to a phone by serial or IMEI when plugged in."""

    __tablename__ = "intake_lines"
    # Retention: one customer's lines not anonymised yet (docs/queries.md).
    __table_args__ = (
        Index(
            "ix_intake_lines_customer_id_open",
            "customer_id",
            postgresql_where=text("anonymised_at IS NULL"),
            sqlite_where=text("anonymised_at IS NULL"),
        ),
        # One intake.line event per line, and the way from an event to the values it commits
        # to (`audit verify`, `privacy export`): station and sequence number of the event.
        Index(
            "uq_intake_lines_audit_event",
            "audit_station",
            "audit_seq",
            unique=True,
            postgresql_where=text("audit_seq IS NOT NULL"),
            sqlite_where=text("audit_seq IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    # Not indexed alone: the one query by customer asks for lines not anonymised yet
    # (ix_intake_lines_customer_id_open), and an index every import updates must be used.
    customer_id: int = Field(foreign_key="customers.id")
    serial: str | None = Field(default=None, max_length=64, index=True)
    imei: str | None = Field(default=None, max_length=15, index=True)
    employee_name: str | None = Field(default=None, max_length=200)
    employee_phone: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=200)
    source_file: str = Field(max_length=255)
    line_no: int
    imported_at: datetime = _ts()
    anonymised_at: datetime | None = _ts(nullable=True)
    # The line's intake.line event commits to its name, phone and reason, salted from
    # ``personal_salt`` (audit.chain.kept_commitments): the values are kept here once, not copied
    # into audit_personal, and erasing the salt with them leaves the commitments untestable
    # (docs/decisions.md, 2026-12-08). NULL on lines imported before: theirs are in
    # audit_personal.
    audit_station: str | None = Field(default=None, max_length=16)
    audit_seq: int | None = None
    personal_salt: str | None = Field(default=None, max_length=64)


# What must never happen twice is the database's to refuse, not a check in code (issue 25): two
# stations racing on one PostgreSQL cannot give one phone two live records or two current
# certificates. Partial unique indexes, on both backends.
_LIVE_DEVICE = text("state <> 'handed_over'")
_CURRENT_CERTIFICATE = text("superseded_by_id IS NULL")


class Device(SQLModel, table=True):
    __tablename__ = "devices"
    __table_args__ = (
        # One live record per phone identity; a phone handed over and returned gets a new one.
        Index(
            "uq_devices_live_identity",
            "platform",
            "serial",
            unique=True,
            sqlite_where=_LIVE_DEVICE,
            postgresql_where=_LIVE_DEVICE,
        ),
        # A customer's phones by time received (the customer's report); serves by customer.
        Index("ix_devices_customer_id_created_at", "customer_id", "created_at"),
        # Retention: one customer's phones not anonymised yet (docs/queries.md).
        Index(
            "ix_devices_customer_id_open",
            "customer_id",
            postgresql_where=text("anonymised_at IS NULL"),
            sqlite_where=text("anonymised_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    station_id: str = Field(foreign_key="stations.id", max_length=16)
    platform: str = Field(max_length=16)
    serial: str = Field(max_length=64, index=True)
    imei: str | None = Field(default=None, max_length=15, index=True)
    imei2: str | None = Field(default=None, max_length=15, index=True)
    udid: str | None = Field(default=None, max_length=64)
    manufacturer: str = Field(default="", max_length=100)
    model: str = Field(default="", max_length=100)
    model_code: str = Field(default="", max_length=64)
    os_version: str = Field(default="", max_length=64)
    storage_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    usb_port: str | None = Field(default=None, max_length=64)
    state: str = Field(max_length=24, index=True)
    state_since: datetime = _ts()
    customer_id: int | None = Field(default=None, foreign_key="customers.id")
    intake_line_id: int | None = Field(default=None, foreign_key="intake_lines.id", index=True)
    quarantine_reason: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    emulated: bool = False
    created_at: datetime = _ts()
    anonymised_at: datetime | None = _ts(nullable=True)


class WipeJob(SQLModel, table=True):
    __tablename__ = "wipe_jobs"
    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    station_id: str = Field(foreign_key="stations.id", max_length=16)
    operator_id: int | None = Field(default=None, foreign_key="operators.id")
    method: str = Field(default="", max_length=100)
    erasure_class: str | None = Field(default=None, max_length=8)
    outcome: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    reusable: bool | None = None
    # How the erasure was done and proved (see drivers.contract): the certificate quotes these.
    route: str | None = Field(default=None, max_length=32)
    verification_level: str | None = Field(default=None, max_length=16)  # readback | attested
    activation_lock: str | None = Field(default=None, max_length=16)  # not_locked|locked|unknown
    activation_lock_reason: str | None = Field(default=None, max_length=300)
    # Attested erasures: the technician who confirmed the screen, and (setting erasure.attested
    # = hold) the supervisor who released the phone for certification.
    attested_by: int | None = Field(default=None, foreign_key="operators.id")
    released_by: int | None = Field(default=None, foreign_key="operators.id")
    started_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)


class Evidence(SQLModel, table=True):
    """What the station asked a phone, what it answered, when. Never user content."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (job_id, seq) index serves every lookup by job.
    job_id: int = Field(foreign_key="wipe_jobs.id")
    seq: int
    step: str = Field(max_length=16)
    check: str = Field(max_length=64)
    request: str = Field(sa_column=Column(Text, nullable=False))
    response: str = Field(sa_column=Column(Text, nullable=False))
    ok: bool
    at: datetime = _ts()


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("station_id", "year", "sequence"),
        # One current certificate per device (certify.supersede_if_changed keeps to it).
        Index(
            "uq_certificates_current",
            "device_id",
            unique=True,
            sqlite_where=_CURRENT_CERTIFICATE,
            postgresql_where=_CURRENT_CERTIFICATE,
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True, index=True)
    station_id: str = Field(foreign_key="stations.id", max_length=16)
    year: int
    sequence: int
    device_id: int = Field(foreign_key="devices.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="wipe_jobs.id", index=True)
    audit_event_id: int | None = Field(default=None, foreign_key="audit_events.id")
    issued_at: datetime = _ts(index=True)
    payload_json: str = Field(sa_column=Column(Text, nullable=False))
    signature: str = Field(max_length=200)
    digest: str = Field(max_length=64)
    emulated: bool = False
    # A later certificate that replaces this one because a signed fact changed (customer, IMEI,
    # ...). Both are kept; only a certificate with no successor is current.
    superseded_by_id: int | None = Field(default=None, foreign_key="certificates.id", index=True)


class CertificateCounter(SQLModel, table=True):
    """Gapless numbering: the row is locked while a number is taken, in the same transaction."""

    __tablename__ = "certificate_counters"
    station_id: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last_seq: int = 0


class RecyclingBatch(SQLModel, table=True):
    __tablename__ = "recycling_batches"
    # Open batches (and the other states) without reading 5,000 batches' manifests.
    __table_args__ = (Index("ix_recycling_batches_state", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    recycler: str = Field(max_length=200)
    state: str = Field(max_length=16)  # open | closed | handed_over
    created_by: int | None = Field(default=None, foreign_key="operators.id")
    created_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)
    handed_over_at: datetime | None = _ts(nullable=True)
    received_by: str | None = Field(default=None, max_length=200)
    handed_over_by: int | None = Field(default=None, foreign_key="operators.id")
    # The signed manifest as it was at the hand-over: printed again, it is the same document.
    manifest_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    manifest_signature: str | None = Field(default=None, max_length=200)


class BatchItem(SQLModel, table=True):
    __tablename__ = "batch_items"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="recycling_batches.id", index=True)
    device_id: int = Field(foreign_key="devices.id", unique=True)
    # Indexed: deleting a certificate checks this foreign key (a scan per row without it).
    certificate_id: int = Field(foreign_key="certificates.id", index=True)
    added_at: datetime = _ts()


class AuditHead(SQLModel, table=True):
    """Per-station chain head; locking this row serialises appends across processes."""

    __tablename__ = "audit_heads"
    station_id: str = Field(primary_key=True, max_length=16)
    last_seq: int = 0
    last_hash: str = Field(max_length=64)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    # The unique (station_id, seq) index serves a station's events in order and by sequence;
    # (device_id, action) a phone's events of one kind (released to leave again, ...).
    __table_args__ = (
        UniqueConstraint("station_id", "seq"),
        Index("ix_audit_events_device_id_action", "device_id", "action"),
    )
    id: int | None = Field(default=None, primary_key=True)
    station_id: str = Field(max_length=16)
    seq: int
    at: str = Field(max_length=32)  # the ISO string is what is hashed: no round-trip drift
    operator: str = Field(max_length=64)
    # Not indexed alone: no query asks for events by action but with their phone (above).
    action: str = Field(max_length=64)
    device_id: int | None = None
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditPersonal(SQLModel, table=True):
    """Personal values behind an event's commitments; retention erases value and salt together."""

    __tablename__ = "audit_personal"
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_events.id", index=True)
    __table_args__ = (
        # Retention: one customer's values not erased yet (docs/queries.md).
        Index(
            "ix_audit_personal_customer_id_open",
            "customer_id",
            postgresql_where=text("value IS NOT NULL"),
            sqlite_where=text("value IS NOT NULL"),
        ),
        # A person's own data (`privacy export`): their name or number among the values not
        # erased yet, compared without case. Without it each request read every value.
        Index(
            "ix_audit_personal_lower_value_open",
            text("lower(value)"),
            postgresql_where=text("value IS NOT NULL"),
            sqlite_where=text("value IS NOT NULL"),
        ),
    )
    # Whose personal data this is, so retention can find it when that customer's contract ends.
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    field: str = Field(max_length=64)
    salt: str | None = Field(default=None, max_length=64)
    value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AuditCheckpoint(SQLModel, table=True):
    __tablename__ = "audit_checkpoints"
    # A station's checkpoints by sequence: `audit verify` resumes from one.
    __table_args__ = (Index("ix_audit_checkpoints_station_id_seq", "station_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    station_id: str = Field(max_length=16)
    seq: int
    head_hash: str = Field(max_length=64)
    at: str = Field(max_length=32)
    signature: str = Field(max_length=200)


class Setting(SQLModel, table=True):
    __tablename__ = "settings"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)


# An intake line's personal values: its intake.line event commits to each one it holds.
LINE_PERSONAL_VALUES = ("employee_name", "employee_phone", "reason")

PERSONAL_COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    # The salt goes with the values: without it their commitments can no longer be tested.
    IntakeLine: (*LINE_PERSONAL_VALUES, "personal_salt"),
    Device: ("notes", "quarantine_reason"),
}
