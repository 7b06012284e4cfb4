"""Genuine station files and forgeries of each kind the verifiers must refuse, made the way a
station and a forger make them: the real record paths and CLI, then pikepdf, qpdf and byte edits."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import col, select

from certificates.payload import CertificatePayload
from certificates.render import render_certificate
from certificates.signing import sign
from tests.logistics.conftest import BOSS, certified_phone, cli_as, logistics_station
from wipe_station import batches, intake
from wipe_station.cli.main import main
from wipe_station.context import StationContext
from wipe_station.db.models import Certificate, Device

VALID, FORGED, NOT_VERIFIABLE = "VALID", "FORGED", "NOT VERIFIABLE"


OFFICE_TOOLS = {
    "qpdf-object-streams.pdf": ["qpdf", "--object-streams=generate", "{src}", "{out}"],
    "qpdf-linearized.pdf": ["qpdf", "--linearize", "{src}", "{out}"],
    "mutool-clean.pdf": ["mutool", "clean", "-gggg", "-z", "{src}", "{out}"],
    "ghostscript.pdf": [
        "gs",
        "-q",
        "-dNOPAUSE",
        "-dBATCH",
        "-sDEVICE=pdfwrite",
        "-sOutputFile={out}",
        "{src}",
    ],
    "pdfunite.pdf": ["pdfunite", "{src}", "{other}", "{out}"],
    "qpdf-merge.pdf": ["qpdf", "--empty", "--pages", "{src}", "{other}", "--", "{out}"],
}


@dataclass
class Corpus:
    folder: Path
    pem: Path
    station: str
    old: str  # a certificate a later one superseded
    new: str
    expected: dict[str, str]  # file name -> verdict per the shared contract


def _certs(station: StationContext, serial: str) -> list[Certificate]:
    with station.session() as s:
        stmt = (
            select(Certificate)
            .join(Device, col(Device.id) == Certificate.device_id)
            .where(Device.serial == serial)
            .order_by(col(Certificate.id))
        )
        return list(s.exec(stmt).all())


def _qdf_edit(src: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    """Edit a file as a text editor would: qpdf's QDF form, the bytes changed, fix-qdf mends
    the offsets (so the forgery is a well-formed PDF, not a damaged one)."""
    with tempfile.TemporaryDirectory() as tmp:
        src_path, qdf_path = Path(tmp) / "in.pdf", Path(tmp) / "qdf.pdf"
        src_path.write_bytes(src)
        subprocess.run(
            ["qpdf", "--qdf", "--object-streams=disable", str(src_path), str(qdf_path)],
            check=True,
        )
        qdf = qdf_path.read_bytes()
    assert qdf.count(old) >= count, old
    edited = qdf.replace(old, new, count)
    return subprocess.run(["fix-qdf"], input=edited, capture_output=True, check=True).stdout


def _pike(src: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    with pikepdf.open(io.BytesIO(src)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )


def _open_action(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])


def _aa(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.Print)
    )


def _acroform(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array())


def _annotation(pdf: pikepdf.Pdf) -> None:
    note = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.FreeText,
        Rect=[100, 500, 400, 520],
        Contents=pikepdf.String("Serial: R58N00000000"),
        DA=pikepdf.String("/Helv 12 Tf 0 g"),
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(note)]))


def _optional_content(pdf: pikepdf.Pdf) -> None:
    ocg = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("x")))
    pdf.Root.OCProperties = pikepdf.Dictionary(
        OCGs=[ocg], D=pikepdf.Dictionary(OFF=[ocg], Order=[ocg])
    )


def _second_root(pdf: pikepdf.Pdf) -> None:
    other = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Catalog, Pages=pdf.Root.Pages))
    pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(Root2=other))


def _two_envelopes_of_one_name(pdf: pikepdf.Pdf) -> None:
    names = pdf.Root.Names.EmbeddedFiles.Names
    name, spec = names[0], names[1]
    forged = json.loads(bytes(spec.EF.F.read_bytes()))
    forged["payload"]["media"]["serial_number"] = "R58N00000000"
    copy = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec,
            F=spec.F,
            UF=spec.UF,
            EF=pikepdf.Dictionary(F=pdf.make_stream(json.dumps(forged).encode())),
        )
    )
    names.append(name)
    names.append(copy)


def _altered_envelope(pdf: pikepdf.Pdf) -> None:
    spec = pdf.Root.Names.EmbeddedFiles.Names[1]
    doc = json.loads(bytes(spec.EF.F.read_bytes()))
    doc["payload"]["media"]["serial_number"] = "R58N00000000"
    spec.EF.F = pdf.make_stream(json.dumps(doc, ensure_ascii=False, indent=1).encode())


def _no_attachments(pdf: pikepdf.Pdf) -> None:
    del pdf.Root.Names  # what pdfunite or `qpdf --empty --pages` leaves of a certificate


def run_cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """The real entry point in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    finally:
        sys.stdin = saved
    return 0, out.getvalue(), err.getvalue()


