"""Lab runs in the database: one `LabRun` row per run, indexed for lists and comparisons.

The run folder stays the source of truth; the row is its index card (status, parameters, final
metrics, passed). Two processes (the TUI and `dltui lab stop`) may finish the same run, so a
run is only ever finished once: the update applies only while the row still says running.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from dltui.store import Store
from dltui.store.models import LabRun, RunKind, RunStatus


def add_run(store: Store, run: LabRun) -> LabRun:
    with store.session() as session:
        session.add(run)
    return run


def get_run(store: Store, run_id: str) -> LabRun | None:
    with store.read() as session:
        return session.get(LabRun, run_id)


MIN_PREFIX = 4  # shorter prefixes match too much by accident ('' matched every run)
MAX_ID = 200  # far above any run id; longer text cannot be one (and would choke LIKE)


def find_run(store: Store, text: str) -> LabRun:
    """A run by id, lab id (its latest run) or a unique id prefix of at least `MIN_PREFIX` characters.

    LookupError says what matched or what to type instead.
    """
    text = text.strip()
    if not text:
        raise LookupError("give a run id (see `dltui lab runs`)")
    if len(text) > MAX_ID:
        raise LookupError(f"no run has an id that long ({len(text)} characters; see `dltui lab runs`)")
    with store.read() as session:
        exact = session.get(LabRun, text)
        if exact is not None:
            return exact
        # A lab id means its latest run, a running one first (what `stop` and `attach` want);
        # its exercise's grader runs are named by their ids.
        latest = session.exec(
            select(LabRun)
            .where(LabRun.lab_id == text, LabRun.kind == RunKind.RUN)
            .order_by((col(LabRun.status) == RunStatus.RUNNING).desc(), col(LabRun.started_at).desc())
            .limit(1)
        ).first()
        if latest is not None:
            return latest
        if len(text) < MIN_PREFIX:
            raise LookupError(f"{text!r} is too short: give the run id or at least {MIN_PREFIX} characters of it")
        matches = session.exec(select(LabRun).where(col(LabRun.id).startswith(text, autoescape=True))).all()
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(sorted(m.id for m in matches)[:5])
            raise LookupError(f"{text!r} matches {len(matches)} runs ({shown}...): give more of the id")
    raise LookupError(f"no run {text!r} (see `dltui lab runs`)")


def recent_runs(store: Store, limit: int = 50) -> list[LabRun]:
    with store.read() as session:
        return list(session.exec(select(LabRun).order_by(col(LabRun.started_at).desc()).limit(limit)).all())


def running_runs(store: Store) -> list[LabRun]:
    with store.read() as session:
        return list(session.exec(select(LabRun).where(LabRun.status == RunStatus.RUNNING)).all())


def group_runs(store: Store, group_id: str) -> list[LabRun]:
    with store.read() as session:
        return list(session.exec(select(LabRun).where(LabRun.group_id == group_id).order_by(col(LabRun.id))).all())


def finish_run(
    store: Store,
    run_id: str,
    status: RunStatus,
    ended_at: datetime,
    final_metrics: dict[str, Any],
    passed: bool | None,
    device: str | None = None,
) -> LabRun | None:
    """Record how a run ended; None when another process already finished it."""
    with store.session() as session:
        run = session.get(LabRun, run_id)
        if run is None or run.status is not RunStatus.RUNNING:
            return None
        run.status = status
        run.ended_at = ended_at
        run.final_metrics = final_metrics
        run.passed = passed
        if device:
            run.device = device
        session.add(run)
    return run
