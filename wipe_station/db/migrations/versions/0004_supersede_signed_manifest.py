"""certificates can be superseded; batches keep who handed them over and the signed manifest

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_certificates_superseded_by_id"), ["superseded_by_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_certificates_superseded_by_id", "certificates", ["superseded_by_id"], ["id"]
        )
    with op.batch_alter_table("recycling_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("manifest_json", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "manifest_signature", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
            )
        )
        batch_op.create_foreign_key(
            "fk_recycling_batches_handed_over_by", "operators", ["handed_over_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("recycling_batches", schema=None) as batch_op:
        batch_op.drop_constraint("fk_recycling_batches_handed_over_by", type_="foreignkey")
        for name in ("manifest_signature", "manifest_json", "handed_over_by"):
            batch_op.drop_column(name)
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint("fk_certificates_superseded_by_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_certificates_superseded_by_id"))
        batch_op.drop_column("superseded_by_id")
