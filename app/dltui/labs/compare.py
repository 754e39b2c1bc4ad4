"""Comparing runs: which parameters differ, and the final metrics side by side."""

from __future__ import annotations

from dataclasses import dataclass

from dltui.store.models import LabRun


@dataclass
class Comparison:
    runs: list[LabRun]
    differing: list[tuple[str, list[str]]]  # parameter, its value in each run
    shared: dict[str, str]  # parameters every run had the same value for
    metrics: list[tuple[str, list[str]]]  # final metric, its value in each run ("" when absent)


def compare_runs(runs: list[LabRun]) -> Comparison:
    names = sorted({name for run in runs for name in run.params})
    differing, shared = [], {}
    for name in names:
        values = [_show(run.params.get(name, "—")) for run in runs]
        if len(set(values)) > 1:
            differing.append((name, values))
        else:
            shared[name] = values[0]
    metric_names = sorted({name for run in runs for name in run.final_metrics})
    metrics = [(name, [_show(run.final_metrics.get(name, "")) for run in runs]) for name in metric_names]
    return Comparison(runs, differing, shared, metrics)


def comparison_table(comparison: Comparison) -> str:
    """A plain-text table: one column per run."""
    header = ["", *[run.id for run in comparison.runs]]
    rows = [["lab", *[run.lab_name for run in comparison.runs]], ["status", *[run.status.value for run in comparison.runs]]]
    rows += [["passed", *["yes" if run.passed else "no" if run.passed is False else "—" for run in comparison.runs]]]
    rows += [[f"param {name}", *values] for name, values in comparison.differing]
    rows += [[name, *values] for name, values in comparison.metrics]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    if comparison.shared:
        lines.append("same in every run: " + ", ".join(f"{k}={v}" for k, v in comparison.shared.items()))
    return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
