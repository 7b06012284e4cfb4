"""Intake: returns a customer announced, loaded from a CSV and matched to phones when plugged in.

Customers send what their spreadsheet exports: commas or semicolons, UTF-8 (with or without BOM)
or Latin-1, Windows line endings, Norwegian or English headers. Each bad row is reported with its
line number and the good rows still load. Employee names and phone numbers are personal data: they
live only in ``intake_lines`` and reach the audit log only as commitments.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import Session, col, or_, select
from stdnum import imei as stdnum_imei
from stdnum.exceptions import ValidationError

from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.customers import normalise_org_number
from wipe_station.db import bulk
from wipe_station.db.models import Customer, Device, IntakeLine
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState
from wipe_station.safe_text import visible
from wipe_station.timeutil import utcnow

MAX_FILE_BYTES = 20 * 1024 * 1024
# A real header is a few dozen characters; a 128 kB one is not a return list (and would
# exceed the csv module's field limit mid-parse).
MAX_HEADER_CHARS = 4096

# Accepted header spellings, compared after lower-casing and dropping spaces, '_', '-' and '.'.
HEADERS: dict[str, tuple[str, ...]] = {
    "org_number": ("orgnumber", "org", "orgnr", "organisationnumber", "organizationnumber",
                   "organisasjonsnummer", "customer"),
    "serial": ("serial", "serialnumber", "serienummer", "sn"),
    "imei": ("imei", "imei1"),
    "employee_name": ("employeename", "employee", "name", "ansatt", "navn"),
    "employee_phone": ("employeephone", "phone", "phonenumber", "mobile", "telefon",
                       "telefonnummer", "mobil"),
    "reason": ("reason", "returnreason", "årsak", "arsak", "returårsak"),
}  # fmt: skip
_PHONE_RE = re.compile(r"^\+?[0-9]{5,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_IMEI_SEPARATORS = re.compile(r"[\s\-/]")
_SERIAL_RE = re.compile(r"^[\w\-./]+$")
# Luhn: a digit in an even place from the right counts as the digit sum of its double.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    source: str
    rows: int = 0
    loaded: list[int] = field(default_factory=list)  # intake line ids
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    matched: int = 0  # lines matched at once to phones already at the station


def _key(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", header.strip().lower())


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) if it decodes, else Windows-1252/Latin-1 as Norwegian Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    lookup = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
    found: dict[str, int] = {}
    ignored: list[str] = []
    for i, raw in enumerate(header):
        name = lookup.get(_key(raw))
        if name is None or name in found:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        found[name] = i
    if "org_number" not in found or not ({"serial", "imei"} & found.keys()):
        raise StationError(
            f"the header {visible(', '.join(h.strip() for h in header), 200) or '(empty)'} "
            "lacks the columns "
            "an intake file needs: org_number, and serial and/or imei "
            "(optional: employee_name, employee_phone, reason)"
        )
    return found, ignored


def _luhn_valid_15(digits: str) -> bool:
    """The Luhn check of 15 ASCII digits: stdnum's, in C-level passes (byte sums)."""
    total = sum(digits[-1::-2].encode()) + sum(digits[-2::-2].translate(_LUHN_DOUBLED).encode())
    return (total - 15 * ord("0")) % 10 == 0


def normalise_imei(raw: str) -> str:
    digits = _IMEI_SEPARATORS.sub("", raw)
    # The common case, 15 ASCII digits with a good check digit, is what stdnum returns for
    # them; stdnum's general path (Unicode clean-up, per-digit generators) was most of the
    # parsing time of a large file. Anything else goes to stdnum for its answer and message.
    if len(digits) == 15 and digits.isascii() and digits.isdigit() and _luhn_valid_15(digits):
        return digits
    try:
        return str(stdnum_imei.validate(digits))[:15]
    except ValidationError as exc:
        raise StationError(f"IMEI {raw!r} is not valid ({exc})") from exc


