"""audit_personal names the customer whose personal data it holds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_personal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_audit_personal_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_audit_personal_customer_id", "customers", ["customer_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_personal", schema=None) as batch_op:
        batch_op.drop_constraint("fk_audit_personal_customer_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_personal_customer_id"))
        batch_op.drop_column("customer_id")
