"""One documented length per text field, enforced the same on SQLite and PostgreSQL.

The length is the one in ``db/models.py`` (``Field(max_length=…)``, a VARCHAR(n) on
PostgreSQL). SQLite would store 10,000 characters where PostgreSQL raises
StringDataRightTruncation at n+1, and a NUL character PostgreSQL refuses outright; checking
every row before it is flushed makes both behave alike, with a message that names the field
instead of a driver error. Values from phones are
clipped to the length before they get here (``clip``); values people type are refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Session

from wipe_station.errors import StationError

ELLIPSIS = "…"


class TooLong(StationError):
    """A text value longer than its field allows, or holding NUL (which PostgreSQL refuses)."""


def max_length(model: type[Any], field: str) -> int | None:
    column = model.__table__.columns[field]  # type: ignore[attr-defined]
    return _length(column.type)


def _length(type_: Any) -> int | None:
    # sqlmodel's AutoString is a TypeDecorator over String, not a String subclass.
    impl = getattr(type_, "impl", type_)
    return getattr(impl, "length", None) if isinstance(impl, String) else None


def clip(model: type[Any], field: str, value: str | None) -> str | None:
    """``value`` shortened to the field's length, its last character an ellipsis when cut
    (for descriptions a phone gives of itself: a model name is not worth failing a phone)."""
    if value is None:
        return value
    # PostgreSQL refuses NUL in text (SQLite keeps it): shown as the replacement character.
    value = value.replace("\x00", "\ufffd")
    limit = max_length(model, field)
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 1] + ELLIPSIS


def check(obj: Any) -> None:
    """Raise TooLong if any text column of ``obj`` holds more than its length."""
    table = getattr(obj, "__table__", None)
    if table is None:
        return
    for column in table.columns:
        limit = _length(column.type)
        if limit is None:
            continue
        value = getattr(obj, column.key, None)
        if isinstance(value, str) and "\x00" in value:
            raise TooLong(f"{table.name}.{column.key} may not hold a NUL character")
        if isinstance(value, str) and len(value) > limit:
            raise TooLong(
                f"{table.name}.{column.key} is at most {limit} characters "
                f"(this value has {len(value)})"
            )


def before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        check(obj)
