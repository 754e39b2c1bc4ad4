"""Exercise mode of the Labs area: `e` copies a lab's exercise to the workspace and opens it in
$EDITOR (the app suspends meanwhile), `g` grades it as a run that the pane then shows.

A mixin of `LabsPane`: it uses the pane's runner, context, highlighted lab and `show_runs`.
"""

from __future__ import annotations

from textual.app import SuspendNotSupported

from dltui.labs.errors import LabStartError
from dltui.labs.exercise import open_in_editor, prepare_workspace, start_grader
from dltui.labs.registry import Lab
from dltui.ui.labs.pane_parts import LabsPaneParts


class ExerciseActions(LabsPaneParts):
    """The `e` and `g` keys of the Labs area."""

    def _exercise_lab(self) -> Lab | None:
        lab = self._highlighted_lab()
        if lab is None or lab.exercise is None:
            with_exercise = [other.id for other in self.runner.registry.labs.values() if other.exercise]
            hint = f" (labs with one: {', '.join(with_exercise)})" if with_exercise else ""
            self.notify(f"Pick a lab with an exercise (✎) first{hint}.", severity="warning")
            return None
        return lab

    def action_exercise(self) -> None:
        """Copy the exercise to the workspace, open it in $EDITOR, then grade it."""
        lab = self._exercise_lab()
        if lab is None:
            return
        try:
            path = prepare_workspace(lab, self.context.settings.workspace_dir)
        except (LabStartError, OSError) as err:
            self.notify(str(err), severity="error")
            return
        try:
            with self.app.suspend():
                open_in_editor(path)
        except SuspendNotSupported:
            self.notify(f"Edit {path} in your editor, then press g to grade it.", timeout=15)
            return
        except LabStartError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        self.action_grade()

    def action_grade(self) -> None:
        lab = self._exercise_lab()
        if lab is None:
            return
        try:
            run = start_grader(self.runner, lab, self.context.settings.workspace_dir, self.context.session_id)
        except (LabStartError, OSError) as err:
            self.notify(str(err), severity="error")
            return
        self.notify(f"Grading your {lab.id} exercise...")
        self.show_runs([run.id])
