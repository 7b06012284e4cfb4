"""A strict reader of PDF structure: the file must read one way only.

PDF readers disagree about malformed files: pypdf keeps the first of two definitions of a
dictionary key, poppler and PDFium the last; a page-tree node typed ``/Template`` is skipped by
one and drawn by another; an object defined twice, or hidden in a stream's bytes with the
cross-reference table pointing at it, is one object to a reader that trusts the table and
another to one that scans. This module tokenizes the whole file itself and refuses (naming what
it found) every such shape, and everything else the station never writes (JavaScript, actions,
forms, annotations, optional content, viewer print settings). What passes has one reading, so
the renderer and text extractor the verifier uses afterwards see what every viewer sees.

The list of refusals is a contract with the offline HTML verifier: docs/verification.md.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

__all__ = ["Name", "Ref", "Structure", "StructureError", "Unreadable", "read_structure"]


class StructureError(Exception):
    """The file has a shape the station never writes (and that readers may read two ways)."""


class Unreadable(Exception):
    """The bytes are not a PDF this reader can parse at all (damaged, truncated)."""


class Name(str):
    """A PDF name, without its slash."""


@dataclass(frozen=True)
class Ref:
    num: int
    gen: int


@dataclass
class Stream:
    dict: dict[str, object]
    raw: bytes
    length_ref: Ref | None = None


@dataclass
class Structure:
    """What the verifier needs from a file that passed: its embedded files by name, in order,
    and how many pages its page tree holds."""

    attachments: dict[str, bytes] = field(default_factory=dict)
    page_count: int = 0


# Keys the station never writes, and that make viewers run code, show or print other things.
FORBIDDEN_KEYS = {
    "JavaScript": "JavaScript",
    "JS": "JavaScript",
    "OpenAction": "an /OpenAction (action run on opening)",
    "AA": "an /AA (additional actions)",
    "AcroForm": "an /AcroForm (interactive form)",
    "Annots": "annotations (/Annots)",
    "OCProperties": "optional content (/OCProperties)",
    "OC": "optional content (/OC)",
    "PrintPageRange": "a viewer print range (/PrintPageRange)",
    "PrintArea": "a viewer print area (/PrintArea)",
    "PrintClip": "a viewer print clip (/PrintClip)",
    "NumCopies": "a viewer print setting (/NumCopies)",
    "Collection": "a portfolio view (/Collection)",
    "XFA": "an XFA form",
    "Launch": "a /Launch action",
    "URI": "a /URI action",
    "SubmitForm": "a form submission",
    "GoToR": "a remote go-to action",
    "GoToE": "an embedded go-to action",
    "Threads": "article threads (/Threads)",
    "PieceInfo": "private application data (/PieceInfo)",
    "UserUnit": "a page /UserUnit",
    "Alternates": "alternate images (/Alternates)",
    "AF": "an associated file (/AF)",
    "Templates": "page templates (/Templates)",
    "Encrypt": "encryption",
}
ACTION_TYPES = {
    "JavaScript", "Launch", "URI", "SubmitForm", "ResetForm", "ImportData", "GoToR", "GoToE",
    "Rendition", "Sound", "Movie", "Hide", "SetOCGState", "Trans", "GoTo3DView", "RichMediaExecute",
}  # fmt: skip
FORBIDDEN_TYPES = {
    "Template": "a page typed /Template",
    "Annot": "an annotation",
    "Action": "an action",
    "OCG": "optional content (/OCG)",
    "OCMD": "optional content (/OCMD)",
}
FILTERS = {
    "FlateDecode", "ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "RunLengthDecode", "DCTDecode",
}  # fmt: skip
NAMES_KEYS = {"EmbeddedFiles", "Dests"}

_WS = b" \t\r\n\f\x00"
_DELIM = b"()<>[]{}/%"
_WS_RE = re.compile(rb"(?:[ \t\r\n\f\x00]+|%[^\r\n]*)+")
_OBJ_RE = re.compile(rb"(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+obj\b")
_NUM_RE = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_REGULAR_RE = re.compile(rb"[^ \t\r\n\f\x00()<>\[\]{}/%]*")
_REF_RE = re.compile(rb"[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+R(?=[ \t\r\n\f\x00()<>\[\]{}/%]|$)")
_XREF_ENTRY = re.compile(rb"[ \t\r\n\f\x00]*(\d{10})[ \t]+(\d{5})[ \t]+([nf])")
_XREF_SUB = re.compile(rb"[ \t\r\n\f\x00]*(\d+)[ \t]+(\d+)")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


class _Lexer:
    def __init__(self, data: bytes, where: str = "") -> None:
        self.d = data
        self.where = where

    def ws(self, pos: int) -> int:
        m = _WS_RE.match(self.d, pos)
        return m.end() if m else pos

    def value(self, pos: int, depth: int = 0) -> tuple[object, int]:
        if depth > 64:
            raise StructureError(f"objects nested more than 64 deep{self.where}")
        d = self.d
        pos = self.ws(pos)
        if pos >= len(d):
            raise Unreadable("the file ends in the middle of an object")
        c = d[pos]
        if c == 0x2F:  # /
            m = _REGULAR_RE.match(d, pos + 1)
            assert m is not None
            return Name(_name(m.group(0))), m.end()
        if c == 0x3C and d[pos + 1 : pos + 2] == b"<":
            return self._dict(pos + 2, depth)
        if c == 0x3C:
            end = d.find(b">", pos)
            if end < 0:
                raise Unreadable("a hex string does not end")
            hexdigits = re.sub(rb"[ \t\r\n\f\x00]", b"", d[pos + 1 : end])
            if len(hexdigits) % 2:
                hexdigits += b"0"
            try:
                return bytes.fromhex(hexdigits.decode("ascii")), end + 1
            except ValueError as exc:
                raise Unreadable("a hex string holds other characters") from exc
        if c == 0x28:  # (
            return self._string(pos + 1)
        if c == 0x5B:  # [
            out: list[object] = []
            pos += 1
            while True:
                pos = self.ws(pos)
                if pos >= len(d):
                    raise Unreadable("an array does not end")
                if d[pos] == 0x5D:
                    return out, pos + 1
                v, pos = self.value(pos, depth + 1)
                out.append(v)
        m = _NUM_RE.match(d, pos)
        if m and (m.end() >= len(d) or d[m.end()] in _WS or d[m.end()] in _DELIM):
            text = m.group(0)
            if b"." in text:
                return float(text), m.end()
            n = int(text)
            r = _REF_RE.match(d, m.end())
            if r and text.isdigit():
                return Ref(n, int(r.group(1))), r.end()
            return n, m.end()
        m = _REGULAR_RE.match(d, pos)
        assert m is not None
        word = m.group(0)
        if word == b"true":
            return True, m.end()
        if word == b"false":
            return False, m.end()
        if word == b"null":
            return None, m.end()
        raise Unreadable(f"unexpected {word[:20]!r} at offset {pos}{self.where}")

    def _dict(self, pos: int, depth: int) -> tuple[dict[str, object], int]:
        d = self.d
        out: dict[str, object] = {}
        while True:
            pos = self.ws(pos)
            if d[pos : pos + 2] == b">>":
                return out, pos + 2
            if pos >= len(d):
                raise Unreadable("a dictionary does not end")
            key, pos = self.value(pos, depth + 1)
            if not isinstance(key, Name):
                raise Unreadable(f"a dictionary key is not a name at offset {pos}{self.where}")
            if key in out:
                raise StructureError(f"a dictionary defines /{key} twice{self.where}")
            out[key], pos = self.value(pos, depth + 1)

    def _string(self, pos: int) -> tuple[bytes, int]:
        d = self.d
        out = bytearray()
        level = 1
        while pos < len(d):
            c = d[pos]
            if c == 0x5C:  # backslash
                pos += 1
                e = d[pos] if pos < len(d) else 0
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                elif 0x30 <= e <= 0x37:
                    m = re.match(rb"[0-7]{1,3}", d[pos : pos + 3])
                    assert m is not None
                    out.append(int(m.group(0), 8) & 0xFF)
                    pos += len(m.group(0)) - 1
                elif e == 0x0D:
                    if d[pos + 1 : pos + 2] == b"\n":
                        pos += 1
                elif e != 0x0A:
                    out.append(e)
                pos += 1
                continue
            if c == 0x28:
                level += 1
            elif c == 0x29:
                level -= 1
                if level == 0:
                    return bytes(out), pos + 1
            out.append(c)
            pos += 1
        raise Unreadable("a string does not end")


def _name(raw: bytes) -> str:
    raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
    return raw.decode("latin-1")


def _decode(stream: Stream, what: str) -> bytes:
    filters = stream.dict.get("Filter")
    parms = stream.dict.get("DecodeParms")
    if filters is None:
        return stream.raw
    names = filters if isinstance(filters, list) else [filters]
    plist = parms if isinstance(parms, list) else [parms] * len(names)
    data = stream.raw
    for name, parm in zip(names, plist, strict=False):
        if name not in FILTERS:
            raise StructureError(f"{what} uses the filter /{name}, which the station never writes")
        if name == "FlateDecode":
            try:
                data = zlib.decompressobj().decompress(data)
            except zlib.error as exc:
                raise Unreadable(f"{what} cannot be decompressed") from exc
            if isinstance(parm, dict) and int(parm.get("Predictor", 1) or 1) >= 10:
                data = _png_unpredict(data, int(parm.get("Columns", 1) or 1))
        elif name == "ASCIIHexDecode":
            data = bytes.fromhex(re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">")[0]).decode())
        elif name == "ASCII85Decode":
            import base64

            body = re.sub(rb"\s", b"", data).removeprefix(b"<~").split(b"~>")[0]
            data = base64.a85decode(body)
        else:  # images only: the verifier never needs their bytes
            return b""
    return data


def _png_unpredict(data: bytes, columns: int) -> bytes:
    row = columns + 1
    prev = bytearray(columns)
    out = bytearray()
    for i in range(0, len(data) - row + 1, row):
        kind, line = data[i], bytearray(data[i + 1 : i + row])
        for j in range(columns):
            left = line[j - 1] if j else 0
            up = prev[j]
            if kind == 1:
                line[j] = (line[j] + left) & 0xFF
            elif kind == 2:
                line[j] = (line[j] + up) & 0xFF
            elif kind == 3:
                line[j] = (line[j] + (left + up) // 2) & 0xFF
            elif kind == 4:
                ul = prev[j - 1] if j else 0
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[j] = (line[j] + pred) & 0xFF
            elif kind != 0:
                raise Unreadable("a cross-reference stream's predictor is unknown")
        out += line
        prev = line
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.lex = _Lexer(data)
        self.objects: dict[int, object] = {}
        self.where: dict[int, tuple[str, int]] = {}  # num -> ("file", offset) | ("objstm", n)
        self.trailers: list[dict[str, object]] = []
        self.xref_table: list[tuple[int, int, bool]] = []  # num, offset, in use
        self.xref_streams: list[Stream] = []
        self.length_checks: list[tuple[int, Stream]] = []

    def scan(self) -> None:
        d, lex = self.data, self.lex
        if not d.startswith(b"%PDF-"):
            raise Unreadable("the file is not a PDF")
        if b"%%EOF" not in d[-1024:]:
            raise Unreadable("the file is truncated (it does not end with %%EOF)")
        pos = lex.ws(0)
        while pos < len(d):
            m = _OBJ_RE.match(d, pos)
            if m:
                pos = self._object(int(m.group(1)), int(m.group(2)), pos, m.end())
            elif d.startswith(b"xref", pos):
                pos = self._xref(pos + 4)
            elif d.startswith(b"trailer", pos):
                trailer, pos = lex.value(pos + 7)
                if not isinstance(trailer, dict):
                    raise Unreadable("a trailer is not a dictionary")
                self.trailers.append(trailer)
            elif d.startswith(b"startxref", pos):
                _, pos = lex.value(pos + 9)
            else:
                raise StructureError(
                    f"bytes outside any object at offset {pos} ({d[pos : pos + 12]!r})"
                )
            pos = lex.ws(pos)

    def _object(self, num: int, gen: int, start: int, pos: int) -> int:
        d, lex = self.data, self.lex
        lex.where = f" (object {num})"
        value, pos = lex.value(pos)
        pos = lex.ws(pos)
        if d.startswith(b"stream", pos) and isinstance(value, dict):
            pos += 6
            if d.startswith(b"\r\n", pos):
                pos += 2
            elif d[pos : pos + 1] in (b"\n", b"\r"):
                pos += 1
            length = value.get("Length")
            if isinstance(length, int):
                end = pos + length
                after = lex.ws(end)
                if not d.startswith(b"endstream", after):
                    raise StructureError(
                        f"object {num}'s stream does not end where its /Length says"
                    )
                stream = Stream(value, d[pos:end])
            elif isinstance(length, Ref):
                after = d.find(b"endstream", pos)
                if after < 0:
                    raise Unreadable(f"object {num}'s stream does not end")
                raw = d[pos:after]
                stream = Stream(value, raw, length)
                self.length_checks.append((num, stream))
            else:
                raise Unreadable(f"object {num}'s stream has no /Length")
            pos = lex.ws(after + 9)
            value = stream
        if not d.startswith(b"endobj", pos):
            raise Unreadable(f"object {num} does not end with endobj (offset {pos})")
        self._define(num, value, ("file", start))
        if isinstance(value, Stream) and value.dict.get("Type") == "XRef":
            self.xref_streams.append(value)
        lex.where = ""
        return pos + 6

    def _define(self, num: int, value: object, where: tuple[str, int]) -> None:
        if num in self.objects:
            raise StructureError(
                f"object {num} is defined twice (an incremental update or a second body)"
            )
        self.objects[num] = value
        self.where[num] = where

    def _xref(self, pos: int) -> int:
        d = self.data
        while True:
            m = _XREF_SUB.match(d, pos)
            if not m or d.startswith(b"trailer", self.lex.ws(pos)):
                return pos
            first, count = int(m.group(1)), int(m.group(2))
            pos = m.end()
            for i in range(count):
                e = _XREF_ENTRY.match(d, pos)
                if not e:
                    raise Unreadable("a cross-reference table is malformed")
                self.xref_table.append((first + i, int(e.group(1)), e.group(3) == b"n"))
                pos = e.end()

    def object_streams(self) -> None:
        for num, value in list(self.objects.items()):
            if not (isinstance(value, Stream) and value.dict.get("Type") == "ObjStm"):
                continue
            data = _decode(value, f"object stream {num}")
            n, first = value.dict.get("N"), value.dict.get("First")
            if not isinstance(n, int) or not isinstance(first, int):
                raise Unreadable(f"object stream {num} lacks /N or /First")
            head = [int(x) for x in data[:first].split()]
            if len(head) < 2 * n:
                raise Unreadable(f"object stream {num} is malformed")
            lex = _Lexer(data)
            for i in range(n):
                inner, offset = head[2 * i], head[2 * i + 1]
                lex.where = f" (object {inner})"
                obj, _ = lex.value(first + offset)
                self._define(inner, obj, ("objstm", num))

    def check_xref(self) -> None:
        """Every in-use cross-reference entry points at the object this scan found, so a reader
        that trusts the table and one that scans the file read the same objects."""
        for num, offset, used in self.xref_table:
            if not used or num == 0:
                continue
            kind, at = self.where.get(num, ("", -1))
            if kind != "file" or self.lex.ws(offset) != at:
                raise StructureError(
                    f"the cross-reference table points object {num} elsewhere than its body"
                )
        for xs in self.xref_streams:
            widths = xs.dict.get("W")
            if not (isinstance(widths, list) and len(widths) == 3):
                raise Unreadable("a cross-reference stream has no /W")
            w = [int(x) for x in widths]  # type: ignore[arg-type]
            size = int(xs.dict.get("Size", 0))  # type: ignore[arg-type]
            index = xs.dict.get("Index", [0, size])
            data = _decode(xs, "the cross-reference stream")
            step, pos = sum(w), 0
            assert isinstance(index, list)
            for k in range(0, len(index), 2):
                for num in range(int(index[k]), int(index[k]) + int(index[k + 1])):  # type: ignore[call-overload]
                    row = data[pos : pos + step]
                    pos += step
                    if len(row) < step:
                        raise Unreadable("a cross-reference stream is short")
                    f = [int.from_bytes(row[sum(w[:i]) : sum(w[: i + 1])], "big") for i in range(3)]
                    kind = f[0] if w[0] else 1
                    if kind == 1 and num:
                        where = self.where.get(num, ("", -1))
                        if where[0] != "file" or self.lex.ws(f[1]) != where[1]:
                            raise StructureError(
                                f"the cross-reference stream points object {num} elsewhere "
                                "than its body"
                            )
                    elif kind == 2 and self.where.get(num) != ("objstm", f[1]):
                        raise StructureError(
                            f"the cross-reference stream puts object {num} in another object "
                            "stream than holds it"
                        )
        for num, stream in self.length_checks:
            length = self.objects.get(stream.length_ref.num) if stream.length_ref else None
            if not isinstance(length, int) or not 0 <= len(stream.raw) - length <= 2:
                raise StructureError(f"object {num}'s stream does not end where its /Length says")
            stream.raw = stream.raw[:length]

    def get(self, value: object) -> object:
        return self.objects.get(value.num) if isinstance(value, Ref) else value


def _forbidden(value: object, where: str) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Stream):
            v = v.dict
        if isinstance(v, dict):
            for k, x in v.items():
                if k in FORBIDDEN_KEYS:
                    raise StructureError(f"{where} carries {FORBIDDEN_KEYS[k]}")
                stack.append(x)
            kind = v.get("Type")
            if isinstance(kind, Name) and kind in FORBIDDEN_TYPES:
                raise StructureError(f"{where} is {FORBIDDEN_TYPES[kind]}")
            action = v.get("S")
            if isinstance(action, Name) and action in ACTION_TYPES:
                raise StructureError(f"{where} carries a /{action} action")
            if v.get("Subtype") == "FileAttachment":
                raise StructureError(f"{where} is a file attachment annotation")
        elif isinstance(v, list):
            stack.extend(v)


def _pages(r: _Reader, root: dict[str, object]) -> int:
    seen: set[int] = set()

    def walk(ref: object, depth: int) -> int:
        if not isinstance(ref, Ref):
            raise StructureError("a page-tree node is not an indirect object")
        if ref.num in seen:
            raise StructureError(f"page-tree node {ref.num} is reached twice")
        if depth > 32:
            raise StructureError("the page tree is more than 32 levels deep")
        seen.add(ref.num)
        node = r.get(ref)
        if not isinstance(node, dict):
            raise StructureError(f"page-tree node {ref.num} is not a dictionary")
        kind = node.get("Type")
        if kind == "Page":
            if "Kids" in node:
                raise StructureError(f"page {ref.num} has /Kids")
            return 1
        if kind != "Pages":
            raise StructureError(
                f"page-tree node {ref.num} is typed /{kind}, neither /Page nor /Pages"
            )
        kids = r.get(node.get("Kids"))
        if not isinstance(kids, list):
            raise StructureError(f"page-tree node {ref.num} has no /Kids array")
        total = sum(walk(k, depth + 1) for k in kids)
        count = r.get(node.get("Count"))
        if count != total:
            raise StructureError(
                f"page-tree node {ref.num} says /Count {count}, but holds {total} page(s)"
            )
        return total

    return walk(root.get("Pages"), 0)


def _embedded(r: _Reader, root: dict[str, object]) -> dict[str, bytes]:
    names = r.get(root.get("Names"))
    if names is None:
        return {}
    if not isinstance(names, dict):
        raise StructureError("the catalogue's /Names is not a dictionary")
    for key in names:
        if key not in NAMES_KEYS:
            raise StructureError(f"the catalogue's /Names carries /{key}")
    out: dict[str, bytes] = {}
    seen: set[int] = set()

    def walk(node: object, depth: int) -> None:
        if isinstance(node, Ref):
            if node.num in seen:
                raise StructureError("the embedded-file name tree reaches a node twice")
            seen.add(node.num)
        node = r.get(node)
        if not isinstance(node, dict) or depth > 16:
            raise StructureError("the embedded-file name tree is malformed")
        for kid in r.get(node.get("Kids")) or []:  # type: ignore[attr-defined]
            walk(kid, depth + 1)
        pairs = r.get(node.get("Names")) or []
        if not isinstance(pairs, list) or len(pairs) % 2:
            raise StructureError("the embedded-file name tree is malformed")
        for i in range(0, len(pairs), 2):
            raw = r.get(pairs[i])
            name = _text(raw) if isinstance(raw, bytes) else None
            if name is None:
                raise StructureError("an embedded file's name is not a string")
            if name in out:
                raise StructureError(f"two embedded files are named {name}")
            out[name] = _file_bytes(r, pairs[i + 1], name)

    walk(names.get("EmbeddedFiles"), 0) if "EmbeddedFiles" in names else None
    return out


def _file_bytes(r: _Reader, spec_ref: object, name: str) -> bytes:
    spec = r.get(spec_ref)
    if not isinstance(spec, dict):
        raise StructureError(f"the embedded file {name} has no file specification")
    ef = r.get(spec.get("EF"))
    if not isinstance(ef, dict) or not ef:
        raise StructureError(f"the embedded file {name} has no /EF")
    contents = set()
    for value in ef.values():
        stream = r.get(value)
        if not isinstance(stream, Stream):
            raise StructureError(f"the embedded file {name} is not a stream")
        contents.add(_decode(stream, f"the embedded file {name}"))
    if len(contents) != 1:
        raise StructureError(f"the embedded file {name} carries two different contents")
    for key in ("F", "UF"):
        label = r.get(spec.get(key))
        if isinstance(label, bytes) and _text(label) != name:
            raise StructureError(f"the embedded file {name} calls itself {_text(label)!r}")
    return contents.pop()


def _text(raw: bytes) -> str:
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    return raw.decode("latin-1")


def read_structure(pdf: bytes) -> Structure:
    """Check ``pdf``'s structure; StructureError names the first shape the station never
    writes, Unreadable says why it cannot be parsed at all."""
    r = _Reader(pdf)
    try:
        r.scan()
        r.object_streams()
        r.check_xref()
    except (IndexError, ValueError, TypeError, RecursionError) as exc:
        raise Unreadable(f"the PDF is damaged ({type(exc).__name__})") from exc
    roots = {str(t.get("Root")) for t in r.trailers if "Root" in t}
    roots |= {str(x.dict.get("Root")) for x in r.xref_streams if "Root" in x.dict}
    for t in [*r.trailers, *(x.dict for x in r.xref_streams)]:
        if "Encrypt" in t:
            raise StructureError("the file is encrypted")
    if not roots:
        raise Unreadable("the PDF has no /Root (damaged or truncated)")
    if len(roots) > 1:
        raise StructureError(f"the file has {len(roots)} different /Root catalogues")
    for num, value in r.objects.items():
        _forbidden(value, f"object {num}")
    # A second catalogue, even one the trailer does not name, is a /Root some reader may take.
    catalogs = sum(
        1 for v in r.objects.values() if isinstance(v, dict) and v.get("Type") == "Catalog"
    )
    if catalogs > 1:
        raise StructureError(f"the file has {catalogs} /Catalog objects, a second /Root")
    root_ref = next(t.get("Root") for t in [*r.trailers, *(x.dict for x in r.xref_streams)]
                    if "Root" in t)  # fmt: skip
    root = r.get(root_ref)
    if not isinstance(root, dict) or root.get("Type") != "Catalog":
        raise StructureError("the /Root is not a /Catalog")
    return Structure(attachments=_embedded(r, root), page_count=_pages(r, root))
