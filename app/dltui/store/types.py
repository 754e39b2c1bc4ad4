"""Column types that keep SQLite honest: UTC-aware datetimes, JSON values and enums kept as their text."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from enum import StrEnum
from typing import Protocol

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import String, Text, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones); always returned aware in ``timezone.utc``.

    fsrs rejects naive datetimes and any tzinfo other than ``timezone.utc``, so every datetime
    that leaves the store is normalised here, in one place.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(timezone.utc)")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class JSONText(TypeDecorator[object]):
    """A JSON document in a TEXT column (dicts and lists of plain values)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> object:
        return None if value is None else json.loads(value)


class EnumText(TypeDecorator[StrEnum]):
    """A StrEnum in a VARCHAR column as its value ("quiz"): what the column held as plain text
    before it was an enum, so older rows read back as members and the schema stays the same."""

    impl = String
    cache_ok = True

    def __init__(self, enum_type: type[StrEnum]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_type(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_type(value)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def row_id(row: _Row) -> int:
    """The id of a row that is in the database (read, or added and flushed): SQLite has set it.

    The models declare ``id: Optional[int]`` because a new row has none until it is flushed.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed to the database")
    return row.id
