"""one live device record per phone identity, one current certificate per device

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE_DEVICE = sa.text("state <> 'handed_over'")
_CURRENT_CERTIFICATE = sa.text("superseded_by_id IS NULL")


def upgrade() -> None:
    # A database that already holds two live records of one phone (two stations raced before
    # this revision) stops here with the database's own unique-violation message: which record
    # is the phone's is a person's decision, not a migration's.
    op.create_index(
        "uq_devices_live_identity",
        "devices",
        ["platform", "serial"],
        unique=True,
        sqlite_where=_LIVE_DEVICE,
        postgresql_where=_LIVE_DEVICE,
    )
    op.create_index(
        "uq_certificates_current",
        "certificates",
        ["device_id"],
        unique=True,
        sqlite_where=_CURRENT_CERTIFICATE,
        postgresql_where=_CURRENT_CERTIFICATE,
    )


def downgrade() -> None:
    op.drop_index("uq_certificates_current", table_name="certificates")
    op.drop_index("uq_devices_live_identity", table_name="devices")
