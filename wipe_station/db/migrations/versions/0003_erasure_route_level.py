"""wipe jobs record the reset route, the verification level and the owner-lock result

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wipe_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("route", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "verification_level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("activation_lock", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "activation_lock_reason",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("attested_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("released_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_wipe_jobs_attested_by", "operators", ["attested_by"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_wipe_jobs_released_by", "operators", ["released_by"], ["id"]
        )
    # Jobs verified before levels existed were read back over ADB or lockdown.
    op.execute("UPDATE wipe_jobs SET verification_level = 'readback' WHERE outcome = 'verified'")


def downgrade() -> None:
    with op.batch_alter_table("wipe_jobs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_wipe_jobs_released_by", type_="foreignkey")
        batch_op.drop_constraint("fk_wipe_jobs_attested_by", type_="foreignkey")
        for name in (
            "released_by",
            "attested_by",
            "activation_lock_reason",
            "activation_lock",
            "verification_level",
            "route",
        ):
            batch_op.drop_column(name)
