"""Running and stopping in the Labs area: `r` opens a lab's run form and launches what it asks
for (with the learner's prediction), `s` asks before stopping a run, and the note said on quitting
while runs go on.

A mixin of `LabsPane`: it uses the pane's runner, context, `lab_watch`, selection and `show_runs`.
"""

from __future__ import annotations

from textual.widgets import OptionList

from dltui.labs.errors import LabStartError
from dltui.labs.params import ParamError
from dltui.labs.registry import Lab
from dltui.store.models import LabRun
from dltui.ui.labs.confirm import ConfirmStop
from dltui.ui.labs.gpu import gpu_present
from dltui.ui.labs.pane_parts import LabsPaneParts
from dltui.ui.labs.run_form import LabForm, LaunchRequest


class LaunchActions(LabsPaneParts):
    """The `r` and `s` keys of the Labs area, and what quitting says about runs still going."""

    def action_run_lab(self) -> None:
        lab = self._highlighted_lab()
        if lab is None:
            self.notify("Pick a lab in the list first.", severity="warning")
            return
        if lab.unavailable:  # say how to add what it needs before asking for parameters
            self.notify(lab.unavailable, severity="warning", timeout=12)
            return
        form = LabForm(lab, self.runner.registry, gpu_present(self.app))
        self.app.push_screen(form, lambda request: self._launch(lab, request))

    def _launch(self, lab: Lab, request: LaunchRequest | None) -> None:
        if request is None:
            return
        try:
            runs = self.runner.launch(
                lab, request.params, values=request.sweep_values, device=request.device, session_id=self.context.session_id
            )
        except (LabStartError, ParamError, KeyError, OSError) as err:
            self.notify(str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err), severity="error", timeout=10)
            return
        note = " on the CPU" if request.device == "cpu" else ""
        self.notify(f"Started {len(runs)} run(s) of {lab.id}{note}.")
        self.save_guesses(lab, runs, request.guesses)
        self.show_runs([run.id for run in runs])

    def action_stop_run(self) -> None:
        run = self.lab_watch.current_run()
        highlighted = self._highlighted_run()
        if self.query_one("#run-list", OptionList).has_focus and highlighted is not None:
            run = highlighted
        if run is None or run.id not in self.runner.running:
            self.notify("No running run selected.", severity="warning")
            return
        self.app.push_screen(ConfirmStop(run.id), lambda stop: self._stop(run) if stop else None)

    def _stop(self, run: LabRun) -> None:
        if run.id not in self.runner.running:  # it ended while the question was up
            return
        self.runner.stop(run)
        self.notify(f"Stopping {run.id}: it saves a checkpoint (killed after {self.runner.grace_s:g} s otherwise).")

    def leaving_note(self) -> str | None:
        """What to tell the learner as the app quits with runs still going (they keep going)."""
        if not self.ready or not self.runner.running:
            return None
        ids = sorted(self.runner.running)
        named = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        one = len(ids) == 1
        return (
            f"{'A lab run keeps' if one else f'{len(ids)} lab runs keep'} going: {named}. "
            f"Start dltui again and the Labs area re-attaches to {'it' if one else 'them'}; "
            "or follow it with `dltui lab attach RUN`, stop it with `dltui lab stop RUN`."
        )
