"""What the Labs pane's mixins (`launch`, `exercise`, `predictions`) use of the pane.

Each mixin is written against `LabsPaneParts`: for the type checker a Widget that has the pane's
records, runner and selection; at run time plain `object`, so the mixins add nothing to the
pane's class but their own methods.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.widget import Widget

    from dltui.context import StudyContext
    from dltui.labs.prediction import Guess
    from dltui.labs.registry import Lab
    from dltui.labs.runner import LabRunner
    from dltui.labs.watch import LabWatch
    from dltui.store.models import LabRun, Prediction

    class LabsPaneParts(Widget):
        context: StudyContext
        runner: LabRunner
        lab_watch: LabWatch
        _predictions: dict[str, Prediction]  # run id -> the learner's prediction
        _asked_about: set[str]  # runs (or sweeps) the chat was already opened on for a wrong prediction

        @property
        @abstractmethod
        def ready(self) -> bool: ...

        @abstractmethod
        def _highlighted_lab(self) -> Lab | None: ...

        @abstractmethod
        def _highlighted_run(self) -> LabRun | None: ...

        @abstractmethod
        def show_runs(self, run_ids: list[str], current: str | None = None) -> None: ...

        @abstractmethod
        def save_guesses(self, lab: Lab, runs: list[LabRun], guesses: dict[Any, Guess]) -> None: ...

else:
    LabsPaneParts = object
