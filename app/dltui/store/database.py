"""Opening the database: SQLite in WAL mode, busy timeout, foreign keys, ordered migrations.

Writes take the lock up front (``BEGIN IMMEDIATE``) so two processes writing at once wait on
the busy timeout instead of failing with "database is locked" when a read upgrades to a write.
The schema version lives in ``PRAGMA user_version``. A new database gets the current schema in
one step; an older one runs each later migration in order, after a backup copy is taken.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

from dltui.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

BUSY_TIMEOUT_MS = 30_000

# A migration takes a sqlite3 connection (inside a transaction) and moves the schema one version up.
Migration = Callable[[sqlite3.Connection], None]


# Upgrades (to_version, migration) in order, starting at 2: version 1 is the first released
# schema. Append; never edit a released entry. A fresh database is created from the current models
# and stamped with the last version, so these only ever run on older files.
MIGRATIONS: list[tuple[int, Migration]] = []
INITIAL_VERSION = 1


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says why and what to do."""


def latest_version(migrations: list[tuple[int, Migration]] = MIGRATIONS) -> int:
    return migrations[-1][0] if migrations else INITIAL_VERSION


def make_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Store:
    """One database file: an engine plus the sessions the domain code works in."""

    def __init__(self, path: Path, migrations: list[tuple[int, Migration]] = MIGRATIONS):
        self.path = Path(path)
        self.backup_path = migrate(self.path, migrations)
        self.engine = make_engine(self.path)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def schema_version(self) -> int:
        with sqlite3.connect(self.path) as connection:
            return connection.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.engine.dispose()


def migrate(path: Path, migrations: list[tuple[int, Migration]] = MIGRATIONS) -> Path | None:
    """Bring the file at ``path`` to the latest schema; return the backup taken, if any."""
    target = latest_version(migrations)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as err:
            raise DatabaseError(f"{path} is not a dltui database ({err}); move it away or pass --db") from None
        if version > target:
            raise DatabaseError(
                f"{path} has schema version {version}, newer than this dltui understands ({target}); upgrade dltui"
            )
        if version == target:
            return None
        has_tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        if version == 0 and has_tables:
            raise DatabaseError(f"{path} holds tables but no dltui schema version; pass --db to use another file")
        if version == 0:
            engine = make_engine(path)
            SQLModel.metadata.create_all(engine)
            engine.dispose()
            connection.execute(f"PRAGMA user_version={target}")
            return None
        backup = _backup(connection, path, version)
        for number, step in migrations:
            if number <= version:
                continue
            connection.execute("BEGIN IMMEDIATE")
            try:
                step(connection)
                connection.execute(f"PRAGMA user_version={number}")
                connection.execute("COMMIT")
            except Exception as err:
                connection.execute("ROLLBACK")
                raise DatabaseError(f"migration to version {number} failed ({err}); your data is in {backup}") from err
        return backup
    finally:
        connection.close()


def _backup(connection: sqlite3.Connection, path: Path, version: int) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup_path = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    with sqlite3.connect(backup_path) as target:
        connection.backup(target)
    target.close()
    return backup_path
