"""The certificates package stands alone: the application composes it, never the other way."""

from __future__ import annotations

import ast
from pathlib import Path

import certificates


def test_certificates_never_import_the_application_or_drivers() -> None:
    root = Path(certificates.__file__).parent
    files = sorted(root.glob("*.py"))
    assert len(files) > 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"wipe_station", "drivers"}, (path.name, name)
