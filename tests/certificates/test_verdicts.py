"""The three verdicts on the command line (docs/verification.md): VALID exit 0, FORGED exit 1,
NOT VERIFIABLE exit 3 for copies without signed data (prints, merges that dropped the
attachments); a file of many certificates checks every page that carries signed data."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest

from certificates.render import render_certificates
from certificates.signing import sign
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload
from wipe_station.cli.main import main

CERTS = [sign(sample_payload(number=f"WS-OSL01-2026-{i:06d}"), KEY) for i in (1, 2, 3)]


def _verify(
    tmp: Path, pdf: bytes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    (tmp / "file.pdf").write_bytes(pdf)
    (tmp / "station.pem").write_bytes(PEM)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exc:
        main(["certificate", "verify", str(tmp / "file.pdf"), "--public-key",
              str(tmp / "station.pem")])  # fmt: skip
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_valid_forged_and_not_verifiable_exit_0_1_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine = render_certificates(CERTS)
    code, out, _ = _verify(tmp_path, genuine, capsys, monkeypatch)
    assert code == 0 and out.count("VALID: ") == 3

    forged = genuine.replace(b"/Count 3", b"/Count 4")
    code, _, err = _verify(tmp_path, forged, capsys, monkeypatch)
    assert code == 1 and "FORGED: file.pdf:" in err and "/Count 4" in err

    # A merge with qpdf --empty --pages keeps the pages and drops the envelopes.
    src, merged = tmp_path / "a.pdf", tmp_path / "merged.pdf"
    src.write_bytes(genuine)
    subprocess.run(["qpdf", "--empty", "--pages", str(src), "--", str(merged)], check=True)
    code, _, err = _verify(tmp_path, merged.read_bytes(), capsys, monkeypatch)
    assert code == 3, err
    assert "NOT VERIFIABLE: file.pdf: pages 1-3 carry no signed certificate data" in err
    assert "WS-OSL01-2026-000001" in err and "QR" in err and "--bundle" in err


def test_a_page_without_signed_data_among_signed_ones_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Certificate 2's envelope taken out: pages 1 and 3 still carry signed data, page 2 not.
    with pikepdf.open(io.BytesIO(render_certificates(CERTS))) as doc:
        names = doc.Root.Names.EmbeddedFiles.Names
        del names[2:4]
        out = io.BytesIO()
        doc.save(out)
    code, _, err = _verify(tmp_path, out.getvalue(), capsys, monkeypatch)
    assert code == 1
    assert "page 2 shows WS-OSL01-2026-000002, but no signed certificate is embedded" in err


def _scan(tmp: Path, pdf: bytes, dpi: int = 150) -> bytes:
    """A print run through a scanner, as far as the station can tell: the page as pixels."""
    (tmp / "print.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile",
                    str(tmp / "print.pdf"), str(tmp / "scan")], check=True)  # fmt: skip
    return (tmp / "scan.png").read_bytes()


def _verify_file(
    tmp: Path, name: str, data: bytes, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:  # fmt: skip
    (tmp / name).write_bytes(data)
    (tmp / "station.pem").write_bytes(PEM)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exc:
        main(["certificate", "verify", str(tmp / name), "--public-key", str(tmp / "station.pem")])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_a_scanned_certificate_s_qr_code_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = CERTS[0]
    png = _scan(tmp_path, render_certificates([cert]))
    code, out, err = _verify_file(tmp_path, "scan.png", png, capsys, monkeypatch)
    assert code == 3, err
    assert (
        f"page 1: QR code signed by the station: it issued {cert.payload.number} with payload "
        f"digest {cert.digest}" in out
    )
    assert "does not prove the printed fields" in out and "--bundle" in out
    assert "NOT VERIFIABLE: scan.png" in err

    # The same scan as a PDF (a scanner's usual output): the page is an image, no signed data.
    from PIL import Image

    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).save(buf, "PDF", resolution=150)
    code, out, err = _verify_file(tmp_path, "scan.pdf", buf.getvalue(), capsys, monkeypatch)
    assert code == 3, err
    assert f"it issued {cert.payload.number}" in out and "NOT VERIFIABLE: scan.pdf" in err


def test_a_scanned_qr_code_with_a_forged_signature_is_forged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import zxingcpp
    from PIL import Image

    cert = CERTS[0]
    # A forger prints another digest beside the genuine QR signature.
    text = cert.qr_text().split(":")
    text[3] = "0" * 64
    code_img = zxingcpp.create_barcode(":".join(text), zxingcpp.BarcodeFormat.QRCode)
    img = Image.fromarray(code_img.to_image(scale=6, add_quiet_zones=True))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    code, _out, err = _verify_file(tmp_path, "scan.png", buf.getvalue(), capsys, monkeypatch)
    assert code == 1 and "FORGED: scan.png" in err and "signature fails" in err


def test_a_version_1_qr_code_is_named_uncheckable_from_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from certificates.signing import SignedCertificate

    old = SignedCertificate(CERTS[0].payload, CERTS[0].signature)  # drawn before 2026-12-07
    assert old.qr_text().startswith("WSCERT:1:")
    png = _scan(tmp_path, render_certificates([old]))
    code, out, _ = _verify_file(tmp_path, "scan.png", png, capsys, monkeypatch)
    assert code == 3 and "version 1" in out and "cannot be checked from paper" in out


def test_a_certificate_printed_from_the_station_s_records_carries_a_paper_checkable_qr() -> None:
    import base64
    import json
    from types import SimpleNamespace

    from certificates.papercheck import check_qr_text
    from wipe_station.certify import signed_from_record

    cert = CERTS[0]
    row = SimpleNamespace(payload_json=json.dumps(cert.payload.to_dict()),
                          signature=base64.b64encode(cert.signature).decode())  # fmt: skip
    again = signed_from_record(row, KEY)  # type: ignore[arg-type]
    assert again.qr_text() == cert.qr_text()  # Ed25519 is deterministic: the same QR code
    finding = check_qr_text(again.qr_text(), KEY.public_key())
    assert (finding.status, finding.number, finding.digest) == (
        "signed",
        cert.payload.number,
        cert.digest,
    )


def test_manifest_print_and_scan_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from certificates.manifest import render_manifest, sign_manifest
    from tests.certificates.samples import sample_manifest

    signed = sign_manifest(sample_manifest(8), KEY)
    (tmp_path / "m.pdf").write_bytes(render_manifest(signed))
    (tmp_path / "station.pem").write_bytes(PEM)
    subprocess.run(["pdftocairo", "-pdf", str(tmp_path / "m.pdf"), str(tmp_path / "printed.pdf")],
                   check=True)  # fmt: skip
    png = _scan(tmp_path, render_manifest(signed))
    (tmp_path / "scan.png").write_bytes(png)
    batch = signed.manifest.batch_id
    for name in ("printed.pdf", "scan.png"):
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        with pytest.raises(SystemExit) as exc:
            main(["batch", "verify", str(tmp_path / name), "--public-key",
                  str(tmp_path / "station.pem")])  # fmt: skip
        out, err = capsys.readouterr()
        assert exc.value.code == 3, err
        assert f"QR code signed by the station: it issued {batch} with payload digest" in out
        assert f"NOT VERIFIABLE: {name}" in err
