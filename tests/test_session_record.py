"""The learner's record of a study session: one session across restarts and a second process,
every event filed under it, and notes that say exactly what happened.

A mixed session, as a learner has it: the app (offline chat with an opener, a right answer, a
wrong answer, a hint request, a question and Ctrl+R; a lab run started), the app closed and
started again while the run goes on, ten reviews, four of them from `dltui review`-like second
process answering at the same time. Then the notes are read line by line.
"""

import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

from dltui.labs.open import open_runner
from dltui.notes.sessions import begin_session, close_session
from dltui.srs import record_answer, sync_cards
from dltui.srs.days import StudyClock
from dltui.store import Store
from dltui.store.database import latest_version
from dltui.store.models import Assessment, CardState, LabRun, Message, ReviewLog, RunStatus, StudySession
from dltui.store.types import utcnow
from dltui.ui.app import DltuiApp
from fsrs import Rating
from journeys.conftest import type_text, wait_until
from sqlmodel import select

QUESTION = "Why is the bias broadcast over the batch?"
OPENER = "the inner dimensions must match"
RIGHT = "W is 300 by 10 and b is 10 broadcast and the output is 64 by 10"
WRONG = "because of the learning rate"
SECOND_TRY = "the weights are shared by every example in the batch and the batch only adds rows to X and to the output"

SECOND_PROCESS = textwrap.dedent(
    """
    import sys, time
    from fsrs import Rating
    from dltui.context import StudyContext
    from dltui.notes.sessions import begin_session, close_session
    from dltui.srs import record_answer

    context = StudyContext.open(sys.argv[1])
    begin_session(context, "review")
    for card_id in map(int, sys.argv[2:]):
        record_answer(context, card_id, Rating.Good)
        time.sleep(0.3)
    close_session(context)
    context.close()
    """
)


def cards_of(context, topic_id):
    with context.store.session() as session:
        return [c.id for c in session.exec(select(CardState).where(CardState.topic_id == topic_id).order_by(CardState.id))]


def section(notes: str, heading: str) -> list[str]:
    """The lines under ``### heading`` (empty when the section is absent)."""
    lines = notes.splitlines()
    if f"### {heading}" not in lines:
        return []
    start = lines.index(f"### {heading}") + 2
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


async def say(pilot, pane, text: str | None) -> None:
    """Type a message (or press Ctrl+R for None) and wait for the tutor's new reply to be saved.

    A retry may replace the last reply rather than add one, so the test waits for a newer one."""

    def latest_reply():  # by time: SQLite may give a replacing reply the id of the one it replaced
        return max(
            (m.created_at for m in pane.chat.messages() if m.role == "assistant" and m.status == "complete"),
            default=datetime.min.replace(tzinfo=timezone.utc),
        )

    before = latest_reply()
    if text is None:
        await pilot.press("ctrl+r")
    else:
        await type_text(pilot, text)
        await pilot.press("enter")
    done = await wait_until(pilot, lambda: not pane.replying and latest_reply() > before, 30)
    assert done, f"no reply to {text!r}"


