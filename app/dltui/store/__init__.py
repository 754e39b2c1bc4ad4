"""Persistence: SQLModel tables over one SQLite file (WAL), with migrations."""

from dltui.store.database import DatabaseError, Store, migrate, prepare_orm
from dltui.store.types import utcnow

__all__ = ["DatabaseError", "Store", "migrate", "prepare_orm", "utcnow"]