def normalise_phone(raw: str) -> str:
    phone = _PHONE_SEPARATORS.sub("", raw)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _PHONE_RE.match(phone):
        raise StationError(f"phone number {raw!r} is not a phone number")
    return phone


@dataclass
class _Row:
    line: int
    org: str
    serial: str | None
    imei: str | None
    name: str | None
    phone: str | None
    reason: str | None


# A return list names a handful of customers over thousands of rows: check each number once.
# A depot's customers (about 2,000 at five years) all fit: a file cycling through more than
# the cache holds missed on every row.
_normalised_org = functools.lru_cache(maxsize=16384)(normalise_org_number)


# The columns `_parse_row` reads.
_READ = ("org_number", "serial", "imei", "employee_phone", "employee_name", "reason")


def _no_nul(column: str, value: str) -> str:
    if "\x00" in value:  # PostgreSQL refuses it; the row is reported, the rest load
        raise StationError(f"the {column} cell holds a NUL character")
    return value


def _parse_row(line: int, cells: list[str], cols: dict[str, int]) -> _Row:
    """One data row; ``cells`` are already stripped of surrounding whitespace."""
    width = len(cells)
    # The six cells in one pass (an absent column or a short row reads as empty): a lookup
    # and a call per cell were half the parsing of a 20,000-line file.
    org_raw, serial, imei_raw, phone_raw, name, reason = (
        cells[i] if (i := cols.get(c)) is not None and i < width else "" for c in _READ
    )
    if not _no_nul("org_number", org_raw):
        raise StationError("no organisation number")
    org = _normalised_org(org_raw)
    if not _no_nul("serial", serial) and not _no_nul("imei", imei_raw):
        raise StationError("neither serial nor IMEI")
    _no_nul("imei", imei_raw)
    if serial and (len(serial) > 64 or not _SERIAL_RE.match(serial)):
        raise StationError(f"serial {serial[:40]!r} is not a serial number")
    imei = normalise_imei(imei_raw) if imei_raw else None
    phone = normalise_phone(phone_raw) if _no_nul("employee_phone", phone_raw) else None
    for column, label, value in (
        ("employee_name", "employee name", name),
        ("reason", "reason", reason),
    ):
        if len(_no_nul(column, value)) > 200:
            raise StationError(f"{label} is longer than 200 characters")
    return _Row(line, org, serial or None, imei, name or None, phone, reason or None)


def _open_line(session: Session, serial: str | None, imei: str | None) -> IntakeLine | None:
    """An announced return for this phone that no phone has been matched to yet."""
    conds = []
    if serial:
        conds.append(IntakeLine.serial == serial)
    if imei:
        conds.append(IntakeLine.imei == imei)
    if not conds:
        return None  # e.g. an iPhone that refused trust: nothing to match it by yet
    return session.exec(
        select(IntakeLine).where(or_(*conds)).where(_is_open()).order_by(col(IntakeLine.id))
    ).first()


def _is_open() -> Any:
    """No phone is matched to the intake line yet: an anti-join on ix_devices_intake_line_id.

    Not ``id NOT IN (SELECT intake_line_id ...)``: on PostgreSQL that subquery's ids (467,000 on
    a five-year base) spill out of work_mem and are scanned again for every line (issue 30)."""
    return ~exists().where(Device.intake_line_id == IntakeLine.id)


def _open_lines_query(column: str) -> Any:
    """The builder of `bulk.select_in`'s look-up: the returns still waiting for a phone whose
    ``column`` (serial or imei) is one of the values."""
    waiting = select(
        IntakeLine.id,
        IntakeLine.serial,
        IntakeLine.imei,
        IntakeLine.source_file,
        IntakeLine.line_no,
    ).where(_is_open())
    return lambda match: waiting.where(match(col(getattr(IntakeLine, column))))


def _keys(rows: list[_Row]) -> tuple[list[str], list[str]]:
    """The serials and the IMEIs of ``rows``, each once."""
    return (
        list(dict.fromkeys(r.serial for r in rows if r.serial)),
        list(dict.fromkeys(r.imei for r in rows if r.imei)),
    )


