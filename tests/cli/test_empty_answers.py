"""Every listing says when it is empty, every CSV has its header row with no rows, and a
refusal names the real reason; settings say what they mean."""

from __future__ import annotations

import csv
import io
from dataclasses import fields
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from wipe_station import settings as settings_core
from wipe_station.auditor_exports import CertificateRow, EvidenceRow


@pytest.mark.parametrize(
    "argv,said",
    [
        (["intake", "unmatched"], "no unmatched phones"),
        (["intake", "list"], "no intake lines"),
        (["intake", "list", "--unmatched"], "no intake lines waiting for a phone"),
        (["certificate", "list"], "no certificates"),
        (["batch", "list"], "no batches"),
        (["batch", "list", "--state", "open"], "no open batches"),
        (["customers", "list"], "no customers"),
    ],
)
def test_an_empty_listing_says_so(run: Run, admin: str, argv: list[str], said: str) -> None:
    code, out, err = run(*argv)
    assert code == 0, err
    assert said in out


@pytest.mark.parametrize(
    "argv,header",
    [
        (["export", "certificates"], [f.name for f in fields(CertificateRow)]),
        (["export", "evidence"], [f.name for f in fields(EvidenceRow)]),
    ],
)
def test_an_empty_csv_still_has_its_header_row(
    run: Run, admin: str, tmp_path: Path, argv: list[str], header: list[str]
) -> None:
    out_file = tmp_path / "x.csv"
    code, _, err = run(*argv, "-o", str(out_file))
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out_file.read_text())))
    assert rows == [header]


def test_all_certified_with_none_waiting_names_that_reason(run: Run, admin: str) -> None:
    code, code_out, _ = run("batch", "create", "--recycler", "Miljøretur AS")
    assert code == 0
    code, _, err = run("batch", "add", code_out.strip(), "--all-certified")
    assert code == 2
    assert err.strip() == "error: no certified phones of this station are waiting for a batch"
    code, _, err = run("batch", "add", code_out.strip())
    assert code == 2 and "name phones by serial or IMEI, or use --all-certified" in err


def test_a_sample_of_nothing_says_there_is_nothing(run: Run, admin: str) -> None:
    code, _, err = run("audit", "sample", "--percent", "10")
    assert code == 2 and "no certificates in that period to sample from" in err


def test_certificate_batch_with_nothing_to_print_says_for_what(
    run: Run, admin: str, tmp_path: Path
) -> None:
    code, _, err = run(
        "certificate", "batch", "--from", "2026-11-01", "-o", str(tmp_path / "p.pdf")
    )
    assert code == 2 and "no current certificates issued from 2026-11-01" in err


def test_settings_get_list_and_set(run: Run, admin: str) -> None:
    code, out, _ = run("settings", "get", "retention.personal_months")
    assert (code, out) == (0, "6\n")
    assert run("settings", "set", "retention.personal_months", "9")[0] == 0
    assert run("settings", "get", "retention.personal_months")[1] == "9\n"
    code, out, _ = run("settings", "list")
    assert code == 0
    text = " ".join(out.split())
    for key in settings_core.DEFAULTS:
        assert key in out
        assert settings_core.MEANINGS[key] in text
        assert f"allowed: {settings_core.allowed(key)}" in text
    assert "retention.personal_months = '9'" in out and "default: '6'" in out
    code, _, err = run("settings", "get", "retention.months")
    assert code == 2 and "unknown setting 'retention.months'" in err
    assert "retention.personal_months" in err  # the keys there are, named


def test_every_setting_has_a_meaning() -> None:
    assert set(settings_core.MEANINGS) == set(settings_core.DEFAULTS)
