"""The structure forgery matrix: files built as a determined forger would, with pikepdf, qpdf or a
text editor, that readers can read two ways or that carry what the station never writes. Each
is FORGED before anything else is read, with a message naming what was found; the same genuine
file re-saved by office tools passes the structure check."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from certificates.pdfstrict import StructureError, read_structure
from certificates.render import render_certificate, render_certificates
from certificates.signing import sign
from certificates.verify import DamagedPdf, ForgedStructure, verify_pdf
from tests.certificates.keys import KEY, PEM
from tests.certificates.samples import sample_payload

GENUINE = render_certificate(sign(sample_payload(), KEY))
NUMBER = "WS-OSL01-2026-000042"


def _pike(edit: Callable[[pikepdf.Pdf], None], pdf: bytes = GENUINE, **save: object) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        edit(doc)
        out = io.BytesIO()
        doc.save(out, **save)  # type: ignore[arg-type]
        return out.getvalue()


def _qdf_edit(tmp: Path, edit: Callable[[bytes], bytes], pdf: bytes = GENUINE) -> bytes:
    """Edit the file as text (qpdf --qdf: uncompressed, one object a line block), then let
    fix-qdf mend the offsets and lengths as a careful forger would."""
    src, qdf = tmp / "in.pdf", tmp / "qdf.pdf"
    src.write_bytes(pdf)
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(src), str(qdf)], check=True)
    edited = edit(qdf.read_bytes())
    fixed = subprocess.run(["fix-qdf"], input=edited, capture_output=True, check=True).stdout
    return fixed


def _append_update(pdf: bytes, objects: dict[int, bytes], trailer: bytes) -> bytes:
    """An incremental update written by hand: new bodies, their xref section and a trailer."""
    out = bytearray(pdf)
    offsets = {}
    for num, body in objects.items():
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for num, off in offsets.items():
        out += b"%d 1\n%010d 00000 n \n" % (num, off)
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    out += b"trailer\n<< " + trailer + b" /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref)
    return bytes(out)


def _root_num(pdf: bytes) -> int:
    return int(re.findall(rb"/Root (\d+) 0 R", pdf)[-1])


def _refused(pdf: bytes, *words: str) -> None:
    with pytest.raises(ForgedStructure) as err:
        verify_pdf(pdf, PEM)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_duplicate_pages_key_in_the_catalogue(tmp_path: Path) -> None:
    # pypdf keeps the first /Pages, poppler and PDFium the last.
    def edit(text: bytes) -> bytes:
        return re.sub(rb"(/Pages (\d+) 0 R)", rb"\1\n  /Pages \2 0 R", text, count=1)

    _refused(_qdf_edit(tmp_path, edit), "defines /Pages twice")


@pytest.mark.parametrize("key", [b"/Contents", b"/MediaBox", b"/Resources"])
def test_duplicate_key_in_the_page(tmp_path: Path, key: bytes) -> None:
    second = {b"/Contents": b"/Contents 9 0 R", b"/MediaBox": b"/MediaBox [0 0 300 300]",
              b"/Resources": b"/Resources << >>"}[key]  # fmt: skip

    def edit(text: bytes) -> bytes:
        return re.sub(rb"(%% Page 1\n%% Original object ID: \d+ 0\n\d+ 0 obj\n<<)",
                      rb"\1\n  " + second, text, count=1)  # fmt: skip

    _refused(_qdf_edit(tmp_path, edit), f"defines {key.decode()} twice")


def test_duplicate_key_in_a_font(tmp_path: Path) -> None:
    def edit(text: bytes) -> bytes:
        return text.replace(b"/Encoding /WinAnsiEncoding", b"/Encoding /WinAnsiEncoding\n"
                            b"  /Encoding /MacRomanEncoding", 1)  # fmt: skip

    _refused(_qdf_edit(tmp_path, edit), "defines /Encoding twice")


def test_page_tree_node_typed_template() -> None:
    def edit(doc: pikepdf.Pdf) -> None:
        doc.Root.Pages.Kids[0].Type = pikepdf.Name.Template

    _refused(_pike(edit), "typed /Template")


def test_page_tree_count_disagrees(tmp_path: Path) -> None:
    def edit(text: bytes) -> bytes:
        return text.replace(b"/Count 1\n", b"/Count 2\n", 1)

    _refused(_qdf_edit(tmp_path, edit), "says /Count 2, but holds 1 page(s)")


def test_a_page_reached_twice_in_the_tree() -> None:
    def edit(doc: pikepdf.Pdf) -> None:
        kids = doc.Root.Pages.Kids
        kids.append(kids[0])
        doc.Root.Pages.Count = 2

    _refused(_pike(edit), "reached twice")


def test_a_second_root_by_incremental_update() -> None:
    root = _root_num(GENUINE)
    size = int(re.findall(rb"/Size (\d+)", GENUINE)[-1])
    body = GENUINE[GENUINE.index(b"\n%d 0 obj" % root) :].split(b"obj", 1)[1].split(b"endobj")[0]
    pdf = _append_update(GENUINE, {size: body.strip()}, b"/Root %d 0 R /Size %d" % (size, size + 1))
    _refused(pdf, "2 different /Root")


def test_a_second_catalogue_the_trailer_does_not_name() -> None:
    # Hung off /Info, a reader that hunts for a catalogue (a repairing one) may take it.
    def second(pdf: pikepdf.Pdf) -> None:
        other = pikepdf.Dictionary(Type=pikepdf.Name.Catalog, Pages=pdf.Root.Pages)
        pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(Root2=pdf.make_indirect(other)))

    _refused(_pike(second), "2 /Catalog objects")


def test_an_object_redefined_by_incremental_update() -> None:
    # The classic shadow attack: a later body of the page's content replaces the signed one
    # for every reader that follows /Prev.
    content = int(re.search(rb"/Contents (\d+) 0 R", GENUINE).group(1))  # type: ignore[union-attr]
    ops = b"BT /F1 9 Tf ET"
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops)
    pdf = _append_update(GENUINE, {content: stream}, b"/Root %d 0 R" % _root_num(GENUINE))
    _refused(pdf, f"object {content} is defined twice")


def test_xref_pointing_into_another_objects_bytes(tmp_path: Path) -> None:
    # A second body for the page hidden inside the (uncompressed) content stream's bytes, the
    # same length as what it overwrites, and the xref entry pointed at it: a reader trusting
    # the table draws the hidden page, one that scans the file the real one.
    text = bytearray(_qdf_edit(tmp_path, lambda t: t))
    page = re.search(rb"%% Page 1\n%% Original object ID: \d+ 0\n(\d+) 0 obj", text)
    assert page is not None
    num = int(page.group(1))
    hidden = b"%d 0 obj << /Type /Page >> endobj " % num
    at = text.index(b"stream\n", text.index(b"%% Contents for page 1")) + 7
    text[at : at + len(hidden)] = hidden
    xref = text.rindex(b"xref\n0 ")
    first = text.index(b"\n", xref + 5) + 1
    entry = first + 20 * num
    text[entry : entry + 10] = b"%010d" % at
    with pytest.raises(ForgedStructure, match=f"points object {num} elsewhere"):
        verify_pdf(bytes(text), PEM)


def test_two_envelopes_of_one_name() -> None:
    other = sign(sample_payload(media=sample_payload().media.__class__(
        **{**sample_payload().media.__dict__, "serial_number": "R58N00OTHER"})), KEY)  # fmt: skip

    def edit(doc: pikepdf.Pdf) -> None:
        names = doc.Root.Names.EmbeddedFiles.Names
        spec = pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec,
            F=pikepdf.String(f"{NUMBER}.json"),
            EF=pikepdf.Dictionary(F=doc.make_stream(other.envelope())),
        )
        names.append(pikepdf.String(f"{NUMBER}.json"))
        names.append(doc.make_indirect(spec))

    _refused(_pike(edit), f"two embedded files are named {NUMBER}.json")


def test_an_envelope_with_two_different_contents() -> None:
    def edit(doc: pikepdf.Pdf) -> None:
        spec = doc.Root.Names.EmbeddedFiles.Names[1]
        spec.EF.UF = doc.make_stream(b"{}")

    _refused(_pike(edit), "carries two different contents")


ACTIONS: dict[str, tuple[Callable[[pikepdf.Pdf], None], str]] = {
    "openaction_js": (
        lambda d: setattr(d.Root, "OpenAction", pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))),
        "/OpenAction",
    ),
    "names_javascript": (
        lambda d: setattr(d.Root.Names, "JavaScript", pikepdf.Dictionary(Names=pikepdf.Array())),
        "JavaScript",
    ),
    "page_aa": (
        lambda d: setattr(d.Root.Pages.Kids[0], "AA", pikepdf.Dictionary()),
        "additional actions",
    ),
    "acroform": (
        lambda d: setattr(d.Root, "AcroForm", pikepdf.Dictionary(Fields=pikepdf.Array())),
        "/AcroForm",
    ),
    "annotation": (
        lambda d: setattr(d.Root.Pages.Kids[0], "Annots", pikepdf.Array([d.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FreeText,
                               Rect=[40, 700, 300, 720], Contents=pikepdf.String("R58N00")))])),
        "annotations",
    ),
    "empty_annots": (
        lambda d: setattr(d.Root.Pages.Kids[0], "Annots", pikepdf.Array()),
        "annotations (/Annots)",
    ),
    "optional_content": (
        lambda d: setattr(d.Root, "OCProperties", pikepdf.Dictionary(OCGs=pikepdf.Array())),
        "optional content",
    ),
    "print_range": (
        lambda d: setattr(d.Root, "ViewerPreferences", pikepdf.Dictionary(
            PrintPageRange=pikepdf.Array([0, 0]))),
        "viewer print range",
    ),
    "portfolio": (
        lambda d: setattr(d.Root, "Collection", pikepdf.Dictionary()),
        "portfolio",
    ),
    "launch_in_outline": (
        lambda d: setattr(d.Root, "Outlines", d.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Outlines, Count=0, A=pikepdf.Dictionary(
                S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))))),
        "/Launch",
    ),
    "named_pages_template": (
        lambda d: setattr(d.Root.Names, "Pages", pikepdf.Dictionary(Names=pikepdf.Array())),
        "/Names carries /Pages",
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", ACTIONS)
def test_what_the_station_never_writes(kind: str) -> None:
    edit, words = ACTIONS[kind]
    _refused(_pike(edit), words)


def test_encrypted() -> None:
    pdf = _pike(lambda d: None, encryption=pikepdf.Encryption(owner="o", user="", R=6))
    _refused(pdf, "encrypted")


def test_bytes_outside_any_object() -> None:
    cut = GENUINE.index(b"xref")
    pdf = GENUINE[:cut] + b"junk that a scanning reader might take for an object\n" + GENUINE[cut:]
    with pytest.raises((ForgedStructure, DamagedPdf)):
        verify_pdf(pdf, PEM)


def test_a_stream_length_that_lies(tmp_path: Path) -> None:
    pdf = GENUINE.replace(b"/Length ", b"/Length 1", 1)
    with pytest.raises((ForgedStructure, DamagedPdf)):
        verify_pdf(pdf, PEM)


def _resaved(tmp: Path, pdf: bytes) -> dict[str, bytes]:
    src = tmp / "genuine.pdf"
    src.write_bytes(pdf)
    out: dict[str, bytes] = {}
    tools = {
        "qpdf_qdf": ["qpdf", "--qdf", str(src), "{out}"],
        "qpdf_objstm": ["qpdf", "--object-streams=generate", str(src), "{out}"],
        "qpdf_linearize": ["qpdf", "--linearize", str(src), "{out}"],
        "mutool_clean": ["mutool", "clean", "-gggz", str(src), "{out}"],
        "ghostscript": ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite",
                        "-sOutputFile={out}", str(src)],
        "pdfunite": ["pdfunite", str(src), "{out}"],
    }  # fmt: skip
    for name, argv in tools.items():
        if shutil.which(argv[0]) is None:
            pytest.fail(f"{argv[0]} is not installed (.ci/run installs it)")
        target = tmp / f"{name}.pdf"
        subprocess.run([a.replace("{out}", str(target)) for a in argv], check=True,
                       capture_output=True)  # fmt: skip
        out[name] = target.read_bytes()
    out["pikepdf"] = _pike(lambda d: None, pdf)
    from pypdf import PdfReader, PdfWriter

    buf = io.BytesIO()
    PdfWriter(clone_from=PdfReader(io.BytesIO(pdf))).write(buf)
    out["pypdf"] = buf.getvalue()
    return out


def test_office_tools_write_nothing_the_structure_check_refuses(tmp_path: Path) -> None:
    batch = render_certificates([sign(sample_payload(number=f"WS-OSL01-2026-{i:06d}"), KEY)
                                 for i in (1, 2)])  # fmt: skip
    for tool, pdf in _resaved(tmp_path, batch).items():
        try:
            found = read_structure(pdf)
        except StructureError as exc:
            pytest.fail(f"{tool}: {exc}")
        assert found.page_count == 2, tool
        assert sorted(found.attachments) == [
            "WS-OSL01-2026-000001.json",
            "WS-OSL01-2026-000002.json",
        ], tool


def test_a_file_embedded_beside_the_envelopes() -> None:
    def edit(doc: pikepdf.Pdf) -> None:
        names = doc.Root.Names.EmbeddedFiles.Names
        spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("readme.txt"),
                                  EF=pikepdf.Dictionary(F=doc.make_stream(b"hello")))  # fmt: skip
        names.append(pikepdf.String("readme.txt"))
        names.append(doc.make_indirect(spec))

    _refused(_pike(edit), "embeds 'readme.txt', which the station never embeds")


@pytest.mark.parametrize(
    ("key", "second"),
    [(b"/FontFile2", b"/FontFile2 1 0 R"), (b"/Kids", b"/Kids [ ]")],
    ids=["fontfile2", "kids"],
)
def test_duplicate_font_program_or_page_tree_kids(
    tmp_path: Path, key: bytes, second: bytes
) -> None:
    def edit(text: bytes) -> bytes:
        at = text.index(b"  " + key + b" ")  # written before the genuine one
        return text[:at] + b"  " + second + b"\n" + text[at:]

    _refused(_qdf_edit(tmp_path, edit), f"defines {key.decode()} twice")


def test_manifests_likewise(tmp_path: Path) -> None:
    from certificates.manifest import render_manifest, sign_manifest
    from certificates.manifest_verify import verify_manifest_pdf
    from tests.certificates.samples import sample_manifest

    manifest = render_manifest(sign_manifest(sample_manifest(12), KEY))

    def twice(text: bytes) -> bytes:
        return re.sub(rb"(/Pages (\d+) 0 R)", rb"\1\n  /Pages \2 0 R", text, count=1)

    forged = {
        "defines /Pages twice": _qdf_edit(tmp_path, twice, manifest),
        "/OpenAction": _pike(lambda d: setattr(d.Root, "OpenAction", pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("1"))), manifest),
        "typed /Template": _pike(
            lambda d: setattr(d.Root.Pages.Kids[0], "Type", pikepdf.Name.Template), manifest),
    }  # fmt: skip
    for words, pdf in forged.items():
        with pytest.raises(ForgedStructure, match=re.escape(words)):
            verify_manifest_pdf(pdf, PEM)
