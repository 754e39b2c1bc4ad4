"""The store on a real SQLite file: migrations, UTC datetimes, concurrent writers."""

import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest
from dltui.store import DatabaseError, Store
from dltui.store.database import latest_version
from dltui.store.models import Assessment, AssessmentLevel, KnowledgeGap
from sqlmodel import select


def test_fresh_database_is_created_with_pragmas_and_version(tmp_path):
    path = tmp_path / "sub" / "tutor.db"
    store = Store(path)
    assert path.exists()
    assert store.schema_version() == latest_version()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    store.close()


def test_migration_from_older_version_keeps_data_and_leaves_backup(tmp_path):
    path = tmp_path / "tutor.db"
    old = Store(path, migrations=[])  # version 1
    with old.session() as session:
        session.add(Assessment(topic_id="backpropagation", level=AssessmentLevel.PARTIAL, evidence="kept"))
    old.close()

    def add_hint_column(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE assessment ADD COLUMN hint_count INTEGER NOT NULL DEFAULT 0")

    migrated = Store(path, migrations=[(2, add_hint_column)])
    assert migrated.schema_version() == 2
    assert migrated.backup_path is not None and migrated.backup_path.exists()
    with sqlite3.connect(migrated.path) as connection:
        rows = connection.execute("SELECT topic_id, evidence, hint_count FROM assessment").fetchall()
    assert rows == [("backpropagation", "kept", 0)]
    with sqlite3.connect(migrated.backup_path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        assert connection.execute("SELECT evidence FROM assessment").fetchall() == [("kept",)]
    migrated.close()
    # Opening again at the same version takes no second backup.
    assert Store(path, migrations=[(2, add_hint_column)]).backup_path is None


def test_failed_migration_rolls_back_and_names_the_backup(tmp_path):
    path = tmp_path / "tutor.db"
    Store(path, migrations=[]).close()  # version 1

    def broken(connection):
        connection.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")

    with pytest.raises(DatabaseError, match="migration to version 2 failed.*bak"):
        Store(path, migrations=[(2, broken)])
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1


def test_newer_or_foreign_database_is_refused_with_a_clear_message(tmp_path):
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("PRAGMA user_version=99")
    with pytest.raises(DatabaseError, match="newer than this dltui"):
        Store(newer)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(DatabaseError, match="no dltui schema version"):
        Store(foreign)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a dltui database"):
        Store(garbage)


def test_datetimes_round_trip_as_utc_aware(tmp_path):
    store = Store(tmp_path / "tutor.db")
    india = timezone(timedelta(hours=5, minutes=30))
    moment = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=india)
    with store.session() as session:
        session.add(KnowledgeGap(topic_id="rnn", description="BPTT", created_at=moment, resolved_at=moment))
    with store.session() as session:
        gap = session.exec(select(KnowledgeGap)).one()
    assert gap.created_at == moment
    assert gap.created_at.tzinfo is timezone.utc  # exactly timezone.utc: fsrs rejects anything else
    assert gap.resolved_at.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive datetime"):
        with store.session() as session:
            session.add(KnowledgeGap(topic_id="rnn", description="x", created_at=datetime(2026, 1, 1)))
    store.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sqlmodel import select, func
    from dltui.store import Store
    from dltui.store.models import Assessment, AssessmentLevel

    store = Store(Path(sys.argv[1]))
    for i in range(150):
        with store.session() as session:
            # read, then write in the same transaction: the pattern that deadlocks without BEGIN IMMEDIATE
            count = session.exec(select(func.count()).select_from(Assessment)).one()
            session.add(Assessment(topic_id=sys.argv[2], level=AssessmentLevel.STRONG, evidence=str(count)))
    print("done")
    """
)


def test_two_processes_writing_at_once_do_not_fail(tmp_path):
    path = tmp_path / "tutor.db"
    Store(path).close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("first", "second")
    ]
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, results):
        assert writer.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "done"
    with sqlite3.connect(path) as connection:
        counts = dict(connection.execute("SELECT topic_id, count(*) FROM assessment GROUP BY topic_id").fetchall())
    assert counts == {"first": 150, "second": 150}


def test_a_read_takes_no_lock_and_never_waits_for_a_writer_in_another_process(tmp_path):
    """The Labs pane reads the runs every second: a learner's `dltui review` writing in another
    process must neither block it nor be blocked by it."""
    import subprocess
    import sys
    import threading

    from dltui.labs import records
    from dltui.store import Store
    from dltui.store.models import LabRun

    store = Store(tmp_path / "tutor.db")
    records.add_run(store, LabRun(id="run-1", lab_id="numpy-xor"))
    holder = subprocess.Popen(  # another process holds the write lock until told to stop
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(store.path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE'); c.execute(\"UPDATE labrun SET status='ok'\")\n"
            "print('locked', flush=True); sys.stdin.readline(); c.execute('COMMIT')",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        seen: list = []
        reader = threading.Thread(target=lambda: seen.append(records.recent_runs(store)), daemon=True)
        reader.start()
        reader.join(timeout=5)  # a read that began with BEGIN IMMEDIATE would wait the 30 s busy timeout
        assert not reader.is_alive() and [run.id for run in seen[0]] == ["run-1"]
        assert seen[0][0].status.value == "running"  # it sees the last committed state, and no lock was taken
    finally:
        holder.communicate("\n", timeout=10)
    assert holder.returncode == 0  # the writer committed: the read held nothing it waited for
    store.close()


def test_version_4_gives_the_review_queue_its_covering_index_and_the_queue_uses_it(tmp_path):
    import sqlite3

    from dltui.srs.queue import _active
    from dltui.store import Store
    from dltui.store.database import latest_version
    from dltui.store.models import CardState
    from sqlalchemy.dialects import sqlite as sqlite_dialect
    from sqlmodel import select

    def index_sql(db):
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_cardstate_review_order'").fetchone()

    fresh, older = tmp_path / "fresh.db", tmp_path / "older.db"
    Store(fresh).close()
    Store(older).close()
    with sqlite3.connect(older) as connection:  # as a version-3 file: no such index
        connection.execute("DROP INDEX ix_cardstate_review_order")
        connection.execute("PRAGMA user_version=3")
    store = Store(older)
    assert store.schema_version() == latest_version() >= 4
    assert index_sql(older) is not None and index_sql(older) == index_sql(fresh)
    store.close()
    # The queue's filters are literal (retired = 0 AND suspended = 0), so SQLite can use the partial index.
    query = _active(select(CardState.id)).where(CardState.state == 2).order_by(CardState.due)
    sql = str(query.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(older) as connection:
        plan = " ".join(row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + sql))
    assert "ix_cardstate_review_order" in plan, plan


def test_version_5_drops_the_unused_learner_table_and_keeps_every_other_row(tmp_path):
    """The `learner` table was never read or written: a new database has none, an older one loses
    it on upgrade, with the same schema as a new one afterwards."""
    import sqlite3

    from dltui.store import Store
    from dltui.store.database import latest_version

    def schema(db):
        with sqlite3.connect(db) as connection:
            return sorted(connection.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))

    fresh, older = tmp_path / "fresh.db", tmp_path / "older.db"
    Store(fresh).close()
    Store(older).close()
    assert "learner" not in {name for _, name, _ in schema(fresh)}
    with sqlite3.connect(older) as connection:  # as a version-4 file, with its learner row
        connection.execute(
            "CREATE TABLE learner (id INTEGER NOT NULL, name VARCHAR NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (id))"
        )
        connection.execute("INSERT INTO learner (name, created_at) VALUES ('learner', '2026-01-01 00:00:00.000000')")
        connection.execute("INSERT INTO topicprogress (topic_id) VALUES ('calculus')")
        connection.execute("PRAGMA user_version=4")
    store = Store(older)
    assert store.schema_version() == latest_version() >= 5
    store.close()
    assert schema(older) == schema(fresh)
    with sqlite3.connect(older) as connection:
        assert connection.execute("SELECT topic_id FROM topicprogress").fetchall() == [("calculus",)]


# The labrun table as version 5 made it: an exercise run was the lab id with ":exercise" appended.
LABRUN_VERSION_5 = (
    "CREATE TABLE labrun (id VARCHAR NOT NULL, lab_id VARCHAR NOT NULL, params TEXT NOT NULL, status VARCHAR(9) NOT NULL,"
    " pid INTEGER, run_dir VARCHAR NOT NULL, device VARCHAR, group_id VARCHAR, started_at DATETIME NOT NULL,"
    " ended_at DATETIME, final_metrics TEXT NOT NULL, passed BOOLEAN, session_id INTEGER, PRIMARY KEY (id),"
    " FOREIGN KEY(session_id) REFERENCES studysession (id))"
)


def test_version_6_says_what_kind_of_run_each_run_is_instead_of_a_suffix_on_its_lab_id(tmp_path):
    """An exercise run of a version-5 file upgrades to kind "exercise" with its lab's plain id; the
    other runs are of kind "run"; the schema is a new database's, and no row is lost."""
    from dltui.store.models import LabRun, Prediction, RunKind

    def schema(db):
        with sqlite3.connect(db) as connection:
            return sorted(connection.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))

    fresh, older = tmp_path / "fresh.db", tmp_path / "older.db"
    Store(fresh).close()
    Store(older).close()
    with sqlite3.connect(older) as connection:  # as a version-5 file, with a run, a grader run and a prediction
        connection.execute("DROP TABLE labrun")
        connection.execute(LABRUN_VERSION_5)
        connection.execute("CREATE INDEX ix_labrun_lab_id ON labrun (lab_id)")
        for run_id, lab_id, passed in (("adder-1", "adder", 0), ("adder-exercise-1", "adder:exercise", 1)):
            connection.execute(
                "INSERT INTO labrun (id, lab_id, params, status, run_dir, started_at, final_metrics, passed)"
                " VALUES (?, ?, '{}', 'OK', '/runs', '2026-01-01 00:00:00.000000', '{\"passed\": true}', ?)",
                (run_id, lab_id, passed),
            )
        connection.execute("INSERT INTO prediction (run_id, lab_id, created_at) VALUES ('adder-1', 'adder', '2026-01-01 00:00:00.000000')")
        connection.execute("PRAGMA user_version=5")
    store = Store(older)
    assert store.schema_version() == latest_version() >= 6
    with store.read() as session:
        runs = {run.id: run for run in session.exec(select(LabRun))}
        assert session.exec(select(Prediction.run_id)).all() == ["adder-1"]
    store.close()
    assert {run_id: (run.lab_id, run.kind) for run_id, run in runs.items()} == {
        "adder-1": ("adder", RunKind.RUN),
        "adder-exercise-1": ("adder", RunKind.EXERCISE),
    }
    assert runs["adder-exercise-1"].passed is True and runs["adder-exercise-1"].final_metrics == {"passed": True}
    assert schema(older) == schema(fresh)
    with sqlite3.connect(older) as connection:
        assert connection.execute("SELECT kind FROM labrun ORDER BY id").fetchall() == [("run",), ("exercise",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_review_logs_mode_is_an_enum_stored_as_the_same_text_as_before(tmp_path):
    from dltui.store.models import CardState, ReviewLog, ReviewMode

    store = Store(tmp_path / "t.db")
    with store.session() as session:
        card = CardState(card_key="calculus/chain-rule", topic_id="calculus")
        session.add(card)
        session.flush()
        session.add(ReviewLog(card_id=card.id, rating=3, reviewed_at=datetime.now(timezone.utc)))
        session.add(ReviewLog(card_id=card.id, rating=1, reviewed_at=datetime.now(timezone.utc), mode=ReviewMode.QUIZ))
    with store.read() as session:
        assert [log.mode for log in session.exec(select(ReviewLog).order_by(ReviewLog.id))] == [ReviewMode.REVIEW, ReviewMode.QUIZ]
        assert session.exec(select(ReviewLog.id).where(ReviewLog.mode == ReviewMode.QUIZ)).all() == [2]
    store.close()
    with sqlite3.connect(tmp_path / "t.db") as connection:
        assert connection.execute("SELECT mode FROM reviewlog ORDER BY id").fetchall() == [("review",), ("quiz",)]
