"""`--help` alone is enough: the command tree is walked, and every summary, option, exit
status and environment variable a newcomer needs is checked to be there."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from wipe_station import settings as settings_core
from wipe_station.cli.main import COMMANDS, LazyGroup, cli

# click's help formatter is at most 78 columns wide (80 minus a margin); a command's summary
# gets what is left after the longest sibling name and the padding, and "..." past that.
WIDTH = 78


def _walk(
    group: click.Group, ctx: click.Context, prefix: str = ""
) -> list[tuple[str, click.Command, int]]:
    """Every command under ``group`` with its path and the summary width click gives it."""
    names = group.list_commands(ctx)
    limit = WIDTH - 6 - max(len(n) for n in names)
    out: list[tuple[str, click.Command, int]] = []
    for name in names:
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        out.append((f"{prefix}{name}", cmd, limit))
        if isinstance(cmd, click.Group):
            out += _walk(cmd, ctx, f"{prefix}{name} ")
    return out


def _tree() -> list[tuple[str, click.Command, int]]:
    assert isinstance(cli, LazyGroup) and COMMANDS
    return _walk(cli, click.Context(cli))


def test_every_summary_is_whole() -> None:
    cut = []
    for path, cmd, limit in _tree():
        summary = cmd.get_short_help_str(limit=limit)
        if not summary or summary.endswith("..."):
            cut.append(f"{path}: {summary!r}")
    assert cut == []


def test_every_option_says_what_it_does() -> None:
    silent = []
    for path, cmd, _ in [("", cli, 0), *_tree()]:
        for param in cmd.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                silent.append(f"{path or 'wipe-station'} {param.opts[0]}")
    assert silent == []


def test_output_options_name_their_formats() -> None:
    vague = []
    for path, cmd, _ in _tree():
        for param in cmd.params:
            if isinstance(param, click.Option) and "-o" in param.opts:
                words = param.help or ""
                if "allows" in words or not any(
                    f".{x}" in words for x in ("pdf", "csv", "json", "jsonl", "html")
                ):
                    vague.append(f"{path}: {words!r}")
    assert vague == []


def _help(*path: str) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_root_help_names_the_ui_and_the_environment() -> None:
    text = _help()
    assert "starts the station UI" in text
    for var in (
        "WIPE_STATION_HOME",
        "WIPE_STATION_DB",
        "WIPE_STATION_OPERATOR",
        "WIPE_STATION_PIN",
        "WIPE_STATION_ID",
    ):
        assert var in text, var


@pytest.mark.parametrize(
    "path", [("certificate", "verify"), ("batch", "verify"), ("audit", "verify")]
)
def test_verifiers_document_their_exit_status(path: tuple[str, ...]) -> None:
    text = " ".join(_help(*path).split())
    assert "Exit status: 0" in text
    assert "1 " in text and "2 " in text


def test_settings_set_help_lists_every_key_with_its_meaning_and_range() -> None:
    text = _help("settings", "set")
    for key in settings_core.DEFAULTS:
        assert key in text, key
        assert settings_core.MEANINGS[key].split()[0] in text
        assert settings_core.allowed(key) in " ".join(text.split())


def test_retention_help_reads_the_periods_from_settings() -> None:
    text = _help("retention", "run")
    assert "6 months" not in text and "5 years" not in text
    assert "retention.personal_months" in text and "retention.accounting_years" in text
