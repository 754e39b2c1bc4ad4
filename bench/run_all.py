"""Run every bench/bench_*.py and print their rows as one table, each figure beside its target.

Each script prints rows `| name | value | unit | note |` on stdout (other output is ignored).
A figure named in TARGETS gets its target and PASS/FAIL; a script that fails or runs past its
deadline becomes a FAIL row instead of a hang. `make bench` sets DLTUI_DATASETS to
../shared/datasets when that folder exists.

Nothing is written into the checkout: bytecode goes to a temporary PYTHONPYCACHEPREFIX (still
cached between launches, as a learner's machine caches it) and every script works in temp folders.
"""

from __future__ import annotations

import operator
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEADLINE_S = float(os.environ.get("BENCH_DEADLINE_S", "1200"))  # per script

# figure -> (comparison, target). The figures come from the scripts' rows; derived ones below.
TARGETS: dict[str, tuple[str, float]] = {
    "startup: ratio dltui / hello-world": ("<=", 1.3),
    "startup: ratio dltui / hello-world, API key set": ("<=", 1.3),
    "review: next due card": ("<=", 5.0),
    "review: record an answer": ("<=", 10.0),
    "review: header line (today's numbers)": ("<=", 10.0),
    "labs: events taken in by the TUI": (">=", 20_000.0),
    "labs: throughput with TUI / alone": (">=", 0.97),
    "numpy-mlp epoch / torch-mlp epoch": ("<=", 1.2),
    "torch-cnn time to 99% test": ("<=", 20.0),
    "chat: TUI CPU for a 2,000-word streamed reply": ("<=", 1.0),
    "chat: per-delta cost, last / first fifth": ("<=", 1.5),
    "review TUI: answer to next card on screen": ("<=", 30.0),
    "topics: switch, event loop held up": ("<=", 50.0),
    "plot: redraw 92x28, 4 series, worst run length": ("<=", 10.0),
}
COMPARE = {"<=": operator.le, ">=": operator.ge}


def number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def derived_rows(values: dict[str, float]) -> list[list[str]]:
    """Figures that are ratios of two rows measured by different scripts."""
    rows = []
    numpy_epoch, torch_epoch = values.get("numpy-mlp time per epoch"), values.get("torch-mlp time per epoch")
    if numpy_epoch and torch_epoch:
        rows.append(["numpy-mlp epoch / torch-mlp epoch", f"{numpy_epoch / torch_epoch:.2f}", "x", "same shape, same machine"])
    return rows


def verdict(row: list[str]) -> tuple[str, str]:
    """(target text, PASS / FAIL / '') for one row."""
    name, value = row[0], row[1]
    if name not in TARGETS:
        return "", ""
    op, target = TARGETS[name]
    measured = number(value)
    if measured is None:
        return f"{op} {target:g}", "FAIL"
    return f"{op} {target:g}", "PASS" if COMPARE[op](measured, target) else "FAIL"


def run_script(script: Path, env: dict[str, str]) -> tuple[list[list[str]], str | None]:
    """The script's rows, and a one-line failure (or None)."""
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=DEADLINE_S)
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        return parse_rows(out), f"ran past its {DEADLINE_S:.0f} s deadline"
    failure = None
    if done.returncode != 0:
        failure = (done.stderr.strip().splitlines() or ["no output"])[-1][:80]
    return parse_rows(done.stdout), failure


def parse_rows(stdout: str) -> list[list[str]]:
    found = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in stdout.splitlines()
        if line.startswith("|") and not set(line) <= set("|-: ")
    ]
    return [(r + ["", "", "", ""])[:4] for r in found if r[:1] != ["name"]]


def main(selected: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="dltui-bench-") as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        for script in scripts:
            print(f"running {script.name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            found, failure = run_script(script, env)
            rows.extend(found)
            if failure:
                rows.append([script.stem, "FAILED", "", failure])
            print(f"  {script.name}: {len(found)} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    rows.extend(derived_rows({r[0]: v for r in rows if (v := number(r[1])) is not None}))
    table = [[r[0], r[1], r[2], *verdict(r), r[3]] for r in rows]
    header = ["figure", "measured", "unit", "target", "verdict", "note"]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    missing = sorted(set(TARGETS) - {r[0] for r in table})
    if missing:
        print(f"\nnot measured in this run: {', '.join(missing)}")
    failed = [r for r in table if r[4] == "FAIL" or r[1] == "FAILED"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
