"""Opening the database: SQLite in WAL mode, busy timeout, foreign keys, ordered migrations.

Writes take the lock up front (``BEGIN IMMEDIATE``) so two processes writing at once wait on
the busy timeout instead of failing with "database is locked" when a read upgrades to a write.
The schema version lives in ``PRAGMA user_version``. A new database gets the current schema in
one step; an older one runs each later migration in order, after a backup copy is taken.

Nothing is changed before the file has passed every check (writable, SQLite, ours, not newer,
``PRAGMA quick_check``), and a write the disk refuses becomes `DatabaseWriteError`, one sentence
the learner can act on, with the transaction rolled back.
"""

from __future__ import annotations

import math
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel, create_engine

from dltui.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from dltui.store.backup_files import latest_backup
from dltui.store.migrations import add_predictions, add_review_order_index, add_run_kind, drop_learner, link_events_to_sessions

BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"

# A migration takes a sqlite3 connection (inside a transaction) and moves the schema one version up.
Migration = Callable[[sqlite3.Connection], None]


# Upgrades (to_version, migration) in order, starting at 2: version 1 is the first released
# schema. Append; never edit a released entry. A fresh database is created from the current models
# and stamped with the last version, so these only ever run on older files.
MIGRATIONS: list[tuple[int, Migration]] = [
    (2, link_events_to_sessions),
    (3, add_predictions),
    (4, add_review_order_index),
    (5, drop_learner),
    (6, add_run_kind),
]
INITIAL_VERSION = 1


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says why and what to do."""


class DatabaseWriteError(DatabaseError):
    """One write failed (disk full, I/O error) and was rolled back; the app can go on."""


def latest_version(migrations: list[tuple[int, Migration]] = MIGRATIONS) -> int:
    return migrations[-1][0] if migrations else INITIAL_VERSION


READ_ONLY = "dltui_read_only"  # the execution option Store.read's connections carry


def make_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        _ensure_pow(dbapi_connection)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A read (Store.read) begins deferred: in WAL mode it never waits for a writer, and it
        # takes no lock another process would wait for.
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def _ensure_pow(dbapi_connection: sqlite3.Connection) -> None:
    """SQLite's pow() (srs.mastery sums the forgetting curve in SQL) is an optional build
    feature; where the system's SQLite lacks it, Python's stands in."""
    try:
        dbapi_connection.execute("SELECT pow(2, 2)")
    except sqlite3.OperationalError:
        dbapi_connection.create_function("pow", 2, math.pow, deterministic=True)


def prepare_orm() -> None:
    """Set up the ORM's mappers now (what the first query would do, ~50 ms), e.g. in a loading thread."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


class Store:
    """One database file: an engine plus the sessions the domain code works in.

    `session()` is a unit of work that may write (it takes the write lock when it begins);
    `read()` only reads (deferred: no lock, never waits for a writer); nothing it adds is saved.
    """

    def __init__(self, path: Path, migrations: list[tuple[int, Migration]] = MIGRATIONS):
        self.path = Path(path)
        self.backup_path = migrate(self.path, migrations)
        self.engine = make_engine(self.path)
        self._read_engine = self.engine.execution_options(**{READ_ONLY: True})

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only look at the database (what a screen refresh or a report needs)."""
        # Closing (not rolling back) ends the transaction and keeps what was loaded readable;
        # anything added to a read session is simply dropped.
        with Session(self._read_engine, expire_on_commit=False, autoflush=False) as session:
            yield session

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except OperationalError as err:
                session.rollback()
                failure = write_failure(self.path, err)
                if failure is None:
                    raise
                raise failure from err
            except BaseException:
                session.rollback()
                raise

    def schema_version(self) -> int:
        with sqlite3.connect(self.path) as connection:
            version: int = connection.execute("PRAGMA user_version").fetchone()[0]
            return version

    def close(self) -> None:
        self.engine.dispose()


def migrate(path: Path, migrations: list[tuple[int, Migration]] = MIGRATIONS) -> Path | None:
    """Bring the file at ``path`` to the latest schema; return the backup taken, if any.

    Everything that can refuse the file (folder or file read-only, not SQLite, another program's
    database, a newer schema, a damaged page) is checked first, through a read-only connection,
    so that a refused file is left exactly as it was.
    """
    target = latest_version(migrations)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatabaseError(f"cannot create the folder {path.parent} ({err.strerror}); pass --db with a writable place") from None
    check_writable(path)
    if path.exists() and path.stat().st_size > 0:
        version = inspect(path, target)
        if version == target:
            return None
    else:
        version = 0
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode=WAL")
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


def check_writable(path: Path) -> None:
    """DatabaseError saying what is read-only: SQLite needs the file and its folder (-wal, -shm)."""
    folder = path.parent
    if not os.access(folder, os.W_OK):
        raise DatabaseError(
            f"{folder} is {_read_only_kind(folder)}: dltui keeps its database and its journal (-wal, -shm) there "
            f"and cannot write. Make it writable (chmod u+w {folder}) or pass --db with a file in a writable folder"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseError(
            f"{path} is read-only: dltui needs to write to it. Make it writable (chmod u+w {path}) or pass --db with a copy you can write"
        )


def _read_only_kind(path: Path) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "on a read-only filesystem"
    except OSError:
        pass
    return "read-only"


def inspect(path: Path, target: int) -> int:
    """The schema version of a dltui database at ``path``; DatabaseError for anything else.

    Read-only: a file refused here is not touched (a read-write open would switch it to WAL).
    """
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_HEADER:
            raise DatabaseError(f"{path} is not a dltui database (not an SQLite file); move it away or pass --db")
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as err:
        raise DatabaseError(f"{path} cannot be opened ({err}); check the file, or pass --db") from None
    try:
        version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > target:
            raise DatabaseError(f"{path} has schema version {version}, newer than this dltui understands ({target}); upgrade dltui")
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        if version == 0 and tables:
            raise DatabaseError(f"{path} holds tables but no dltui schema version; pass --db to use another file")
        problems = [row[0] for row in connection.execute("PRAGMA quick_check(3)")]
    except sqlite3.DatabaseError as err:
        raise DatabaseError(_damaged(path, str(err))) from None
    finally:
        connection.close()
    if problems != ["ok"]:
        raise DatabaseError(_damaged(path, problems[0]))
    return version


def _damaged(path: Path, problem: str) -> str:
    backup = latest_backup(path)
    where = (
        f"restore your latest backup with `dltui restore {backup}`"
        if backup
        else f"no backup was found; move it away to start afresh (sqlite3 {path} .recover may save some of it)"
    )
    problem = " ".join(problem.replace("*** in database main ***", "").split())  # one line
    return f"{path} is damaged (integrity check: {problem[:120]}); {where}"


def write_failure(path: Path, err: Exception) -> "DatabaseWriteError | None":
    """The learner's words for a write the disk refused, or None when ``err`` is something else."""
    detail = str(getattr(err, "orig", err))
    text = detail.lower()
    if "disk is full" in text:
        why, fix = f"the disk holding {path.name} is full", "Free some space, then try again"
    elif "readonly" in text:
        why, fix = f"{path} has become read-only", f"Make it writable (chmod u+w {path}), then try again"
    elif "disk i/o error" in text:
        why = f"the disk reported an error writing {path.name} (it may be full)"
        fix = "Free some space or check the disk, then try again"
    else:
        return None
    return DatabaseWriteError(f"This was not saved: {why} ({detail}). {fix}")


def _backup(connection: sqlite3.Connection, path: Path, version: int) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup_path = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    with sqlite3.connect(backup_path) as target:
        connection.backup(target)
    target.close()
    return backup_path
