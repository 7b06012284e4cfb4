"""The CLI runner fixture, shared with tests/cli."""

from tests.cli.conftest import run  # noqa: F401
