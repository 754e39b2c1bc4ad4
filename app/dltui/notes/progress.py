"""Where the learner stands: one summary for the Progress area, the tracker and `dltui progress`.

Overall progress is weighted by domain: each domain's share of the curriculum times the mean
mastery of its topics. The first time a topic reaches "mastered" its date is kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, TypedDict

from sqlmodel import col, select

from dltui.srs.mastery import Mastery, MasteryState, topic_mastery
from dltui.srs.recommend import study_next
from dltui.srs.stats import review_stats
from dltui.store.models import Assessment, KnowledgeGap, LabRun, TopicProgress
from dltui.store.types import row_id, utcnow

if TYPE_CHECKING:
    from dltui.context import StudyContext

RECENT_RUNS = 8


class TopicShare(TypedDict):
    percent: int
    state: str  # a MasteryState value


class StudyNext(TypedDict):
    topic_id: str
    title: str
    why: str


@dataclass
class DomainProgress:
    id: str
    title: str
    weight: float
    progress: float  # mean mastery of its topics, 0..1
    topics: int
    mastered: int
    started: int


@dataclass
class MasteredTopic:
    topic_id: str
    title: str
    mastered_on: date
    confidence: float | None  # of the latest assessment, when there is one


@dataclass
class GapLine:
    id: int
    topic_id: str
    severity: str
    description: str
    found_on: date
    resolved_on: date | None = None


@dataclass
class RunLine:
    id: str
    lab_id: str
    lab_name: str  # what the notes show: the lab id, and "exercise" after it for a grader run
    status: str
    passed: bool | None
    started: datetime
    metrics: dict[str, object]  # the run's final metrics, as its lab reported them


@dataclass
class Progress:
    overall: float
    domains: list[DomainProgress]
    topics: dict[str, TopicShare]
    mastered: list[MasteredTopic]
    open_gaps: list[GapLine]
    resolved_gaps: list[GapLine]
    reviews_today: int  # "done today", "due today" and retention as srs.today defines them
    due_today: int
    streak_days: int
    retention: float | None
    retention_text: str
    heatmap: dict[str, int]
    recent_runs: list[RunLine]
    study_next: list[StudyNext] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {key: _jsonable(value) for key, value in asdict(self).items()}


def learner_progress(context: StudyContext, mastery: dict[str, Mastery] | None = None) -> Progress:
    """Compute the summary (and remember the date each topic was first mastered)."""
    mastery = mastery or topic_mastery(context)
    curriculum = context.curriculum
    mastered_on = _record_mastery_dates(context, mastery)
    domains = []
    for domain in curriculum.domains.values():
        topics = [mastery[t.id] for t in curriculum.topics_in(domain.id) if t.id in mastery]
        domains.append(
            DomainProgress(
                id=domain.id,
                title=domain.title,
                weight=domain.weight,
                progress=sum(m.fraction for m in topics) / len(topics) if topics else 0.0,
                topics=len(topics),
                mastered=sum(m.state is MasteryState.MASTERED for m in topics),
                started=sum(m.state is not MasteryState.NOT_STARTED for m in topics),
            )
        )
    weight = sum(d.weight for d in domains) or 1.0
    overall = min(1.0, sum(d.weight * d.progress for d in domains) / weight)
    with context.store.read() as session:
        confidence = {a.topic_id: a.confidence for a in session.exec(select(Assessment).order_by(col(Assessment.created_at)))}
        gaps = list(session.exec(select(KnowledgeGap).order_by(col(KnowledgeGap.created_at))))
        runs = list(session.exec(select(LabRun).order_by(col(LabRun.started_at).desc()).limit(RECENT_RUNS)))
    stats = review_stats(context)
    return Progress(
        overall=overall,
        domains=domains,
        topics={k: {"percent": m.percent, "state": m.state.value} for k, m in mastery.items()},
        mastered=[
            MasteredTopic(t, curriculum.topics[t].title, mastered_on[t], confidence.get(t))
            for t, m in mastery.items()
            if m.state is MasteryState.MASTERED and t in mastered_on
        ],
        open_gaps=sorted((_gap_line(g) for g in gaps if g.resolved_at is None), key=lambda g: ("high", "medium", "low").index(g.severity)),
        resolved_gaps=[_gap_line(g) for g in gaps if g.resolved_at is not None],
        reviews_today=stats.reviews_today,
        due_today=stats.due_today,
        streak_days=stats.streak_days,
        retention=stats.retention,
        retention_text=stats.retention_text,
        heatmap={day.isoformat(): count for day, count in sorted(stats.heatmap.items())},
        recent_runs=[RunLine(r.id, r.lab_id, r.lab_name, r.status.value, r.passed, r.started_at, dict(r.final_metrics)) for r in runs],
        study_next=[
            {"topic_id": s.topic.id, "title": s.topic.title, "why": s.reason} for s in study_next(context, limit=3, mastery=mastery)
        ],
    )


def _record_mastery_dates(context: StudyContext, mastery: dict[str, Mastery]) -> dict[str, date]:
    now = utcnow()
    with context.store.session() as session:
        rows = {p.topic_id: p for p in session.exec(select(TopicProgress))}
        for topic_id, known in mastery.items():
            if known.state is MasteryState.MASTERED:
                row = rows.get(topic_id) or TopicProgress(topic_id=topic_id, started_at=now)
                if row.mastered_at is None:
                    row.mastered_at = now
                    session.add(row)
                    rows[topic_id] = row
        return {t: r.mastered_at.date() for t, r in rows.items() if r.mastered_at is not None}


def _gap_line(gap: KnowledgeGap) -> GapLine:
    return GapLine(
        row_id(gap),
        gap.topic_id,
        gap.severity.value,
        gap.description,
        gap.created_at.date(),
        gap.resolved_at.date() if gap.resolved_at else None,
    )


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
