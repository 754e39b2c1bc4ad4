"""What every part of the app needs: settings, the database and the curriculum, opened once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from dltui.curriculum import Curriculum, Problem, load_curriculum
from dltui.labs.open import open_runner
from dltui.labs.runner import LabRunner
from dltui.settings import Settings, load_settings
from dltui.store import Store
from dltui.tutor.activity import LearnerActivity


@dataclass
class StudyContext:
    settings: Settings
    store: Store
    curriculum: Curriculum
    curriculum_problems: list[Problem] = field(default_factory=list)
    session_id: int | None = None  # the study session in progress, if any
    activity: LearnerActivity | None = None  # what the learner is doing now, set by the UI, read by the tutor

    @classmethod
    def open(cls, db: str | None = None, settings: Settings | None = None) -> "StudyContext":
        settings = settings or load_settings(db)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.db_path)
        curriculum, problems = load_curriculum(settings.curriculum_dir)
        return cls(settings=settings, store=store, curriculum=curriculum, curriculum_problems=problems)

    @cached_property
    def runner(self) -> LabRunner:
        """The one lab runner of this process (finish hooks wired once, in labs.open)."""
        return open_runner(self.settings, self.store)

    @cached_property
    def startup_notice(self) -> str | None:
        """One line for the learner when the curriculum has problems (details: dltui curriculum check)."""
        if not self.curriculum_problems:
            return None
        first = self.curriculum_problems[0]
        more = len(self.curriculum_problems) - 1
        suffix = f" (+{more} more; run `dltui curriculum check`)" if more else ""
        return f"Curriculum problem: {first}{suffix}"

    def close(self) -> None:
        self.store.close()
