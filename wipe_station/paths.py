"""Where the station keeps its files: `$WIPE_STATION_HOME`, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from wipe_station.errors import StationError

APP_NAME = "wipe-station"


def station_home(explicit: Path | None = None) -> Path:
    """The home to use: ``explicit`` (from --home), `$WIPE_STATION_HOME`, or the user data dir."""
    env = os.environ.get("WIPE_STATION_HOME")
    if explicit is not None:
        home = explicit.expanduser()
    elif env:
        home = Path(env).expanduser()
    else:
        home = Path(platformdirs.user_data_dir(APP_NAME))
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StationError(f"cannot create station home {home}: {exc.strerror}") from exc
    return home


def keys_dir(home: Path) -> Path:
    """Signing key, ADB key and iOS pair records live together, readable by the owner only."""
    path = home / "keys"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def default_db_url(home: Path) -> str:
    return f"sqlite:///{home / 'station.db'}"


def resolve_db_url(cli_value: str | None, home: Path) -> str:
    return cli_value or os.environ.get("WIPE_STATION_DB") or default_db_url(home)