def _earliest(candidates: Iterable[tuple[Any, ...]]) -> dict[str, tuple[int, str, int]]:
    """Serial or IMEI -> (id, source file, line) of the earliest of the waiting returns
    ``candidates`` (rows of `_open_lines_query`) that has it."""
    found: dict[str, tuple[int, str, int]] = {}
    for line_id, serial, imei, source, line_no in candidates:
        for key in (serial, imei):
            if key and (key not in found or found[key][0] > line_id):
                found[key] = (line_id, source, line_no)
    return found


# Rows an import reads, looks up and writes at a time (`_Load`).
_BATCH = 2000

# The intake line columns `import_text` writes, in the order of its row tuples.
_LINE_COLUMNS = (
    "id",
    "customer_id",
    "serial",
    "imei",
    "employee_name",
    "employee_phone",
    "reason",
    "source_file",
    "line_no",
    "imported_at",
    "audit_station",
    "audit_seq",
    "personal_salt",
)


def import_csv(ctx: StationContext, actor: audit.Actor, path: Path) -> ImportResult:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise StationError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise StationError(f"cannot read {path}: {exc.strerror}") from exc
    return import_text(ctx, actor, decode(data), path.name)


def _first_lines(text: str, count: int) -> list[str]:
    """``text.splitlines(keepends=True)[:count]`` without splitting a whole large file: a
    prefix that holds more than ``count`` lines has the first ``count`` complete (the piece
    after them shows where the last one ends, a CR-LF included)."""
    pieces = text[:65536].splitlines(keepends=True)
    if len(pieces) > count:
        return pieces[:count]
    return text.splitlines(keepends=True)[:count]


def import_text(ctx: StationContext, actor: audit.Actor, text: str, source: str) -> ImportResult:
    # The collector's full passes over a heap that grows by hundreds of thousands of rows
    # and tuples cost about a sixth of a large import; none of them is garbage until the end.
    with bulk.gc_paused():
        return _import_text(ctx, actor, text, source)


def _reader(text: str, source: str) -> tuple[Any, dict[str, int], list[str]]:
    """The CSV reader past the header, the columns found and those ignored; a file without an
    intake file's header is refused here, before the database is asked anything."""
    lines = _first_lines(text, 5)
    if lines and len(lines[0]) > MAX_HEADER_CHARS:
        raise StationError(
            f"{visible(source, 80)}: the first line has {len(lines[0])} characters; an intake "
            f"file's header row is at most {MAX_HEADER_CHARS} (org_number, serial, imei, …)"
        )
    sample = "".join(lines[:5])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise StationError(f"{source} is empty") from None
    except csv.Error as exc:
        raise StationError(f"{visible(source, 80)}: the header row is unreadable ({exc})") from None
    cols, ignored = _columns(header)
    return reader, cols, ignored


def _parse(reader: Any, cols: dict[str, int], result: ImportResult) -> Iterator[list[_Row]]:
    """The file's good rows, one per phone, `_BATCH` at a time as they are read; the others
    are reported in ``result``."""
    batch: list[_Row] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            stripped = [c.strip() for c in cells]
            if not any(stripped):
                continue
            result.rows += 1
            try:
                row = _parse_row(line, stripped, cols)
            except StationError as exc:
                result.errors.append(RowError(line, str(exc)))
                continue
            serial, imei = row.serial, row.imei
            # The serial's earlier line first, then the IMEI's.
            dup = seen.get(serial) if serial else None
            if dup is None and imei:
                dup = seen.get(imei)
            if dup is not None:
                result.errors.append(RowError(line, f"the same phone as line {dup}"))
                continue
            if serial:
                seen[serial] = line
            if imei:
                seen[imei] = line
            batch.append(row)
            if len(batch) == _BATCH:
                yield batch
                batch = []
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, f"unreadable CSV ({exc}); stopped here"))
    if batch:
        yield batch


