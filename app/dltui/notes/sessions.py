"""Study sessions as a learner means them: one stretch of study, across restarts and processes.

A session stays open until an idle gap of ``session_idle_minutes`` (30) without activity. Each
process (the app, `dltui review`) joins the open session when it starts, instead of opening its
own or closing another's, and leaves it when it exits, writing the session's notes as they stand
and the tracker. The first process to start after the idle gap closes the session, at its last
activity, and writes its notes for good. Activity is any event filed under the session (message,
answer, assessment, gap, lab run starting or ending) and any process joining or leaving it.

Notes that showed a lab run as still running, or a prediction not yet scored, are rewritten once
the run has ended and its prediction is scored, the next time any process joins or leaves a session.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from dltui.labs.prediction import score_ended_predictions
from dltui.notes.session_notes import write_session_notes
from dltui.notes.tracker import write_tracker
from dltui.store.models import Assessment, KnowledgeGap, LabRun, Message, Prediction, ReviewLog, RunStatus, StudySession
from dltui.store.types import row_id, utcnow

if TYPE_CHECKING:
    from dltui.context import StudyContext

# The events filed under a session, each with the moment it happened.
SessionTable = type[Message] | type[ReviewLog] | type[Assessment] | type[KnowledgeGap] | type[LabRun]
ACTIVITY: list[tuple[SessionTable, datetime | None]] = [
    (Message, Message.created_at),
    (ReviewLog, ReviewLog.reviewed_at),
    (Assessment, Assessment.created_at),
    (KnowledgeGap, KnowledgeGap.created_at),
    (LabRun, LabRun.started_at),
    (LabRun, LabRun.ended_at),
]


def begin_session(context: StudyContext, entry: str = "tui", now: datetime | None = None) -> StudySession:
    """Join the open session (or open one after an idle gap) and make it the context's session."""
    now = now or utcnow()
    idle = timedelta(minutes=context.settings.session_idle_minutes)
    ended: list[int] = []
    # One write transaction: two processes starting at once take turns, and the second joins
    # the session the first one opened.
    with context.store.session() as db:
        joined = None
        open_sessions = db.exec(
            select(StudySession).where(StudySession.ended_at == None).order_by(col(StudySession.started_at).desc())  # noqa: E711
        ).all()
        for row in open_sessions:
            last = last_activity(db, row)
            if joined is None and now - last <= idle:
                joined = row
                continue
            row.ended_at = last
            db.add(row)
            ended.append(row_id(row))
        if joined is None:
            joined = StudySession(entry=entry, started_at=now)
        joined.last_seen_at = max(joined.last_seen_at or now, now)
        db.add(joined)
        db.flush()
        db.refresh(joined)
    context.session_id = joined.id
    for session_id in ended:
        write_notes(context, session_id)
    refresh_finished_runs(context)
    return joined


def close_session(context: StudyContext, now: datetime | None = None) -> Path | None:
    """This process leaves its session: the notes as they stand and the tracker are written.

    The session itself stays open for the next process or restart, until an idle gap ends it.
    Returns the notes file (None when nothing was studied).
    """
    session_id = context.session_id
    if session_id is None:
        return None
    context.session_id = None
    now = now or utcnow()
    with context.store.session() as db:
        row = db.get(StudySession, session_id)
        if row is None:
            return None
        row.last_seen_at = max(row.last_seen_at or now, now)
        db.add(row)
    path = write_notes(context, session_id)
    refresh_finished_runs(context)
    return path


def write_notes(context: StudyContext, session_id: int) -> Path | None:
    """Write one session's notes and the tracker; None (and nothing written) if it was idle."""
    with context.store.read() as db:
        session = db.get(StudySession, session_id)
    if session is None or not had_activity(context, session):
        return None  # opening and closing the app is not a study session worth a note
    path = write_session_notes(context, session)
    with context.store.session() as db:
        row = db.get_one(StudySession, session_id)
        row.notes_path = str(path)
        row.runs_running_in_notes = _pending(db, session_id)
        db.add(row)
    write_tracker(context)
    return path


def refresh_finished_runs(context: StudyContext) -> None:
    """Rewrite the notes of sessions that showed a run as running, or a prediction as waiting, which
    has ended (or been scored) since. A prediction whose run ended unscored is scored first."""
    score_ended_predictions(context)
    with context.store.read() as db:
        stale = [
            row_id(row)
            for row in db.exec(select(StudySession).where(StudySession.runs_running_in_notes > 0))
            if _pending(db, row_id(row)) < row.runs_running_in_notes
        ]
    for session_id in stale:
        write_notes(context, session_id)


def _pending(db: Session, session_id: int) -> int:
    """What the session's notes show as not over yet: runs still running and predictions not scored."""
    running = db.exec(select(func.count(col(LabRun.id))).where(LabRun.session_id == session_id, LabRun.status == RunStatus.RUNNING)).one()
    waiting = db.exec(
        select(func.count(col(Prediction.id))).where(Prediction.session_id == session_id, Prediction.scored_at == None)  # noqa: E711
    ).one()
    return running + waiting


def last_activity(db: Session, session: StudySession) -> datetime:
    """The latest moment anything happened in the session (a process joining or leaving included)."""
    latest = max(session.started_at, session.last_seen_at or session.started_at)
    for table, column in ACTIVITY:
        moment = db.exec(select(func.max(column)).where(table.session_id == session.id)).one()
        if moment is not None:
            latest = max(latest, moment if moment.tzinfo else moment.replace(tzinfo=latest.tzinfo))
    return latest


def had_activity(context: StudyContext, session: StudySession) -> bool:
    """Whether anything was learned, answered or run during the session."""
    with context.store.read() as db:
        return any(
            db.exec(select(func.count()).select_from(table).where(table.session_id == session.id)).one()
            for table in {table for table, _ in ACTIVITY}
        )
