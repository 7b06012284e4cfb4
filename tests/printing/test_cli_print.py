"""`--print [PRINTER]` on the commands that write PDFs: the written file also goes to CUPS; a
job that cannot reach the printer is one line, exit 1, and the PDF stays written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wipe_station.cli.main import main

from .cups import pdf_text, printed_file


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _certified(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A demo phone erased and certified in the home; its certificate number."""
    (tmp_path / "p.yaml").write_text("extends: pixel-8-clean\n", encoding="utf-8")
    code, out, _ = _cli(capsys, "demo", "--headless", "--fleet", str(tmp_path / "p.yaml"), "--json")
    assert code == 0
    (phone,) = json.loads(out)["phones"]
    return str(phone["certificate"])


def test_certificate_export_prints_through_cups(
    home: Path,
    tmp_path: Path,
    queue: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = _certified(tmp_path, capsys)
    monkeypatch.setenv("WIPE_STATION_PIN", "1234")
    pdf = tmp_path / "cert.pdf"
    code, out, err = _cli(
        capsys, "--operator", "demo-admin", "certificate", "export", number, "-o", str(pdf),
        "--print", queue,
    )  # fmt: skip
    assert code == 0, err
    assert f"sent to {queue} (job {queue}-" in out
    job = out.split("(job ", 1)[1].split(")", 1)[0]
    assert number in pdf_text(printed_file(job))

    again = tmp_path / "again.pdf"
    code, out, err = _cli(
        capsys, "--operator", "demo-admin", "certificate", "export", number, "-o", str(again),
        "--print", "NO-SUCH-PRINTER",
    )  # fmt: skip
    assert code == 1
    assert err.startswith("error: not printed: ") and "NO-SUCH-PRINTER" in err
    assert again.read_bytes().startswith(b"%PDF")  # written all the same


def test_certificate_labels_go_to_the_label_printer(
    home: Path,
    tmp_path: Path,
    queue: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "p.yaml").write_text("extends: samsung-s23-clean\n", encoding="utf-8")
    code, out, _ = _cli(capsys, "demo", "--headless", "--fleet", str(tmp_path / "p.yaml"), "--json")
    (phone,) = json.loads(out)["phones"]
    number = phone["certificate"]
    monkeypatch.setenv("WIPE_STATION_PIN", "1234")
    code, _, err = _cli(
        capsys, "--operator", "demo-admin", "settings", "set", "print.labels", queue
    )
    assert code == 0, err
    copy = tmp_path / "labels.pdf"
    code, out, err = _cli(
        capsys, "--operator", "demo-admin", "certificate", "labels", number, "-o", str(copy),
        "--print",
    )  # fmt: skip
    assert code == 0, err
    assert "wrote 1 labels to " in out and f"sent to {queue} (job " in out
    job = out.split("(job ", 1)[1].split(")", 1)[0]
    printed = pdf_text(printed_file(job))
    assert number in printed and phone["serial"] in printed
    assert number in pdf_text(copy)
    code, _, err = _cli(capsys, "--operator", "demo-admin", "certificate", "labels")
    assert code != 0 and "name certificate numbers or --batch" in err


def test_print_without_an_output_file_keeps_the_pdf_in_the_print_folder(
    home: Path,
    tmp_path: Path,
    queue: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = _certified(tmp_path, capsys)
    monkeypatch.setenv("WIPE_STATION_PIN", "1234")
    code, out, err = _cli(
        capsys, "--operator", "demo-admin", "certificate", "export", number, "--print", queue
    )
    assert code == 0, err
    kept = sorted((home / "print").glob(f"{number}-*.pdf"))
    assert len(kept) == 1 and f"wrote {kept[0]}" in out
    job = out.split("(job ", 1)[1].split(")", 1)[0]
    assert number in pdf_text(printed_file(job))
    # Twice: a second file beside the first, never the first replaced.
    code, out, err = _cli(
        capsys, "--operator", "demo-admin", "certificate", "batch", "--print", queue
    )
    assert code == 0, err
    assert len(list((home / "print").glob("certificates-*.pdf"))) == 1
    # Neither -o nor --print: a usage error that says both ways.
    code, _, err = _cli(capsys, "--operator", "demo-admin", "certificate", "export", number)
    assert code == 2 and "-o FILE, or --print" in err