def _import_text(ctx: StationContext, actor: audit.Actor, text: str, source: str) -> ImportResult:
    reader, cols, ignored = _reader(text, source)
    result = ImportResult(source=source[:255], ignored_columns=ignored)
    with ctx.session() as s:
        # Plain (id, number) pairs: an ORM attribute read per line adds up over 21,000 lines.
        customers = {
            c.org_number: (c.id, c.org_number)
            for c in s.exec(select(Customer)).all()
            if c.id is not None
        }
        # The chain's head is locked before the database gets work of its own, so the lines
        # can name their events; the session is not used again until that work is done.
        load = _Load(ctx, actor, audit.Chain(s, ctx.identity), customers, result)
        with bulk.Background(s) as db:
            load.run(db, _parse(reader, cols, result), _most_rows(text))
        audit.append(
            s,
            ctx.identity,
            actor,
            "intake.imported",
            {
                "source": result.source,
                "rows": result.rows,
                "loaded": len(result.loaded),
                "rejected": len(result.errors),
            },
        )
        # Phones already at the station (plugged in before the file came) match now.
        if result.loaded:
            waiting = s.exec(
                select(Device)
                .where(col(Device.intake_line_id).is_(None))
                .where(Device.state != DeviceState.HANDED_OVER.value)
            ).all()
            for dev in waiting:
                if match_device(s, ctx, actor, dev) is not None:
                    result.matched += 1
    result.errors.sort(key=lambda e: e.line)
    return result


def _most_rows(text: str) -> int:
    """No file holds more data rows than it has lines after its header (a quoted cell may
    hold a line break, never the other way round)."""
    return text.count("\n") + 1


class _Load:
    """Writing a file's good rows as a pipeline, `_BATCH` rows at a time: the database looks
    up one batch's earlier announcements while the next is parsed, then writes its lines and
    their events while the batches after it are parsed and built (docs/decisions.md,
    2026-12-08). Python and the database each had about a second of work for 20,000 lines,
    and done in turn they made an import of them miss its 2 s (issue 30).

    One bulk insert per batch and one chain for the file: an ORM flush and an audit append
    per line took 33 s for 21,000 lines (issue 19). Each line names the event that commits to
    its values and keeps their salt: the values are stored once, on the line, and not again
    behind the chain."""

    def __init__(
        self,
        ctx: StationContext,
        actor: audit.Actor,
        chain: audit.Chain,
        customers: dict[str, tuple[int, str]],
        result: ImportResult,
    ) -> None:
        self.actor, self.chain, self.customers, self.result = actor, chain, customers, result
        self.station = ctx.identity.station_id
        self.now = utcnow()
        self.ids: Iterator[int] = iter(())

    def run(self, db: bulk.Background, batches: Iterator[list[_Row]], most: int) -> None:
        by_serial = bulk.InQuery.compile(db.dialect, _open_lines_query("serial"))
        by_imei = bulk.InQuery.compile(db.dialect, _open_lines_query("imei"))
        before: tuple[list[_Row], list[Future[list[tuple[Any, ...]]]]] | None = None
        for batch in batches:
            if before is None:
                # Ids for as many lines as the file could hold, taken at once: a wait for the
                # database per batch would stall the pipeline. Rows refused leave their ids
                # unused (on PostgreSQL a gap in the sequence, as a rolled-back insert leaves).
                self.ids = iter(db.reserve_ids(IntakeLine, most))
            serials, imeis = _keys(batch)
            lookups = [db.select_in(by_serial, serials), db.select_in(by_imei, imeis)]
            if before is not None:
                self._write(db, *before)
            before = (batch, lookups)
        if before is not None:
            self._write(db, *before)

    def _write(
        self,
        db: bulk.Background,
        batch: list[_Row],
        lookups: list[Future[list[tuple[Any, ...]]]],
    ) -> None:
        """One batch: its rows refused (no such customer, announced before and still
        waiting) reported, the others' lines and events queued for writing."""
        result = self.result
        earlier_lines = _earliest(row for done in lookups for row in done.result())
        file_name = result.source
        salts = audit.new_salts(len(batch))
        lines: list[tuple[Any, ...]] = []
        pending: list[audit.Pending] = []
        first_seq = self.chain.next_seq
        for r, salt in zip(batch, salts, strict=True):
            cust = self.customers.get(r.org)
            if cust is None:
                result.errors.append(
                    RowError(r.line, f"no customer {r.org} (add it with `customers add`)")
                )
                continue
            if earlier_lines:  # most files announce only new phones: no look-ups then
                hits = [earlier_lines[k] for k in (r.serial, r.imei) if k in earlier_lines]
                if hits:
                    earlier = min(hits)
                    result.errors.append(
                        RowError(r.line, f"already announced ({earlier[1]} line {earlier[2]})")
                    )
                    continue
            cust_id, org = cust
            line_id = next(self.ids)
            result.loaded.append(line_id)
            personal: dict[str, str] = {}
            if r.name:
                personal["employee_name"] = r.name
            if r.phone:
                personal["employee_phone"] = r.phone
            if r.reason:
                personal["reason"] = r.reason
            kept = salt if personal else None
            lines.append(
                (
                    line_id,
                    cust_id,
                    r.serial,
                    r.imei,
                    r.name,
                    r.phone,
                    r.reason,
                    file_name,
                    r.line,
                    self.now,
                    self.station,
                    first_seq + len(pending),
                    kept,
                )
            )
            payload = {
                "intake_line": line_id,
                "customer": org,
                "serial": r.serial,
                "imei": r.imei,
                "source": file_name,
                "line": r.line,
            }
            pending.append(
                audit.Pending(
                    "intake.line", payload, personal=personal or None, owner=cust_id, salt=kept
                )
            )
        db.insert(IntakeLine, _LINE_COLUMNS, lines)
        self.chain.queue(self.actor, pending, db)


