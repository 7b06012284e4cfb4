"""Bring any database up to the newest schema, automatically, on every open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions. Every command opens the database and asks
# whether it is at the newest schema; answering that from this constant and one SELECT, with
# alembic imported and its scripts read only to migrate, takes a fifth of a second off every
# command (issue 30). tests/foundation/test_migrations.py checks it is alembic's own head.
HEAD = "0008"
# Any constant works; it only has to be the same for every station sharing one PostgreSQL.
_PG_LOCK_KEY = 0x57495045


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision as alembic reads the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (alembic's version table), None for a new one."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, target: str = "head") -> None:
    if target == "head" and current_revision(engine) == HEAD:
        return
    from alembic import command

    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Two stations starting at once must not both create the tables.
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            command.upgrade(_config(conn), target)
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the models' difference to ``engine``."""
    from alembic import command

    with engine.connect() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
