"""The schema's upgrades, one function per version (registered, in order, in `store.database`).

Each takes a sqlite3 connection inside the migration's transaction. They add what is missing
rather than assume it is absent: a file created by a development build may already have it.
"""

from __future__ import annotations

import sqlite3

# Tables whose rows belong to a study session, with the moment each row happened.
SESSION_EVENTS = {
    "message": "created_at",
    "reviewlog": "reviewed_at",
    "assessment": "created_at",
    "knowledgegap": "created_at",
    "labrun": "started_at",
}


def _add_column(connection: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    if column not in present:
        connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def link_events_to_sessions(connection: sqlite3.Connection) -> None:
    """Version 2: every event names its study session, and sessions know when they were last used.

    Rows written before this version are filed under the session whose time window holds them
    (the only evidence there is); from now on each event is stamped with its session when written.
    """
    session_ref = "INTEGER REFERENCES studysession (id)"
    _add_column(connection, "message", "session_id", session_ref)
    _add_column(connection, "knowledgegap", "resolved_session_id", session_ref)
    _add_column(connection, "studysession", "last_seen_at", "DATETIME")
    _add_column(connection, "studysession", "runs_running_in_notes", "INTEGER NOT NULL DEFAULT 0")
    for table, moment in SESSION_EVENTS.items():
        _add_column(connection, table, "session_id", session_ref)
        connection.execute(
            f"""UPDATE {table} SET session_id = (
                    SELECT s.id FROM studysession s
                    WHERE s.started_at <= {table}.{moment} AND (s.ended_at IS NULL OR {table}.{moment} <= s.ended_at)
                    ORDER BY s.started_at DESC LIMIT 1)
                WHERE session_id IS NULL"""
        )
    connection.execute(
        """UPDATE knowledgegap SET resolved_session_id = (
               SELECT s.id FROM studysession s
               WHERE s.started_at <= knowledgegap.resolved_at
                 AND (s.ended_at IS NULL OR knowledgegap.resolved_at <= s.ended_at)
               ORDER BY s.started_at DESC LIMIT 1)
           WHERE resolved_at IS NOT NULL AND resolved_session_id IS NULL"""
    )
    connection.execute("UPDATE studysession SET last_seen_at = coalesce(ended_at, started_at) WHERE last_seen_at IS NULL")


def add_predictions(connection: sqlite3.Connection) -> None:
    """Version 3: the learner's predictions of lab runs (`Prediction`, see labs.prediction)."""
    connection.execute(
        """CREATE TABLE IF NOT EXISTS prediction (
            id INTEGER NOT NULL,
            run_id VARCHAR NOT NULL,
            lab_id VARCHAR NOT NULL,
            shape VARCHAR,
            metric VARCHAR,
            value FLOAT,
            tolerance FLOAT,
            created_at DATETIME NOT NULL,
            session_id INTEGER,
            scored_at DATETIME,
            shape_right BOOLEAN,
            value_right BOOLEAN,
            actual_shape VARCHAR,
            actual_value FLOAT,
            outcome VARCHAR,
            PRIMARY KEY (id),
            FOREIGN KEY(run_id) REFERENCES labrun (id),
            FOREIGN KEY(session_id) REFERENCES studysession (id)
        )"""
    )
    connection.execute("CREATE UNIQUE INDEX IF NOT EXISTS ix_prediction_run_id ON prediction (run_id)")


# Today's review order in one index walk: the queue filters active review cards by state and due
# and orders them by days elapsed / stability (`srs.queue`), and the counts do the same filters.
# Partial on the two flags every queue query has, covering the columns it reads.
REVIEW_ORDER_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_cardstate_review_order "
    "ON cardstate (state, due, stability, last_review, buried_until) WHERE retired = 0 AND suspended = 0"
)


def add_review_order_index(connection: sqlite3.Connection) -> None:
    """Version 4: the queue's covering index (100k cards: next card 23 -> 7.5 ms, counts 41 -> 11.5 ms)."""
    connection.execute(REVIEW_ORDER_INDEX)


def drop_learner(connection: sqlite3.Connection) -> None:
    """Version 5: the `learner` table goes; nothing ever read or wrote it (one learner per file)."""
    connection.execute("DROP TABLE IF EXISTS learner")


# The labrun table of version 6 as a new database makes it (from store.models), character for character.
LABRUN_VERSION_6 = (
    "CREATE TABLE labrun (\n\t"
    + ", \n\t".join(
        (
            "id VARCHAR NOT NULL",
            "lab_id VARCHAR NOT NULL",
            "kind VARCHAR NOT NULL",
            "params TEXT NOT NULL",
            "status VARCHAR(9) NOT NULL",
            "pid INTEGER",
            "run_dir VARCHAR NOT NULL",
            "device VARCHAR",
            "group_id VARCHAR",
            "started_at DATETIME NOT NULL",
            "ended_at DATETIME",
            "final_metrics TEXT NOT NULL",
            "passed BOOLEAN",
            "session_id INTEGER",
            "PRIMARY KEY (id)",
            "FOREIGN KEY(session_id) REFERENCES studysession (id)",
        )
    )
    + "\n)"
)
EXERCISE_SUFFIX = ":exercise"  # how versions up to 5 marked a grader run: "<lab id>:exercise"


def add_run_kind(connection: sqlite3.Connection) -> None:
    """Version 6: a run says what it ran (`labrun.kind`: run | exercise) and its lab id is the lab's own.

    The table is rebuilt rather than given a column at its end, so that it reads exactly as a new
    database's; the rows keep their ids, so predictions still point at their runs (the migration's
    connection has foreign keys off, as SQLite's guide to such a rebuild asks).
    """
    present = [row[1] for row in connection.execute("PRAGMA table_info(labrun)")]
    if "kind" not in present:
        columns = ", ".join(present)
        connection.execute("CREATE TEMP TABLE labrun_version_5 AS SELECT * FROM labrun")
        connection.execute("DROP TABLE labrun")
        connection.execute(LABRUN_VERSION_6)
        connection.execute("CREATE INDEX ix_labrun_lab_id ON labrun (lab_id)")
        connection.execute(f"INSERT INTO labrun ({columns}, kind) SELECT {columns}, 'run' FROM labrun_version_5")
        connection.execute("DROP TABLE labrun_version_5")
    connection.execute(
        "UPDATE labrun SET kind = 'exercise', lab_id = substr(lab_id, 1, length(lab_id) - ?) WHERE substr(lab_id, -?) = ?",
        (len(EXERCISE_SUFFIX), len(EXERCISE_SUFFIX), EXERCISE_SUFFIX),
    )
