"""Comparing a page someone hands us with the page the signed payload draws.

Certificates and manifests are drawn deterministically (reportlab's invariant mode), so the
verifier draws the signed document again and compares what a viewer shows: both are rendered
with PDFium (Chrome's PDF engine, an independent renderer) and compared pixel by pixel, the QR
codes are read off the rendered page, and the text layer is compared line by line (which also
names the field that differs). Tolerances are in docs/verification.md.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageFilter

QR_DPI = 150  # a certificate's QR module is ~2 pt: 4 pixels at this resolution
EXACT_DPI = 100  # first look: office tools that keep the drawing give identical pixels
CLOSE_DPI = 200  # second look, with tolerance, for files whose drawing was rewritten
SPREAD = 5  # px at CLOSE_DPI (±2 px, ±0.72 pt): how far a mark may move
INK = 96  # of 255: how much darker a pixel must be than everything within SPREAD
STRAY = 4  # pixels at CLOSE_DPI that may exceed both, page-wide


def lines(text: str) -> list[str]:
    """Extracted text as one stripped, non-empty line each."""
    return [" ".join(x.split()) for x in text.splitlines() if x.strip()]


def split_labels(found: list[str], labels: Sequence[str]) -> list[str]:
    """PDFium puts a row's English label and its value on one line ("Serial number R58N…");
    each such line becomes two, the label and the value, so a difference names its field."""
    keys = sorted((k for k in labels if not k.endswith(":")), key=len, reverse=True)
    out: list[str] = []
    for line in found:
        k = next((k for k in keys if line.startswith(k + " ")), None)
        out += [k, line[len(k) + 1 :]] if k else [line]
    return out


def comparable(line: str) -> str:
    """A text line with every character outside printable ASCII as "?": Ghostscript re-encodes
    the fonts' other glyphs (ø, –, ·) without a Unicode map, so their extracted text is codes;
    what those glyphs look like is held by the drawing comparison."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in line)


@dataclass
class Drawn:
    """A PDF opened in PDFium: each page's text and renderings, made once when first asked."""

    pdf: bytes
    doc: pdfium.PdfDocument = field(init=False)
    _text: dict[int, str] = field(default_factory=dict)
    _images: dict[tuple[int, int], Image.Image] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.doc = pdfium.PdfDocument(self.pdf)

    def __len__(self) -> int:
        return len(self.doc)

    def text(self, index: int) -> str:
        if index not in self._text:
            page = self.doc[index]
            self._text[index] = page.get_textpage().get_text_bounded()
        return self._text[index]

    def image(self, index: int, dpi: int) -> Image.Image:
        if (index, dpi) not in self._images:
            page = self.doc[index]
            self._images[index, dpi] = page.render(scale=dpi / 72, grayscale=True).to_pil()
        return self._images[index, dpi]

    def text_in(self, index: int, box: tuple[float, float, float, float]) -> str:
        """The text within ``box`` (left, bottom, right, top in points)."""
        page = self.doc[index]
        return page.get_textpage().get_text_bounded(*box).strip()

    def qr_codes(self, index: int, box: tuple[float, float, float, float]) -> list[str]:
        """The QR codes read off ``box`` (left, top, width, height in points from the top-left
        corner) of page ``index``, rendered at QR_DPI."""
        import zxingcpp

        page = self.doc[index]
        w, h = page.get_size()
        left, top, width, height = box
        crop = (left, h - top - height, w - left - width, top)  # PDFium: l, b, r, t margins
        image = page.render(scale=QR_DPI / 72, grayscale=True, crop=crop).to_pil()
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        return [code.text for code in found]

    def close(self) -> None:
        self.doc.close()


