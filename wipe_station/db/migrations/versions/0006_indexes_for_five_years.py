"""indexes for what users ask of five years of records; drop the ones another index covers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 20:20:00

Plain CREATE INDEX: on a five-year PostgreSQL base it holds a share lock on each table for a few
seconds while the index is built (docs/queries.md); stations upgrade one at a time under the
advisory lock in db/migrate.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index, columns, partial condition or None)
_NEW: tuple[tuple[str, str, list[str], str | None], ...] = (
    ("certificates", "ix_certificates_job_id", ["job_id"], None),
    ("batch_items", "ix_batch_items_certificate_id", ["certificate_id"], None),
    ("devices", "ix_devices_intake_line_id", ["intake_line_id"], None),
    ("devices", "ix_devices_imei2", ["imei2"], None),
    ("devices", "ix_devices_customer_id_created_at", ["customer_id", "created_at"], None),
    ("devices", "ix_devices_customer_id_open", ["customer_id"], "anonymised_at IS NULL"),
    ("intake_lines", "ix_intake_lines_customer_id_open", ["customer_id"], "anonymised_at IS NULL"),
    ("audit_personal", "ix_audit_personal_customer_id_open", ["customer_id"], "value IS NOT NULL"),
    ("recycling_batches", "ix_recycling_batches_state", ["state"], None),
    ("audit_checkpoints", "ix_audit_checkpoints_station_id_seq", ["station_id", "seq"], None),
    ("audit_events", "ix_audit_events_device_id_action", ["device_id", "action"], None),
)
# Indexes whose columns lead a wider index on the same table (kept on downgrade).
_REDUNDANT: tuple[tuple[str, str, list[str]], ...] = (
    ("evidence", "ix_evidence_job_id", ["job_id"]),  # unique (job_id, seq)
    ("audit_events", "ix_audit_events_station_id", ["station_id"]),  # unique (station_id, seq)
    ("audit_events", "ix_audit_events_device_id", ["device_id"]),  # (device_id, action)
    ("audit_checkpoints", "ix_audit_checkpoints_station_id", ["station_id"]),  # (station_id, seq)
    ("devices", "ix_devices_customer_id", ["customer_id"]),  # (customer_id, created_at)
)


def _where(condition: str | None) -> dict[str, object]:
    if condition is None:
        return {}
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade() -> None:
    for table, name, columns, condition in _NEW:
        op.create_index(name, table, columns, unique=False, **_where(condition))
    for table, name, _columns in _REDUNDANT:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, columns in _REDUNDANT:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns, _condition in reversed(_NEW):
        op.drop_index(name, table_name=table)
