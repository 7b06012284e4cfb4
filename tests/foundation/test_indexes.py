"""Migration 0006: the indexes users' queries need exist, the redundant ones are gone, and the
migration goes down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from wipe_station.db import migrate
from wipe_station.db.engine import make_engine

# SQLite cannot reflect expression indexes (0007's lower(value)): SQLAlchemy and alembic say so.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
]


WANTED = {
    "certificates": {("ix_certificates_job_id", ("job_id",))},
    "batch_items": {("ix_batch_items_certificate_id", ("certificate_id",))},
    "devices": {
        ("ix_devices_intake_line_id", ("intake_line_id",)),
        ("ix_devices_imei2", ("imei2",)),
        ("ix_devices_customer_id_open", ("customer_id",)),
        ("ix_devices_customer_id_created_at", ("customer_id", "created_at")),
    },
    "intake_lines": {("ix_intake_lines_customer_id_open", ("customer_id",))},
    "audit_personal": {("ix_audit_personal_customer_id_open", ("customer_id",))},
    "recycling_batches": {("ix_recycling_batches_state", ("state",))},
    "audit_checkpoints": {("ix_audit_checkpoints_station_id_seq", ("station_id", "seq"))},
    "audit_events": {("ix_audit_events_device_id_action", ("device_id", "action"))},
}
GONE = {
    "evidence": "ix_evidence_job_id",
    "audit_events": "ix_audit_events_station_id",
    "audit_checkpoints": "ix_audit_checkpoints_station_id",
    "devices": "ix_devices_customer_id",
}


def _indexes(engine, table: str) -> set[tuple[str, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    return {(ix["name"], tuple(ix["column_names"])) for ix in inspect(engine).get_indexes(table)}


def test_migration_0006_adds_the_indexes_and_drops_the_redundant(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        for table, wanted in WANTED.items():
            assert wanted <= _indexes(engine, table), table
        for table, name in GONE.items():
            assert name not in {n for n, _ in _indexes(engine, table)}
        # The unique (job_id, seq) index that makes ix_evidence_job_id redundant is still there.
        uniques = inspect(engine).get_unique_constraints("evidence")
        assert any(u["column_names"] == ["job_id", "seq"] for u in uniques)
        with engine.connect() as conn:
            command.downgrade(migrate._config(conn), "0004")
            conn.commit()
        assert ("ix_evidence_job_id", ("job_id",)) in _indexes(engine, "evidence")
        assert "ix_certificates_job_id" not in {n for n, _ in _indexes(engine, "certificates")}
        migrate.upgrade(engine)
        assert WANTED["devices"] <= _indexes(engine, "devices")
    finally:
        engine.dispose()


def test_a_persons_values_are_found_by_index_and_the_migration_goes_down(db_url: str) -> None:
    """`privacy export` asks `lower(value) = ? AND value IS NOT NULL` of 1.8 M values at five
    years: migration 0007's partial expression index answers it (it read every value)."""
    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        query = (
            "SELECT id FROM audit_personal WHERE lower(value) = '+47 40000007' "
            "AND value IS NOT NULL"
        )
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table: force the plan
                plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + query)))
            else:
                plan = "\n".join(
                    str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + query))
                )
        assert "ix_audit_personal_lower_value_open" in plan, plan
        with engine.connect() as conn:
            command.downgrade(migrate._config(conn), "0006")
            conn.commit()
        assert "ix_audit_personal_lower_value_open" not in {
            ix["name"] for ix in inspect(engine).get_indexes("audit_personal")
        }
        migrate.upgrade(engine)
    finally:
        engine.dispose()
