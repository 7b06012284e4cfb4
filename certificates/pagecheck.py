"""Comparing a page someone hands us with the page the signed payload draws.

Certificates and manifests are drawn deterministically (reportlab's invariant mode), so the
verifier draws the signed document again and compares: the text line by line (to name what
differs), the QR codes read off a rendered image of the page, and finally the whole page object
(content streams, fonts, annotations, boxes), so that nothing drawn, pasted or overlaid escapes.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from certificates.qr import ENCODERS, Encoder

_Seen = set[tuple[int, int, int]]
QR_DPI = 150  # a certificate's QR module is ~2 pt: 4 pixels at this resolution


class QrUnreadable(Exception):
    """The pages could not be rendered to look for QR codes (pdftoppm missing or failing)."""


def lines(page: PageObject | str) -> list[str]:
    """The page's text as pypdf extracts it (or already extracted), one stripped, non-empty
    line each."""
    text = page if isinstance(page, str) else page.extract_text() or ""
    return [" ".join(x.split()) for x in text.splitlines() if x.strip()]


def field_names(expected: list[str], labels: dict[str, str]) -> list[str | None]:
    """For each expected line, the field it belongs to: the last label line above it.

    ``labels`` maps a label as extracted (e.g. "Serial number") to the name used in messages;
    other lines that name themselves (the certificate number) may be in it too.
    """
    names: list[str | None] = []
    current: str | None = None
    prefixes = [(k, v) for k, v in labels.items() if k.endswith(":")]
    for line in expected:
        if line in labels:
            current = labels[line]
        elif starts := [v for k, v in prefixes if line.startswith(k)]:
            current = starts[0]  # "Issued: …" carries its label and value on one line
        elif line.startswith("/ "):  # a section band ends the field above it
            current = None
        names.append(current)
    return names


def first_difference(
    expected: list[str], shown: list[str], names: list[str | None], signed: str
) -> str | None:
    """A one-line description of the first text that differs, or None when the text agrees.

    ``names`` holds the field each expected line belongs to (e.g. "serial number"); ``signed``
    names the document ("the signed certificate").
    """
    ops = difflib.SequenceMatcher(a=expected, b=shown, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        want, got = " ".join(expected[i1:i2]), " ".join(shown[j1:j2])
        field = next((n for n in names[i1:i2] if n), names[i1 - 1] if i1 else None)
        if tag == "insert":
            return f"shows {_q(got)}, which {signed} does not contain"
        if tag == "delete":
            what = f"{field} {_q(want)}" if field else _q(want)
            return f"does not show {what} from {signed}"
        if field:
            return f"shows {field} {_q(got)}, {signed} says {_q(want)}"
        return f"shows {_q(got)} where {signed} says {_q(want)}"
    return None


def _q(text: str, limit: int = 120) -> str:
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(text)


def fingerprint(page: PageObject) -> str:
    """SHA-256 over everything that makes up the page: its dictionary (less the link to its
    parent), resolved recursively, with every stream by its decoded content."""
    h = hashlib.sha256()
    seen: _Seen = set()
    _feed(h, page, seen, top=True)
    return h.hexdigest()


def drawing_mismatch(
    pages: list[PageObject],
    expected: list[PageObject],
    redraw: Callable[[Encoder], bytes],
    where: Callable[[int], str],
    document: str,
) -> str | None:
    """Why the file is not what ``document`` ("its signed certificate") draws, or None; see
    ``first_foreign_page``. ``where`` names a page's document ("WS-OSL01-2026-000042")."""
    index = first_foreign_page(pages, expected, redraw)
    if index is None:
        return None
    return (
        f"page {index} ({where(index)}) is not the page {document} draws: its text agrees, "
        "but drawing, fonts, annotations or page boxes differ"
    )


def first_foreign_page(
    pages: list[PageObject],
    expected: list[PageObject],
    redraw: Callable[[Encoder], bytes],
) -> int | None:
    """The number of the first page that is not the page the signed document draws, or None.

    ``expected`` is the document as this version draws it; a file drawn by an earlier version
    differs only in its QR squares, so when it does not match, ``redraw`` draws the document
    with each earlier QR encoder in turn. A file matches when every page matches one drawing.
    """
    shown = [fingerprint(p) for p in pages]
    first: int | None = None
    for encoder in ENCODERS:
        want = (
            expected
            if encoder is ENCODERS[0]
            else list(PdfReader(io.BytesIO(redraw(encoder))).pages)
        )
        bad = next(
            (i for i, (have, page) in enumerate(zip(shown, want, strict=True), start=1)
             if have != fingerprint(page)),
            None,
        )  # fmt: skip
        if bad is None:
            return None
        first = first or bad
    return first


def _feed(h: Any, obj: PdfObject | None, seen: _Seen, top: bool = False) -> None:
    if isinstance(obj, IndirectObject):
        key = id(obj.pdf), obj.idnum, obj.generation
        if key in seen:  # fonts are shared between pages and may refer back
            h.update(b"<ref>")
            return
        seen.add(key)
        obj = obj.get_object()
    if isinstance(obj, StreamObject):
        h.update(b"<stream>")
        _feed_dict(h, obj, seen, skip={"/Length", "/Filter", "/DecodeParms"})
        h.update(obj.get_data())
    elif isinstance(obj, DictionaryObject):
        _feed_dict(h, obj, seen, skip={"/Parent"} if top else set())
    elif isinstance(obj, ArrayObject):
        h.update(b"[")
        for v in obj:
            _feed(h, v, seen)
        h.update(b"]")
    else:
        h.update(repr(obj).encode("utf-8", "replace") + b";")


def _feed_dict(h: Any, d: DictionaryObject, seen: _Seen, skip: set[str]) -> None:
    h.update(b"{")
    for k in sorted(d.keys()):
        if k in skip:
            continue
        h.update(NameObject(k).encode("utf-8") if isinstance(k, str) else b"?")
        _feed(h, d.raw_get(k), seen)
    h.update(b"}")


def qr_codes(pdf: bytes, box: tuple[float, float, float, float]) -> list[list[str]]:
    """The text of every QR code in ``box`` on each page, read off a rendered image: what a
    phone held over the paper would read. Needs ``pdftoppm`` (poppler-utils).

    ``box`` is (left, top, width, height) in points from the page's top-left corner: only the
    area where the QR code belongs is rendered (a whole page costs ten times as much); anything
    drawn elsewhere is caught by the page comparison.
    """
    import zxingcpp
    from PIL import Image

    exe = shutil.which("pdftoppm")
    if exe is None:
        raise QrUnreadable("cannot read the QR codes: pdftoppm (poppler-utils) is not installed")
    crop = [
        arg
        for flag, v in zip(("-x", "-y", "-W", "-H"), box, strict=True)
        for arg in (flag, str(round(v * QR_DPI / 72)))
    ]
    with tempfile.TemporaryDirectory(prefix="ws-qr-") as tmp:
        try:
            subprocess.run(
                [
                    exe,
                    "-r",
                    str(QR_DPI),
                    *crop,
                    "-gray",
                    "-png",
                    "-",
                    f"{tmp}/p",
                ],
                input=pdf,
                capture_output=True,
                check=True,
                timeout=600,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise QrUnreadable(f"cannot render the pages to read the QR codes ({exc})") from exc
        # pdftoppm numbers pages with as many digits as the last page needs.
        images = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        out = []
        for path in images:
            with Image.open(io.BytesIO(path.read_bytes())) as img:
                found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
            out.append([code.text for code in found])
        return out
