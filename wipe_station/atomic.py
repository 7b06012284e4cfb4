"""Files written whole or not at all: a temporary name in the same folder, flushed to the disk,
then renamed over the target. A full disk or a signal mid-write leaves the old file (or none),
never half a PDF."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomically(
    path: Path, data: bytes | Iterable[bytes], *, mode: int = 0o600, replace: bool = True
) -> None:
    """Write ``data`` (bytes, or its pieces as they are made) to ``path`` through a temporary
    file and a rename; raises ``OSError`` (``FileExistsError`` when ``replace`` is False and
    ``path`` exists) and leaves nothing behind when it fails."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            for piece in [data] if isinstance(data, bytes) else data:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            # link() refuses an existing name (a planted symlink included): no race with a
            # check-then-rename.
            os.link(tmp, path)
            os.unlink(tmp)
        _sync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sync_dir(folder: Path) -> None:
    """The rename itself reaches the disk: a power cut after this keeps the new name."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data is synced already
    finally:
        os.close(fd)