def build(root: Path, monkeypatch: pytest.MonkeyPatch) -> Corpus:
    home, out = root / "home", root / "files"
    out.mkdir(parents=True)
    monkeypatch.setenv("WIPE_STATION_HOME", str(home))
    for var in ("WIPE_STATION_DB", "WIPE_STATION_OPERATOR", "WIPE_STATION_PIN"):
        monkeypatch.delenv(var, raising=False)
    db_url = f"sqlite:///{root / 'station.db'}"
    gen = logistics_station(home, db_url)
    station = next(gen)
    try:
        cli_as(station, db_url, monkeypatch, "admin")
        for serial in ("G1", "G2", "G3", "OLD1"):
            certified_phone(station, serial, imeis=("356938035643809",) if serial == "G1" else ())
        (old,) = _certs(station, "OLD1")
        intake.assign(station, BOSS, "OLD1", org="974760673")  # supersedes OLD1's certificate
        _, new = _certs(station, "OLD1")
        b = batches.create_batch(station, BOSS, "Miljøretur AS")
        for serial in ("G2", "G3"):
            batches.add_phone(station, BOSS, b.code, serial)
        batches.close_batch(station, BOSS, b.code)
        batches.hand_over(station, BOSS, b.code, "Ola Mottaker")
        pem = root / "station.pem"
        pem.write_text(station.identity.public_key_pem())
        (g1,) = _certs(station, "G1")

        def cli(*args: str) -> None:
            code, _, err = run_cli(*args)
            assert code == 0, err

        cli("certificate", "export", g1.number, "-o", str(out / "genuine.pdf"))
        cli("certificate", "export", old.number, "-o", str(out / "superseded.pdf"))
        cli("certificate", "batch", "-o", str(out / "batch.pdf"))
        cli("batch", "manifest", b.code, "-o", str(out / "manifest.pdf"))
        cli("audit", "export", "-o", str(out / "audit.jsonl"))
        cli("station", "verifier", "-o", str(root / "verifier.html"))
        station_id = station.station_id
        sign_qr = station.identity.sign
        (g2,) = _certs(station, "G2")
        old_number, new_number = old.number, new.number
        payload = CertificatePayload.from_json(g1.payload_json)
        g2_number = g2.number
    finally:
        gen.close()

    genuine = (out / "genuine.pdf").read_bytes()
    manifest = (out / "manifest.pdf").read_bytes()
    expected = {
        "genuine.pdf": VALID,
        "superseded.pdf": VALID,  # genuine; the bundle names its successor
        "batch.pdf": VALID,
        "manifest.pdf": VALID,
        "audit.jsonl": VALID,
    }

    def forge(name: str, data: bytes, verdict: str) -> None:
        (out / name).write_bytes(data)
        expected[name] = verdict

    forge("resaved-qdf.pdf", _qdf_edit(genuine, b"%PDF", b"%PDF", 1), VALID)
    forge("two-envelopes-one-name.pdf", _pike(genuine, _two_envelopes_of_one_name), FORGED)
    forge("javascript.pdf", _pike(genuine, _js), FORGED)
    forge("open-action.pdf", _pike(genuine, _open_action), FORGED)
    forge("additional-actions.pdf", _pike(genuine, _aa), FORGED)
    forge("acroform.pdf", _pike(genuine, _acroform), FORGED)
    forge("annotation.pdf", _pike(genuine, _annotation), FORGED)
    forge("optional-content.pdf", _pike(genuine, _optional_content), FORGED)
    forge("two-roots.pdf", _pike(genuine, _second_root), FORGED)
    forge(
        "duplicate-key.pdf",
        _qdf_edit(genuine, b"/Type /Catalog", b"/Type /Catalog\n  /Pages 999 0 R"),
        FORGED,
    )
    forge("template-page.pdf", _qdf_edit(genuine, b"/Type /Page\n", b"/Type /Template\n"), FORGED)
    forge("altered-envelope.pdf", _pike(genuine, _altered_envelope), FORGED)
    other = sign(payload, Ed25519PrivateKey.generate())
    forge("other-key.pdf", render_certificate(other), FORGED)
    forge("manifest-javascript.pdf", _pike(manifest, _js), FORGED)
    forge("manifest-altered.pdf", manifest.replace(b"Ola Mottaker", b"Ola Mottakar"), FORGED)
    forge("truncated.pdf", genuine[: len(genuine) * 2 // 3], FORGED)
    forge("incremental-update.pdf", genuine + b"\n" + _update_tail(genuine), FORGED)
    forge("print-no-attachments.pdf", _pike(genuine, _no_attachments), NOT_VERIFIABLE)
    batch = (out / "batch.pdf").read_bytes()
    g2_alone = _pike(batch, lambda pdf: _keep_pages(pdf, [1]))
    forge("attachment-swapped.pdf", _swap_envelope(genuine, batch, g2_number), FORGED)
    forge("page-removed.pdf", _pike(batch, lambda pdf: _keep_pages(pdf, [0, 2, 3])), FORGED)
    forge("page-added.pdf", _append_unsigned_page(genuine, g2_alone), FORGED)
    forge("object-twice.pdf", _second_body(genuine), FORGED)

    def qr_signed(pdf: pikepdf.Pdf, number: str) -> None:
        spec = pdf.Root.Names.EmbeddedFiles.Names[1]
        doc = json.loads(bytes(spec.EF.F.read_bytes()))
        digest = hashlib.sha256(rfc8785.dumps(doc["payload"])).hexdigest()
        sig = sign_qr(f"WSCERT:2:{number}:{digest}".encode("ascii"))
        doc["qr_signature"] = base64.urlsafe_b64encode(sig).decode().rstrip("=")
        spec.EF.F = pdf.make_stream(json.dumps(doc, ensure_ascii=False, indent=1).encode())

    # Issue 26's envelope: the station's signature over the QR text rides beside the payload.
    forge("qr-signature.pdf", _pike(genuine, lambda pdf: qr_signed(pdf, payload.number)), VALID)
    forge(
        "qr-signature-of-another.pdf",
        _pike(genuine, lambda pdf: qr_signed(pdf, g2_number)),
        FORGED,
    )

    # Office handling of genuine files: re-saved by other tools, merged (issue 26: these verify,
    # or are NOT VERIFIABLE where the merge dropped the signed data).
    src = out / "genuine.pdf"
    for name, command in OFFICE_TOOLS.items():
        target = out / name
        subprocess.run(
            [part.format(src=src, out=target, other=out / "superseded.pdf") for part in command],
            check=True,
            capture_output=True,
        )
        expected[name] = NOT_VERIFIABLE if name == "qpdf-merge.pdf" else VALID

    lines = (out / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    events = [i for i, line in enumerate(lines) if json.loads(line).get("type") == "event"]
    victim = events[len(events) // 2]
    rec = json.loads(lines[victim])
    rec["operator"] = "someone-else"
    damaged = [*lines[:victim], json.dumps(rec), *lines[victim + 1 :]]
    forge("audit-damaged.jsonl", ("\n".join(damaged) + "\n").encode(), FORGED)
    expected_break = f"event #{rec['seq']}"
    (out / "audit-damaged.where").write_text(expected_break)
    return Corpus(out, pem, station_id, old_number, new_number, expected)


def _keep_pages(pdf: pikepdf.Pdf, keep: list[int]) -> None:
    for index in reversed(range(len(pdf.pages))):
        if index not in keep:
            del pdf.pages[index]


def _swap_envelope(page_from: bytes, envelope_from: bytes, number: str) -> bytes:
    """The page of one certificate, behind the signed envelope of another (``number``)."""
    name = f"{number}.json"
    with pikepdf.open(io.BytesIO(envelope_from)) as donor:
        names = donor.Root.Names.EmbeddedFiles.Names
        found = [i for i in range(0, len(names), 2) if str(names[i]) == name]
        data = bytes(names[found[0] + 1].EF.F.read_bytes())

    def change(pdf: pikepdf.Pdf) -> None:
        names = pdf.Root.Names.EmbeddedFiles.Names
        names[0] = pikepdf.String(name)
        names[1].F = names[1].UF = pikepdf.String(name)
        names[1].EF.F = pdf.make_stream(data)

    return _pike(page_from, change)


def _append_unsigned_page(signed: bytes, other: bytes) -> bytes:
    """A signed certificate with another certificate's page glued on, its envelope left out."""
    with pikepdf.open(io.BytesIO(other)) as donor:

        def change(pdf: pikepdf.Pdf) -> None:
            pdf.pages.append(donor.pages[0])

        return _pike(signed, change)


def _second_body(pdf: bytes) -> bytes:
    """A second body for the catalogue's object number, put before the xref without touching it
    (a reader that follows the xref reads one, a reader that scans reads the other)."""
    root = int(pdf[pdf.rindex(b"/Root") + 5 :].split()[0])
    at = pdf.rindex(b"\nxref") + 1
    body = f"{root} 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\n".encode()
    start = pdf.rindex(b"startxref")
    old = int(pdf[start + 9 :].split()[0])
    head = pdf[:at] + body + pdf[at:start]
    return head + f"startxref\n{old + len(body)}\n%%EOF\n".encode()


def _update_tail(pdf: bytes) -> bytes:
    """An incremental update as an editor appends it: the document information object written
    again (same number, new body) and a second xref section linked by /Prev."""
    start = pdf.rindex(b"startxref")
    prev = int(pdf[start + 9 :].split()[0])
    size = int(pdf[pdf.rindex(b"/Size") + 5 :].split()[0])
    root = pdf[pdf.rindex(b"/Root") + 5 :].split(b"R")[0].strip() + b" R"
    info = int(pdf[pdf.rindex(b"/Info") + 5 :].split()[0])
    offset = len(pdf) + 1
    body = f"{info} 0 obj\n<< /Producer (an editor) >>\nendobj\n".encode()
    xref_at = offset + len(body)
    xref = f"xref\n{info} 1\n{offset:010d} 00000 n \n".encode()
    trailer = (
        b"trailer\n<< /Size " + str(size).encode() + b" /Root " + root
        + b" /Info " + f"{info} 0 R".encode() + b" /Prev " + str(prev).encode() + b" >>\n"
    )  # fmt: skip
    return body + xref + trailer + f"startxref\n{xref_at}\n%%EOF\n".encode()
