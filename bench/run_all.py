"""Run every bench/bench_*.py and print their rows as one table.

Each script prints rows `| name | value | unit | note |` on stdout (other output is ignored).
`make bench` sets DLTUI_DATASETS to ../shared/datasets when that folder exists.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    rows: list[list[str]] = []
    failures = 0
    for script in scripts:
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        found = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in done.stdout.splitlines()
            if line.startswith("|") and not set(line) <= set("|-: ")
        ]
        rows.extend(r for r in found if r[:1] != ["name"])
        if done.returncode != 0:
            failures += 1
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            rows.append([script.stem, "FAILED", "", tail[:80]])
        print(f"  {script.name}: {len(found)} rows in {elapsed:.0f} s", file=sys.stderr, flush=True)
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows + [["benchmark", "value", "unit", "note"]]) for i in range(4)]
    header = ["benchmark", "value", "unit", "note"]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        row = (row + ["", "", "", ""])[:4]
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
