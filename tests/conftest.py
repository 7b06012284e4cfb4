"""Fixtures shared by every test folder: a station home and a database on each real backend.

PostgreSQL tests run against the server on 127.0.0.1:5432 (trust auth). Each test gets its own
freshly created database, so tests never see each other's rows and can run in parallel.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from wipe_station.context import StationContext, open_station

PG_ADMIN_URL = os.environ.get("WIPE_STATION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_conninfo(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"ws_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        # Not a skip: CI starts PostgreSQL, and a silent skip would hide half the suite.
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_conninfo(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'station.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every records test runs once on SQLite and once on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'station.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("WIPE_STATION_HOME", str(path))
    for var in ("WIPE_STATION_DB", "WIPE_STATION_OPERATOR", "WIPE_STATION_PIN", "WIPE_STATION_ID"):
        monkeypatch.delenv(var, raising=False)
    return path


@pytest.fixture
def station(home: Path, db_url: str) -> Iterator[StationContext]:
    """A new station in ``home`` on each backend. Closed without signing its chain head: a test
    may have left the chain broken on purpose."""
    ctx = open_station(home, db_url)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()
