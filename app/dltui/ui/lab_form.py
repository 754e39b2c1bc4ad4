"""LabForm: edit a lab's parameters before a run; says so when a lab wants a GPU that is not here.

Every parameter is a text field holding its default; values are checked with the lab's own
parameter types when the learner presses Run, and a bad one is named under the form instead of
closing it. A sweep lab also shows the list of values it will launch one run each for.
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
from dltui.labs.registry import Lab, LabRegistry


@dataclass
class LaunchRequest:
    """What the form asks the runner for."""

    params: dict[str, Any]
    device: str | None = None
    sweep_values: list[Any] | None = None
    notes: list[str] = field(default_factory=list)


class LabForm(ModalScreen[LaunchRequest | None]):
    """The parameters of one lab, ready to run."""

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
                    "This lab wants a GPU and none was found (no working nvidia-smi). "
                    "It can run on the CPU instead: slower, same results.",
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
            yield Static("", id="form-error")
            with Horizontal():
                yield Button("Run on CPU" if self.needs_cpu_fallback else "Run", variant="primary", id="form-run")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        first = self.query(Input)
        if first:
            first.first().focus()

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
        return request
