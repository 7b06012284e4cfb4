"""an intake line holds the salt of its event's commitments

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:00:00

An intake line's name, phone and reason were stored twice: on the line and, behind its
intake.line event's commitments, in audit_personal (three rows a line, each with two foreign
keys and four indexes: most of the database's work for a 20,000-line import, issue 30). A
line imported from now on keeps one salt and its event's station and sequence number; the
commitments are tested against the line's own values. Lines imported before keep their
audit_personal rows, which retention erases as before. docs/decisions.md, 2026-12-08.

Also dropped, as indexes no query uses that every write updates:
- ix_intake_lines_customer_id. No query asks for a customer's lines without
  `anonymised_at IS NULL` (retention's, which ix_intake_lines_customer_id_open answers) and
  customers are never deleted; a 20,000-line file that names many customers touched most
  of its pages (0.1 s of an import at five years, SQLite).
- ix_audit_events_action. Events are asked for by station and sequence number, or by phone
  and action (ix_audit_events_device_id_action), never by action alone; it held an entry
  for each of five years' 2.1 million events.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audit_station", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("audit_seq", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("personal_salt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_index(
        "uq_intake_lines_audit_event",
        "intake_lines",
        ["audit_station", "audit_seq"],
        unique=True,
        postgresql_where=sa.text("audit_seq IS NOT NULL"),
        sqlite_where=sa.text("audit_seq IS NOT NULL"),
    )
    op.drop_index("ix_intake_lines_customer_id", table_name="intake_lines")
    op.drop_index("ix_audit_events_action", table_name="audit_events")


def downgrade() -> None:
    op.create_index("ix_audit_events_action", "audit_events", ["action"], unique=False)
    op.create_index("ix_intake_lines_customer_id", "intake_lines", ["customer_id"], unique=False)
    op.drop_index("uq_intake_lines_audit_event", table_name="intake_lines")
    with op.batch_alter_table("intake_lines", schema=None) as batch_op:
        batch_op.drop_column("personal_salt")
        batch_op.drop_column("audit_seq")
        batch_op.drop_column("audit_station")
