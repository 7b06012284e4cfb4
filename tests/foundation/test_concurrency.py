"""Two stations (and two processes of one station) writing at once lose nothing, never share a
certificate number, and leave every chain verifiable."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from wipe_station.audit.log import Actor
from wipe_station.audit.store import verify_database
from wipe_station.context import open_station

N = 40
WORKER = Path(__file__).with_name("concurrent_worker.py")
IMPORTER = Path(__file__).with_name("concurrent_importer.py")


def _shared_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> tuple[str, list[Path]]:
    """A database two stations share, each registered in it before the race."""
    db_url = (
        f"sqlite:///{tmp_path / 'shared.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    homes = [tmp_path / "a", tmp_path / "b"]
    for i, h in enumerate(homes):
        request.getfixturevalue("monkeypatch").setenv("WIPE_STATION_ID", f"ST{i}")
        open_station(h, db_url).close()
    return db_url, homes


def _run_parallel(
    homes: list[Path], db_url: str, worker: Path = WORKER, *args: object
) -> list[list[str]]:
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, str(worker), str(h), db_url, *map(str, args or (N,)), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in homes
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out.split())
    return outs


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_stations_one_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db_url, homes = _shared_database(backend, tmp_path, request)
    outs = _run_parallel(homes, db_url)
    for out, sid in zip(outs, ("ST0", "ST1"), strict=True):
        assert out == [f"WS-{sid}-2026-{i:06d}" for i in range(1, N + 1)]
    ctx = open_station(homes[0], db_url)
    try:
        with ctx.session() as s:
            reports = verify_database(s, ctx.identity)
        assert [r.ok for r in reports] == [True, True], [r.problem for r in reports]
        assert all(r.events >= N for r in reports)
    finally:
        ctx.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_of_one_station(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db_url = (
        f"sqlite:///{tmp_path / 'shared.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    home = tmp_path / "st"
    open_station(home, db_url).close()
    outs = _run_parallel([home, home], db_url)
    numbers = outs[0] + outs[1]
    assert len(numbers) == 2 * N
    assert max(Counter(numbers).values()) == 1, "a certificate number was handed out twice"
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, 2 * N + 1)), "numbering has a gap"
    ctx = open_station(home, db_url)
    try:
        with ctx.session() as s:
            (report,) = verify_database(s, ctx.identity)
        assert report.ok, report.problem
    finally:
        ctx.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_stations_importing_return_lists_at_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Intake takes its lines' ids before writing them (bulk.reserve_ids) and writes them
    beside building their events: two stations importing at once get ids of their own, every
    line names its own station's event, and both chains verify with the lines' values."""
    from wipe_station.customers import add_customer

    db_url, homes = _shared_database(backend, tmp_path, request)
    ctx = open_station(homes[0], db_url)
    add_customer(ctx, Actor("setup"), "974760673", "Acme AS", None)
    ctx.close()
    files, lines = 6, 400
    ids = [int(x) for out in _run_parallel(homes, db_url, IMPORTER, files, lines) for x in out]
    assert len(ids) == len(set(ids)) == 2 * files * lines
    ctx = open_station(homes[0], db_url)
    try:
        with ctx.session() as s:
            reports = verify_database(s, ctx.identity)
            named = s.execute(
                text("SELECT audit_station, count(*) FROM intake_lines GROUP BY audit_station")
            ).all()
        assert [r.ok for r in reports] == [True, True], [r.problem for r in reports]
        assert sorted(map(tuple, named)) == [("ST0", files * lines), ("ST1", files * lines)]
    finally:
        ctx.close()
