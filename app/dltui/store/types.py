"""Column types that keep SQLite honest: UTC-aware datetimes and JSON values."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import Text, TypeDecorator


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