async def test_a_mixed_session_is_one_session_and_its_notes_tell_the_truth(context, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    sync_cards(context)
    curriculum = context.curriculum
    linear = curriculum.topics["linear-algebra"]
    checks = [q for q in linear.questions if q.kind.value == "check"]

    # --- the app: a chat, then a lab run started just before quitting ----------------------------
    app = DltuiApp(context, start_area="chat")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one("ChatPane")
        assert await wait_until(pilot, lambda: pane.chat is not None)
        for text in ["topic linear algebra", OPENER, RIGHT, WRONG, "hint", SECOND_TRY, QUESTION, None]:
            await say(pilot, pane, text)
        first_session = context.session_id
        runner = open_runner(context.settings, context.store)
        run = runner.start(runner.registry.get("numpy-xor"), {"epochs": 20000}, session_id=first_session)
    assert context.session_id is None  # the app closed; its notes are written

    # --- a restart: the same session goes on -----------------------------------------------------
    again = begin_session(context, "tui")
    assert again.id == first_session
    runner = open_runner(context.settings, context.store)
    runner.reconcile()  # re-attach to the run the closed app left going
    theirs = cards_of(context, "calculus-chain-rule")[:4]
    second = subprocess.Popen(
        [sys.executable, "-c", SECOND_PROCESS, str(context.settings.db_path), *map(str, theirs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _answered(context, theirs):
        time.sleep(0.1)
    for card_id in cards_of(context, "probability")[:6]:  # while the other process answers too
        record_answer(context, card_id, Rating.Good)
        time.sleep(0.1)
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors
    finished = runner.wait(run, timeout=120)
    assert finished.status is RunStatus.OK
    notes_path = close_session(context)

    # --- one session, every event filed under it -------------------------------------------------
    with context.store.session() as db:
        sessions = db.exec(select(StudySession)).all()
        logs = db.exec(select(ReviewLog)).all()
        messages = db.exec(select(Message)).all()
        assessments = db.exec(select(Assessment)).all()
        runs = db.exec(select(LabRun)).all()
    assert [s.id for s in sessions] == [first_session]
    assert {e.session_id for e in [*logs, *messages, *assessments, *runs]} == {first_session}
    assert len(logs) == 10

    notes = notes_path.read_text(encoding="utf-8")
    assert notes.count("<!-- session ") == 1
    titles = [t.title for t in curriculum.topics.values() if t.id in {"linear-algebra", "probability", "calculus-chain-rule"}]
    assert f"**Topics studied:** {', '.join(titles)}" in notes.splitlines()
    assert section(notes, "Your questions") == [f"> {QUESTION}"]
    assert section(notes, "What you knew at first") == [f"- {linear.title}: “{OPENER}” (covered: inner dimensions must match)"]
    check_lines = section(notes, "Check questions")
    assert check_lines == [
        f"- **{checks[0].prompt}** — you said: “{RIGHT}” (first try)",
        f"- **{checks[1].prompt}** — you said: “{SECOND_TRY}” (with hint; first you said “{WRONG}”)",
    ]
    assessed = section(notes, "Assessments")
    assert len(assessed) == 1 and assessed[0].startswith(f"- {linear.title}: partial")
    reviewed = section(notes, "Cards reviewed")
    assert len(reviewed) == 10
    assert sum("(probability)" in line for line in reviewed) == 6
    assert sum("(calculus-chain-rule)" in line for line in reviewed) == 4
    assert section(notes, "Gaps found") == []
    assert section(notes, "Labs run")[0].startswith(f"- numpy-xor ({run.id}): ok — passed")
    assert len(section(notes, "Labs run")) == 1


def _answered(context, card_ids) -> bool:
    with context.store.session() as db:
        return bool(db.exec(select(ReviewLog.id).where(ReviewLog.card_id.in_(card_ids))).first())


def test_an_idle_gap_starts_a_new_session_and_closes_the_old_one_at_its_last_activity(context):
    sync_cards(context)
    first = begin_session(context)
    record_answer(context, cards_of(context, "probability")[0], Rating.Good)
    close_session(context)
    left = utcnow()
    assert begin_session(context).id == first.id  # a restart within the idle gap: the same session
    close_session(context)
    idle = timedelta(minutes=context.settings.session_idle_minutes)
    second = begin_session(context, now=utcnow() + idle + timedelta(minutes=1))
    assert second.id != first.id
    with context.store.session() as db:
        closed = db.get(StudySession, first.id)
        last_answer = db.exec(select(ReviewLog.reviewed_at)).one()
    assert last_answer < left <= closed.ended_at <= utcnow()  # when the learner last left it
    day = StudyClock.for_settings(context.settings).date_of(closed.started_at).isoformat()
    notes = context.settings.sessions_dir / day / "session-notes.md"
    assert f"<!-- session {first.id} -->" in notes.read_text()
    # The day's folder shows the learner their notes and nothing else (the writers' lock is hidden).
    assert [p.name for p in notes.parent.iterdir() if not p.name.startswith(".")] == ["session-notes.md"]


def test_an_older_database_gains_session_ids_for_its_messages(tmp_path):
    path = tmp_path / "tutor.db"
    Store(path).close()
    with sqlite3.connect(path) as connection:  # as a version-1 file: no message.session_id
        connection.executescript(
            "CREATE TABLE message_v1 AS SELECT id, conversation_id, role, content, status, meta, created_at FROM message;"
            "DROP TABLE message; ALTER TABLE message_v1 RENAME TO message;"
        )
        connection.execute("PRAGMA user_version=1")
    store = Store(path)
    assert store.schema_version() == latest_version() >= 2
    with sqlite3.connect(path) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(message)")}
    assert "session_id" in columns
    store.close()


def test_notes_that_showed_a_run_running_show_how_it_ended_once_it_has(context):
    first = begin_session(context)
    runner = open_runner(context.settings, context.store)
    run = runner.start(runner.registry.get("numpy-xor"), {"epochs": 20000}, session_id=first.id)
    notes_path = close_session(context)  # the app quits while the run goes on
    assert f"({run.id}): running" in notes_path.read_text()
    later = begin_session(context, now=utcnow() + timedelta(minutes=context.settings.session_idle_minutes + 1))
    assert later.id != first.id
    assert runner.wait(run, timeout=120).status is RunStatus.OK  # this process sees it end
    close_session(context)
    lines = section(notes_path.read_text(), "Labs run")
    assert lines and lines[0].startswith(f"- numpy-xor ({run.id}): ok — passed"), lines