def match_device(
    session: Session, ctx: StationContext, actor: audit.Actor, device: Device
) -> IntakeLine | None:
    """Link ``device`` to the announced return with its serial or IMEI, if there is one."""
    if device.intake_line_id is not None:
        return None
    imeis = [i for i in (device.imei, device.imei2) if i]
    line = _open_line(session, device.serial, None)
    by = "serial"
    if line is None:
        for imei in imeis:
            line = _open_line(session, None, imei)
            if line is not None:
                by = "imei"
                break
    if line is None:
        return None
    device.intake_line_id = line.id
    device.customer_id = line.customer_id
    session.add(device)
    session.flush()
    audit.append(
        session,
        ctx.identity,
        actor,
        "intake.matched",
        {"intake_line": line.id, "by": by},
        device_id=device.id,
    )
    _resign(session, ctx, actor, device, "matched to a return list")
    return line


def _resign(
    session: Session, ctx: StationContext, actor: audit.Actor, device: Device, reason: str
) -> None:
    """A certified phone whose customer changed gets a certificate that says so; the old one
    is kept and marked superseded."""
    # Imported here: certificates (signing, payloads) are for the few phones already
    # certified, and importing them cost every `intake import` 30 ms.
    from wipe_station.certify import supersede_if_changed

    supersede_if_changed(ctx, session, device, actor, reason)


def find_device(session: Session, ident: str) -> Device:
    """The phone a technician or manager means by a serial or IMEI (typed or scanned)."""
    ident = ident.strip()
    if not ident:
        raise StationError("no serial or IMEI given")
    conds = [Device.serial == ident]
    digits = re.sub(r"[\s\-/]", "", ident)
    if digits.isdigit() and len(digits) in (14, 15, 16):
        conds += [Device.imei == digits[:15], Device.imei2 == digits[:15]]
    rows = session.exec(select(Device).where(or_(*conds)).order_by(col(Device.id).desc())).all()
    live = [d for d in rows if d.state != DeviceState.HANDED_OVER.value]
    if live:
        return live[0]
    if rows:
        return rows[0]
    raise StationError(f"no phone with serial or IMEI {ident!r} at this depot")


