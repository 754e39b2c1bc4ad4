"""Study sessions: one per run of the app (or of `dltui review`), closed with notes written.

A session that was never closed (the terminal died, kill -9) is closed at the next start, at the
time of its last recorded activity, and its notes are written then.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from dltui.notes.session_notes import write_session_notes
from dltui.notes.tracker import write_tracker
from dltui.store.models import Assessment, KnowledgeGap, LabRun, Message, ReviewLog, StudySession
from dltui.store.types import utcnow


def begin_session(context, entry: str = "tui") -> StudySession:
    """Close any session left open, then open a new one and make it the context's session."""
    for stale in _open_sessions(context):
        close_session(context, stale, ended_at=_last_activity(context, stale))
    with context.store.session() as db:
        session = StudySession(entry=entry)
        db.add(session)
        db.flush()
        db.refresh(session)
    context.session_id = session.id
    return session


def close_session(context, session: StudySession | None = None, ended_at: datetime | None = None):
    """End the session, write its notes and the tracker; return the notes path (None if idle)."""
    if session is None:
        if context.session_id is None:
            return None
        with context.store.session() as db:
            session = db.get(StudySession, context.session_id)
    with context.store.session() as db:
        row = db.get(StudySession, session.id)
        row.ended_at = ended_at or utcnow()
        db.add(row)
    session = row
    if context.session_id == session.id:
        context.session_id = None
    if not had_activity(context, session):
        return None  # opening and closing the app is not a study session worth a note
    path = write_session_notes(context, session)
    with context.store.session() as db:
        row = db.get(StudySession, session.id)
        row.notes_path = str(path)
        db.add(row)
    write_tracker(context)
    return path


def _open_sessions(context) -> list[StudySession]:
    with context.store.session() as db:
        return list(db.exec(select(StudySession).where(StudySession.ended_at == None)))  # noqa: E711


ACTIVITY = [
    (Message, Message.created_at),
    (ReviewLog, ReviewLog.reviewed_at),
    (Assessment, Assessment.created_at),
    (KnowledgeGap, KnowledgeGap.created_at),
    (LabRun, LabRun.started_at),
]


def _last_activity(context, session: StudySession) -> datetime:
    latest = session.started_at
    with context.store.session() as db:
        for _table, column in ACTIVITY:
            moment = db.exec(select(func.max(column)).where(column >= session.started_at)).one()
            if moment is not None:
                moment = moment if moment.tzinfo else moment.replace(tzinfo=latest.tzinfo)
                latest = max(latest, moment)
    return latest


def had_activity(context, session: StudySession) -> bool:
    """Whether anything was learned, answered or run during the session."""
    ended_at = session.ended_at or utcnow()
    with context.store.session() as db:
        for _table, column in ACTIVITY:
            count = db.exec(
                select(func.count()).where(column >= session.started_at, column <= ended_at)
            ).one()
            if count:
                return True
    return False