def drawing_difference(shown: Drawn, want: Drawn, i: int, j: int) -> tuple[float, ...] | None:
    """Where page ``i`` of ``shown`` looks other than page ``j`` of ``want``: None when they
    agree, else the box (left, bottom, right, top in points) of what differs.

    Identical pixels at EXACT_DPI pass at once (qpdf, mutool, pikepdf, pypdf and pdfunite keep
    the drawing). Otherwise both are rendered at CLOSE_DPI and a pixel counts when it is more
    than INK darker than every pixel within SPREAD of it on the other page, either way round:
    Ghostscript's rewritten text positions move glyphs by a fraction of a point, an added,
    removed or changed mark does not disappear that way. More than STRAY such pixels differ.
    """
    a, b = shown.image(i, EXACT_DPI), want.image(j, EXACT_DPI)
    if a.size == b.size and ImageChops.difference(a, b).getbbox() is None:
        return None
    a, b = shown.image(i, CLOSE_DPI), want.image(j, CLOSE_DPI)
    if a.size != b.size:
        w, h = want.doc[j].get_size()
        return (0.0, 0.0, w, h)
    count, box = 0, None
    for x, y in ((a, b), (b, a)):
        darker = ImageChops.subtract(y.filter(ImageFilter.MinFilter(SPREAD)), x)
        marks = darker.point(lambda v: 255 if v > INK else 0)
        count += marks.histogram()[255]
        found = marks.getbbox()
        if found:
            box = found if box is None else (
                min(box[0], found[0]), min(box[1], found[1]),
                max(box[2], found[2]), max(box[3], found[3]),
            )  # fmt: skip
    if count <= STRAY or box is None:
        return None
    scale = 72 / CLOSE_DPI
    height = want.doc[j].get_size()[1]
    return (box[0] * scale, height - box[3] * scale, box[2] * scale, height - box[1] * scale)


def where(want: Drawn, j: int, box: Sequence[float]) -> str:
    """Words for a difference box: the signed text drawn there, or its position."""
    left, bottom, right, top = box
    near = " ".join(want.text_in(j, (left - 2, bottom - 2, right + 2, top + 2)).split())
    if near:
        return f"where the signed document shows {_q(visible_text(near), 60)}"
    return f"at {left:.0f},{bottom:.0f}-{right:.0f},{top:.0f} pt from the page's lower left"


def visible_text(text: str) -> str:
    """Control, bidi and other format characters as visible ``\\u`` escapes."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] == "C" else ch
        for ch in text
    )


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
    expected: list[str],
    shown: list[str],
    names: list[str | None],
    signed: str,
    originals: tuple[list[str], list[str]] | None = None,
) -> str | None:
    """A one-line description of the first text that differs, or None when the text agrees.

    ``names`` holds the field each expected line belongs to (e.g. "serial number"); ``signed``
    names the document ("the signed certificate"); ``originals`` are the lines as extracted,
    quoted in the message when the compared ones were made ``comparable``.
    """
    ops = difflib.SequenceMatcher(a=expected, b=shown, autojunk=False).get_opcodes()
    exp_q, shown_q = originals or (expected, shown)
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        want, got = " ".join(exp_q[i1:i2]), " ".join(shown_q[j1:j2])
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
    text = visible_text(text)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return "'" + text.replace("'", "\\'") + "'"


def first_page_difference(
    shown: Drawn,
    i: int,
    drawings: Sequence[Callable[[], Drawn]],
    j: int,
    labels: Sequence[str],
    names: Callable[[list[str]], list[str | None]],
    signed: str,
    before_drawing: Callable[[], None] = lambda: None,
) -> str | None:
    """Why page ``i`` of ``shown`` is not page ``j`` of the signed document, or None.

    ``drawings`` make the signed document as each QR encoder the station used drew it (the
    first is today's; the others are drawn only when needed). The text layer must agree
    line by line (printable ASCII exactly, see ``comparable``) and the drawing within the
    tolerance of ``drawing_difference``.
    """
    want = drawings[0]()
    want_lines = split_labels(lines(want.text(j)), labels)
    got_lines = split_labels(lines(shown.text(i)), labels)
    diff = first_difference(
        [comparable(x) for x in want_lines],
        [comparable(x) for x in got_lines],
        names(want_lines),
        signed,
        originals=(want_lines, got_lines),
    )
    if diff:
        return diff
    before_drawing()  # the QR check: it names a swapped code better than the drawing does
    first: Sequence[float] | None = None
    for make in drawings:
        box = drawing_difference(shown, make(), i, j)
        if box is None:
            return None
        first = first or box
    assert first is not None
    return f"differs in its drawing from what {signed} draws, {where(want, j, first)}"


def cached(make: Callable[[], Drawn]) -> Callable[[], Drawn]:
    """``make`` called once, on first use."""
    box: list[Drawn] = []

    def get() -> Drawn:
        if not box:
            box.append(make())
        return box[0]

    return get