def assign(
    ctx: StationContext,
    actor: audit.Actor,
    ident: str,
    *,
    line_id: int | None = None,
    org: str | None = None,
) -> Device:
    """Assign an unmatched phone by hand: to an intake line, or only to a customer."""
    if (line_id is None) == (org is None):
        raise StationError("assign to either an intake line (--line) or a customer (--customer)")
    with ctx.session() as s:
        dev = find_device(s, ident)
        if dev.intake_line_id is not None:
            raise StationError(
                f"{dev.serial} is already matched to intake line {dev.intake_line_id}"
            )
        payload: dict[str, object] = {}
        if line_id is not None:
            line = s.get(IntakeLine, line_id)
            if line is None:
                raise StationError(f"no intake line {line_id}")
            taken = s.exec(select(Device).where(Device.intake_line_id == line_id)).first()
            if taken is not None:
                raise StationError(f"intake line {line_id} is already matched to {taken.serial}")
            dev.intake_line_id, dev.customer_id = line.id, line.customer_id
            payload["intake_line"] = line.id
        else:
            number = normalise_org_number(org or "")
            cust = s.exec(select(Customer).where(Customer.org_number == number)).first()
            if cust is None:
                raise StationError(f"no customer {number}")
            dev.customer_id = cust.id
            payload["customer"] = number
        s.add(dev)
        s.flush()
        audit.append(s, ctx.identity, actor, "intake.assigned", payload, device_id=dev.id)
        _resign(s, ctx, actor, dev, "assigned by hand")
        return dev


@dataclass(frozen=True)
class LineView:
    id: int
    customer: str
    serial: str | None
    imei: str | None
    employee_name: str | None
    employee_phone: str | None
    reason: str | None
    source: str
    line_no: int
    device_serial: str | None  # the phone matched to it, if any


def _lines(unmatched_only: bool) -> Any:
    stmt = select(IntakeLine.id)
    return stmt.where(_is_open()) if unmatched_only else stmt


def count_lines(ctx: StationContext, *, unmatched_only: bool = False) -> int:
    with ctx.session() as s:
        sub = _lines(unmatched_only).subquery()
        return int(s.execute(select(func.count()).select_from(sub)).scalar_one())


def list_lines(
    ctx: StationContext, *, unmatched_only: bool = False, newest: int | None = None
) -> list[LineView]:
    """Intake lines oldest first, or with ``newest`` the newest that many, newest first; each
    with its customer and matched phone from the same query (not every phone and customer
    loaded beside them)."""
    with ctx.session() as s:
        stmt = (
            select(
                IntakeLine.id,
                func.coalesce(Customer.org_number, "?"),
                IntakeLine.serial,
                IntakeLine.imei,
                IntakeLine.employee_name,
                IntakeLine.employee_phone,
                IntakeLine.reason,
                IntakeLine.source_file,
                IntakeLine.line_no,
                Device.serial,
            )
            .outerjoin(Customer, col(Customer.id) == IntakeLine.customer_id)
            .outerjoin(Device, col(Device.intake_line_id) == IntakeLine.id)
            .where(col(IntakeLine.id).in_(_lines(unmatched_only)))
        )
        if newest is None:
            stmt = stmt.order_by(col(IntakeLine.id))
        else:
            stmt = stmt.order_by(col(IntakeLine.id).desc()).limit(newest)
        return [LineView(*row) for row in s.execute(stmt)]


def unmatched_devices(ctx: StationContext) -> list[Device]:
    """Phones at the station that no intake line announced and nobody assigned to a customer:
    the UI flags them."""
    with ctx.session() as s:
        return list(
            s.exec(
                select(Device)
                .where(col(Device.intake_line_id).is_(None))
                .where(col(Device.customer_id).is_(None))
                .where(Device.state != DeviceState.HANDED_OVER.value)
                .order_by(col(Device.id))
            ).all()
        )
