"""Where the station keeps its files: `$WIPE_STATION_HOME`, else the platform's user data dir."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from wipe_station.errors import StationError

APP_NAME = "wipe-station"


def home_path(explicit: Path | None = None) -> Path:
    """The home to use: ``explicit`` (from --home), `$WIPE_STATION_HOME`, or the user data dir.
    Only names it; ``station_home`` also creates it."""
    env = os.environ.get("WIPE_STATION_HOME")
    if explicit is not None:
        return explicit.expanduser()
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def station_home(explicit: Path | None = None) -> Path:
    """``home_path``, created (0700) if missing."""
    home = home_path(explicit)
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_dir(home)
    except OSError as exc:
        raise StationError(f"cannot create station home {home}: {exc.strerror}") from exc
    return home


def _warn(message: str) -> None:
    # stderr, not a log: the person who set the looser mode should see it changed.
    print(f"warning: {message}", file=sys.stderr)


def private_dir(path: Path) -> Path:
    """Make ``path`` a directory only its owner can enter (0700), whatever the umask or an
    existing directory says; say so when an existing one is tightened."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != 0o700:
        os.chmod(path, 0o700)
        if mode & 0o077:
            _warn(f"{path} was readable by others (mode {mode:04o}); it is 0700 now")
    return path


def private_file(path: Path, *, create: bool = True) -> Path:
    """Make ``path`` a file only its owner can read (0600): created empty if missing (and
    ``create``), tightened (with a warning) if it exists with a looser mode."""
    if create:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif not path.exists():
        return path
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        _warn(f"{path} was readable by others (mode {mode:04o}); it is 0600 now")
    return path


def sqlite_path(db_url: str) -> Path | None:
    """The file behind a ``sqlite:///…`` URL (None for PostgreSQL or an in-memory database)."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return None  # make_engine says what is wrong with it
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def private_database(db_url: str) -> None:
    """A SQLite database and its WAL and shared-memory files readable by the owner only.

    SQLite creates the -wal and -shm files with the database file's mode, so creating the
    database 0600 first keeps all three private."""
    path = sqlite_path(db_url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(path.with_name(path.name + suffix), create=False)


def log_file(home: Path) -> Path:
    """Where the CLI writes what went wrong unexpectedly (0600; the home is 0700)."""
    return private_file(private_dir(home / "logs") / "wipe-station.log")


def keys_dir(home: Path) -> Path:
    """Signing key, ADB key and iOS pair records live together, readable by the owner only."""
    return private_dir(home / "keys")


def default_db_url(home: Path) -> str:
    return f"sqlite:///{home / 'station.db'}"


def resolve_db_url(cli_value: str | None, home: Path) -> str:
    return cli_value or os.environ.get("WIPE_STATION_DB") or default_db_url(home)
