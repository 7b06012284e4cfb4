"""a person's values by lower(value), for privacy export at five years

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:10:00

`privacy export` looks a person up among the personal values not erased yet; at five years
(1.8 M values) that was a read of every value per request (1.6 s on SQLite, where the planner
also walked the customer index for it). A partial expression index on lower(value): erased
values (NULL) are not in it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_personal_lower_value_open",
        "audit_personal",
        [sa.text("lower(value)")],
        unique=False,
        postgresql_where=sa.text("value IS NOT NULL"),
        sqlite_where=sa.text("value IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_personal_lower_value_open", table_name="audit_personal")
