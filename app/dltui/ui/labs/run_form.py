"""LabForm: edit a lab's parameters before a run; says so when a lab wants a GPU that is not here.

Every parameter is a text field holding its default; values are checked with the lab's own
parameter types when the learner presses Run, and a bad one is named under the form instead of
closing it. A sweep lab also shows the list of values it will launch one run each for.

Below them the learner may predict the outcome before seeing it (the shape of the loss curve and
the lab's target metric; for a sweep, a shape per value). Predicting first is what makes the
curve worth looking at: the prediction is drawn over the live curve and scored when the run ends
(`labs.prediction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from dltui.labs.params import ParamError
from dltui.labs.prediction import Guess, PredictedShape, tolerance_text
from dltui.labs.registry import Lab, LabRegistry

SHAPES = " | ".join(shape.value for shape in PredictedShape)


@dataclass
class LaunchRequest:
    """What the form asks the runner for."""

    params: dict[str, Any]
    device: str | None = None
    sweep_values: list[Any] | None = None
    notes: list[str] = field(default_factory=list)
    guesses: dict[Any, Guess] = field(default_factory=dict)  # sweep value (None: the one run) -> prediction


class LabForm(ModalScreen[LaunchRequest | None]):
    """The parameters of one lab, ready to run."""

    # Focused as the screen comes up, not a moment later from on_mount: an Enter typed straight
    # after "r" finds the first field and runs the lab (ui/typed_ahead.py).
    AUTO_FOCUS = "Input, Button"

    DEFAULT_CSS = """
    LabForm { align: center middle; }
    LabForm > Vertical { width: 90%; max-width: 100; height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    LabForm VerticalScroll { height: 1fr; }
    LabForm .param-help { color: $text-muted; }
    LabForm Input { margin-bottom: 0; }
    LabForm #form-error { color: $error; height: auto; }
    LabForm #form-gpu { color: $warning; height: auto; }
    LabForm Horizontal { height: 3; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "run", "Run"),
    ]

    def __init__(self, lab: Lab, registry: LabRegistry, gpu_present: bool):
        super().__init__()
        self.lab = lab
        self.registry = registry
        self.gpu_present = gpu_present

    @property
    def needs_cpu_fallback(self) -> bool:
        return self.lab.wants_gpu and not self.gpu_present

    def compose(self) -> ComposeResult:
        lab = self.lab
        with Vertical():
            yield Label(f"[b]{escape(lab.title)}[/b]  ({escape(lab.id)})")
            if lab.description:
                yield Static(escape(lab.description), classes="param-help")
            if self.needs_cpu_fallback:
                yield Static(
                    "This lab wants a GPU and none was found (no working nvidia-smi). It can run on the CPU instead: slower, same results.",
                    id="form-gpu",
                )
            with VerticalScroll():
                if lab.sweep is not None:
                    values = ", ".join(str(v) for v in lab.sweep.values)
                    yield Label(f"{lab.sweep.param} values (one run of {escape(lab.sweep.lab)} each)")
                    yield Input(values, id="sweep-values")
                for param in lab.params.values():
                    kind = param.type.value
                    if param.choices:
                        kind += ": " + " | ".join(map(str, param.choices))
                    yield Label(f"{param.name} [dim]({escape(kind)})[/dim] {escape(param.help)}")
                    yield Input(param.as_text(param.default), id=f"param-{param.name}")
                yield from self._prediction_fields()
            yield Static("", id="form-error")
            with Horizontal():
                yield Button("Run on CPU" if self.needs_cpu_fallback else "Run", variant="primary", id="form-run")
                yield Button("Cancel", id="form-cancel")

    def _prediction_fields(self) -> ComposeResult:
        yield Static("[b]Your prediction[/b] [dim](optional: say what you expect before you see it)[/dim]")
        if self.lab.sweep is not None:
            yield Static(f"A shape for any of the values, e.g. [b]10=diverges, 0.01=plateaus[/b] ({SHAPES})")
            yield Input(placeholder="value=shape, ...", id="predict-sweep")
            return
        yield Static(f"shape of the loss curve: {SHAPES}")
        yield Input(placeholder="e.g. converges", id="predict-shape")
        target = self.lab.target
        if target is not None:
            example = next(bound for bound in (target.min, target.max) if bound is not None)  # the registry wants one
            yield Static(f"{escape(target.metric)} at the end ({tolerance_text(target.metric, example)} counts as right)")
            yield Input(placeholder=f"e.g. {example:g}", id="predict-value")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-run":
            self.action_run()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_run()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_run(self) -> None:
        try:
            request = self.read_request()
        except ParamError as err:
            self.query_one("#form-error", Static).update(escape(str(err)))
            return
        self.dismiss(request)

    def read_request(self) -> LaunchRequest:
        """The typed values, checked; ParamError names the first bad one."""
        params = {}
        for param in self.lab.params.values():
            params[param.name] = param.parse(self.query_one(f"#param-{param.name}", Input).value)
        request = LaunchRequest(params=params, device="cpu" if self.needs_cpu_fallback else None)
        if self.lab.sweep is not None:
            base = self.registry.labs[self.lab.sweep.lab]
            swept = base.params[self.lab.sweep.param]
            raw = self.query_one("#sweep-values", Input).value
            values = [swept.parse(part) for part in raw.split(",") if part.strip()]
            if not values:
                raise ParamError(f"{swept.name}: give at least one value, separated by commas", swept.name)
            request.sweep_values = values
        request.guesses = self._read_guesses(request.sweep_values)
        return request

    def _read_guesses(self, sweep_values: list[Any] | None) -> dict[Any, Guess]:
        """The prediction typed in the form; ParamError names what could not be read."""
        sweep = self.lab.sweep
        if sweep is not None and sweep_values is not None:
            swept = self.registry.labs[sweep.lab].params[sweep.param]
            guesses = {}
            for part in filter(None, (p.strip() for p in self.query_one("#predict-sweep", Input).value.split(","))):
                value_text, _, shape_text = part.partition("=")
                value = swept.parse(value_text.strip())
                if value not in sweep_values:
                    raise ParamError(f"prediction: {value_text.strip()} is not one of the values to run", "predict-sweep")
                guesses[value] = Guess(shape=_shape(shape_text, "predict-sweep"))
            return guesses
        shape = _shape(self.query_one("#predict-shape", Input).value, "predict-shape", optional=True)
        value = None
        if self.lab.target is not None and (raw := self.query_one("#predict-value", Input).value.strip()):
            try:
                value = float(raw)
            except ValueError:
                raise ParamError(f"prediction: {self.lab.target.metric} must be a number, not {raw!r}", "predict-value") from None
            if value != value or value in (float("inf"), float("-inf")):
                raise ParamError(f"prediction: {self.lab.target.metric} must be a finite number", "predict-value")
        return {None: Guess(shape=shape, value=value)} if shape or value is not None else {}


def _shape(text: str, field_id: str, optional: bool = False) -> PredictedShape | None:
    """A shape as typed: its name or a start of it ("div", "converge")."""
    said = text.strip().lower()
    if not said and optional:
        return None
    matches = [shape for shape in PredictedShape if said and (shape.value.startswith(said) or said.startswith(shape.value[:4]))]
    if len(matches) != 1:
        raise ParamError(f"prediction: {text.strip() or 'a shape'} is not one of {SHAPES}", field_id)
    return matches[0]
