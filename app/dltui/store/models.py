"""The tables. Topics and curriculum cards are referred to by their stable string ids.

Every datetime column is `UTCDateTime` (aware UTC on load). Enum columns hold the member's name
(``STRONG``, ``OK``), which stays readable in the sqlite3 shell; the `EnumText` ones hold its value
(``review``, ``exercise``), the text those columns held before they were enums.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from dltui.store.types import EnumText, JSONText, UTCDateTime, utcnow


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=JSONText, **kwargs)


class AssessmentLevel(str, enum.Enum):
    STRONG = "strong"
    PARTIAL = "partial"
    NEEDS_WORK = "needs_work"


class GapSeverity(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RunStatus(str, enum.Enum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CRASHED = "crashed"  # the process died without an end event


class RunKind(enum.StrEnum):
    """What a lab run ran: the lab's own program, or the grader of the learner's exercise copy."""

    RUN = "run"
    EXERCISE = "exercise"


class ReviewMode(enum.StrEnum):
    """How a card was answered: in the due queue, or in a topic quiz (srs.quiz) whatever it was due."""

    REVIEW = "review"
    QUIZ = "quiz"


class MessageRole(enum.StrEnum):
    USER = "user"  # replayed to the model, as are the assistant's replies
    ASSISTANT = "assistant"
    TOOL = "tool"  # a short line about a tool call, shown to the learner only
    NOTICE = "notice"  # an error, or which tutor is active: shown only


class MessageStatus(enum.StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"  # stopped or failed mid-stream
    ERROR = "error"


class TopicProgress(SQLModel, table=True):
    """Dates worth remembering per topic; mastery itself is derived (see dltui.srs.mastery)."""

    topic_id: str = Field(primary_key=True)
    started_at: Optional[datetime] = _when(default=None)
    last_studied_at: Optional[datetime] = _when(default=None)
    mastered_at: Optional[datetime] = _when(default=None)


class CardState(SQLModel, table=True):
    """A card's FSRS state. Curriculum cards keep their content in files; tutor cards carry it here."""

    # The review queue's covering index (see store.migrations.REVIEW_ORDER_INDEX, the same for
    # databases made before version 4).
    __table_args__ = (
        Index(
            "ix_cardstate_review_order",
            "state",
            "due",
            "stability",
            "last_review",
            "buried_until",
            sqlite_where=text("retired = 0 AND suspended = 0"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)  # also the fsrs card_id
    card_key: str = Field(unique=True, index=True)  # curriculum id "topic/slug" or "tutor/<n>"
    topic_id: str = Field(index=True)
    origin: str = "curriculum"  # curriculum | tutor | gap
    front: Optional[str] = None  # only for cards that do not come from the curriculum
    back: Optional[str] = None
    source: Optional[str] = None
    state: int = 0  # 0 = new (never reviewed); else fsrs.State value
    step: Optional[int] = None
    stability: Optional[float] = None
    difficulty: Optional[float] = None
    due: Optional[datetime] = _when(default=None, index=True)
    last_review: Optional[datetime] = _when(default=None)
    reps: int = 0
    lapses: int = 0
    suspended: bool = False
    leech: bool = False
    buried_until: Optional[datetime] = _when(default=None)
    retired: bool = False  # removed from the curriculum; history kept
    introduced_at: Optional[datetime] = _when(default=None)
    created_at: datetime = _when(default_factory=utcnow)


class ReviewLog(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="cardstate.id", index=True)
    rating: int  # fsrs.Rating value 1..4
    reviewed_at: datetime = _when(index=True)
    duration_ms: Optional[int] = None
    mode: ReviewMode = Field(default=ReviewMode.REVIEW, sa_type=EnumText(ReviewMode))
    answer_given: Optional[str] = None
    auto_graded: Optional[bool] = None
    state_before: dict[str, Any] = _json(default_factory=dict)  # the card row before, to undo exactly
    session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")


class Assessment(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    topic_id: str = Field(index=True)
    level: AssessmentLevel
    confidence: float = 0.5  # 0..1
    evidence: str = ""
    assessor: str = "tutor"  # claude | offline | quiz | lab | prediction
    created_at: datetime = _when(default_factory=utcnow)
    conversation_id: Optional[int] = Field(default=None, foreign_key="conversation.id")
    session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")


class KnowledgeGap(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    topic_id: str = Field(index=True)
    description: str
    severity: GapSeverity = GapSeverity.MEDIUM
    created_at: datetime = _when(default_factory=utcnow)
    resolved_at: Optional[datetime] = _when(default=None)
    resolution: Optional[str] = None
    session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")
    resolved_session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")


class Conversation(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = "New conversation"
    tutor: str = "offline"  # claude | offline
    topic_id: Optional[str] = None
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class Message(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    role: MessageRole = Field(sa_type=EnumText(MessageRole))
    content: str = ""
    status: MessageStatus = Field(default=MessageStatus.COMPLETE, sa_type=EnumText(MessageStatus))
    meta: dict[str, Any] = _json(default_factory=dict)  # tool calls, model, token usage
    created_at: datetime = _when(default_factory=utcnow)
    session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")


class LabRun(SQLModel, table=True):
    id: str = Field(primary_key=True)  # also the run folder name
    lab_id: str = Field(index=True)  # the lab's plain id, whatever the kind
    kind: RunKind = Field(default=RunKind.RUN, sa_type=EnumText(RunKind))
    params: dict[str, Any] = _json(default_factory=dict)
    status: RunStatus = RunStatus.RUNNING
    pid: Optional[int] = None
    run_dir: str = ""
    device: Optional[str] = None
    group_id: Optional[str] = None  # runs launched together (a sweep)
    started_at: datetime = _when(default_factory=utcnow)
    ended_at: Optional[datetime] = _when(default=None)
    final_metrics: dict[str, Any] = _json(default_factory=dict)
    passed: Optional[bool] = None  # reached the lab's target (or the grader passed)
    session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")

    @property
    def lab_name(self) -> str:
        """The run's lab as notes and lists show it: ``numpy-mlp``, or ``numpy-mlp exercise`` for a grader run."""
        return self.lab_id if self.kind is RunKind.RUN else f"{self.lab_id} {self.kind}"


class Prediction(SQLModel, table=True):
    """What the learner expected of a run before it started, and, once it ended, how that went.

    One row per run (labs.prediction): the curve's shape and/or the final value of the lab's
    target metric, filed under the session the run was launched in.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="labrun.id", unique=True, index=True)
    lab_id: str
    shape: Optional[str] = None  # labs.prediction.PredictedShape value
    metric: Optional[str] = None  # the lab's target metric, when a value was predicted
    value: Optional[float] = None
    tolerance: Optional[float] = None  # absolute: |actual - value| <= tolerance is right
    created_at: datetime = _when(default_factory=utcnow)
    session_id: Optional[int] = Field(default=None, foreign_key="studysession.id")
    scored_at: Optional[datetime] = _when(default=None)  # set once, when the run has ended
    shape_right: Optional[bool] = None  # None: not predicted, or the curve showed no shape
    value_right: Optional[bool] = None  # None: not predicted, or the run never reported it
    actual_shape: Optional[str] = None
    actual_value: Optional[float] = None
    outcome: Optional[str] = None  # one sentence for the learner


class StudySession(SQLModel, table=True):
    """A stretch of study that may span restarts and processes; it ends after an idle gap."""

    id: Optional[int] = Field(default=None, primary_key=True)
    started_at: datetime = _when(default_factory=utcnow)
    ended_at: Optional[datetime] = _when(default=None)  # set once an idle gap has closed it
    entry: str = "tui"  # tui | review | lab | chat: where it began
    notes_path: Optional[str] = None
    last_seen_at: Optional[datetime] = _when(default=None)  # a process joined or left it
    runs_running_in_notes: int = 0  # runs (and predictions) its notes showed as not over yet (rewritten once they are)
