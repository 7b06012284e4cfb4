"""Alembic environment: the station passes its open connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import wipe_station.db.models  # noqa: F401  (registers the tables on the metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through wipe_station.db.migrate, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
