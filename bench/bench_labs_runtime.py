"""Lab runtime: how fast the TUI takes in events while staying responsive, and what watching costs a lab.

1. A flood lab writes EVENTS metrics/progress events as fast as it can, in big batches; the Labs
   area (headless, 120x40) plots it. Measured: events per second taken in (launch to last event
   read), the event loop's lag meanwhile (a 10 ms sleep that wakes late), and key presses handled
   meanwhile (Pilot press, which waits until every widget processed the key).
2. A CPU-bound lab (arithmetic per step, metrics + progress each step, ~50 events/s) runs alone
   (headless: nothing reads its file until it ends) and with the TUI attached and plotting it;
   the ratio of their steps per second is the TUI's overhead on a lab (1.00 = none). Runs
   alternate, best of REPEATS each, in the same process, on this machine.

Prints rows `| name | value | unit | note |`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

EVENTS = 200_000
CPU_STEPS = 150
SPIN = int(os.environ.get("BENCH_LABS_SPIN", "150000"))  # ~10-20 ms of arithmetic per step
REPEATS = 3

FLOOD = textwrap.dedent(
    """
    import json, os, time
    from pathlib import Path
    n = int(os.environ.get("BENCH_EVENTS", "1000"))
    out = open(Path(os.environ["DLTUI_RUN_DIR"]) / "events.jsonl", "w")
    out.write(json.dumps({"v": 1, "type": "start", "lab": "flood", "params": {}, "t": time.time()}) + "\\n")
    batch = []
    for i in range(1, n + 1):
        if i % 2:
            values = {"train/loss": 1 / i, "val/loss": 1.1 / i, "train/acc": 1 - 1 / i, "val/acc": 1 - 1.2 / i}
            batch.append(json.dumps({"v": 1, "type": "metrics", "step": i, "epoch": i / 1000, "values": values, "t": 1.0}))
        else:
            batch.append(json.dumps({"v": 1, "type": "progress", "done": i, "total": n, "unit": "step", "t": 1.0}))
        if len(batch) == 5000:
            out.write("\\n".join(batch) + "\\n"); out.flush(); batch = []
    out.write("\\n".join(batch + [json.dumps({"v": 1, "type": "end", "status": "ok", "summary": {}})]) + "\\n")
    out.close()
    """
)

CPU_LAB = textwrap.dedent(
    """
    import argparse, sys, time
    sys.path.insert(0, {labs!r})
    from labkit.events import Reporter
    p = argparse.ArgumentParser(); p.add_argument("--steps", type=int); p.add_argument("--spin", type=int)
    a = p.parse_args()
    with Reporter("cpu") as rep:
        rep.start(vars(a))
        began = time.perf_counter()
        for step in range(1, a.steps + 1):
            total = 0.0
            for i in range(a.spin):
                total += i * 0.5
            rep.metrics(step, {{"train/loss": 1.0 / step, "train/acc": 1 - 1.0 / step}}, epoch=step / 50)
            rep.progress(step, a.steps)
        rep.end("ok", {{"steps_per_s": a.steps / (time.perf_counter() - began)}})
    """
)


def row(name: str, value: str, unit: str, note: str) -> None:
    print(f"| {name} | {value} | {unit} | {note} |", flush=True)


def make_labs(folder: Path) -> Path:
    labs = folder / "labs"
    for lab_id, program in (("flood", FLOOD), ("cpu", CPU_LAB.format(labs=str(ROOT / "labs")))):
        (labs / lab_id).mkdir(parents=True)
        (labs / lab_id / "run.py").write_text(program)
        params = ""
        if lab_id == "cpu":
            params = '[params.steps]\ntype = "int"\ndefault = 10\n[params.spin]\ntype = "int"\ndefault = 10\n'
        (labs / lab_id / "lab.toml").write_text(f'id = "{lab_id}"\ncommand = ["{{python}}", "run.py"]\n{params}')
    return labs


def open_context(folder: Path, labs: Path):
    from dltui.context import StudyContext
    from dltui.settings import load_settings

    settings = load_settings(folder / "data" / "tutor.db", env={})
    return StudyContext.open(settings=dataclasses.replace(settings, labs_dir=labs))


async def flood_in_tui(folder: Path, labs: Path) -> dict:
    from dltui.ui.app import DltuiApp
    from dltui.ui.labs.metric_plot import MetricPlot
    from dltui.ui.labs.pane import LabsPane
    from textual import events

    os.environ["BENCH_EVENTS"] = str(EVENTS)
    context = open_context(folder, labs)
    app = DltuiApp(context, start_area="labs")
    lags: list[float] = []
    presses: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(LabsPane)
        while not pane.ready:
            await pilot.pause(0.05)
        app.query_one("#run-list").focus()
        done = asyncio.Event()

        async def probe() -> None:
            while not done.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)

        probing = asyncio.create_task(probe())
        started = time.perf_counter()
        [run] = pane.runner.launch(pane.runner.registry.get("flood"))
        pane.show_runs([run.id])
        monitor = pane.runner.monitor(run, catch_up=False)
        plot = app.query_one(MetricPlot)
        view = plot.view
        drawn = plot.render
        renders = 0

        def counted_render():  # how often the plot is redrawn, counted here: the widget keeps no count
            nonlocal renders
            renders += 1
            return drawn()

        plot.render = counted_render
        while run.id in pane.runner.running:
            # a key as the terminal would deliver it; handled = the log-scale toggle took effect
            expected = not view.log_scale
            before = time.perf_counter()
            key = events.Key("l", "l")  # as the terminal driver delivers a key (Pilot adds waits)
            key.set_sender(app)
            app._driver.send_message(key)
            while view.log_scale != expected:
                await asyncio.sleep(0.001)
            presses.append(time.perf_counter() - before)
            await asyncio.sleep(0.25)
        elapsed = time.perf_counter() - started
        done.set()
        await probing
        events = monitor.tail.events
    context.close()
    return {"events": events, "elapsed": elapsed, "lags": lags, "presses": presses, "renders": renders}


def cpu_headless(folder: Path, labs: Path) -> float:
    """The lab alone: started by the runner, nobody reading its events until it ends."""
    from dltui.labs.runner import LabRunner

    context = open_context(folder, labs)
    runner = LabRunner(context.settings, context.store)
    run = runner.start(runner.registry.get("cpu"), {"steps": CPU_STEPS, "spin": SPIN})
    runner._processes[run.id].popen.wait()
    finished = runner.wait(run, timeout=60)
    context.close()
    return float(finished.final_metrics["steps_per_s"])


async def cpu_with_tui(folder: Path, labs: Path) -> tuple[float, float]:
    """Steps per second of the lab with the TUI plotting it, and the TUI's CPU use (cores)."""
    from dltui.labs import records
    from dltui.ui.app import DltuiApp
    from dltui.ui.labs.pane import LabsPane

    context = open_context(folder, labs)
    app = DltuiApp(context, start_area="labs")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(LabsPane)
        while not pane.ready:
            await pilot.pause(0.05)
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        [run] = pane.runner.launch(pane.runner.registry.get("cpu"), {"steps": CPU_STEPS, "spin": SPIN})
        pane.show_runs([run.id])
        while run.id in pane.runner.running:
            await pilot.pause(0.1)
        tui_cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        value = float(records.get_run(context.store, run.id).final_metrics["steps_per_s"])
    context.close()
    return value, tui_cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> int:
    print("| name | value | unit | note |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        labs = make_labs(folder)
        flood = asyncio.run(flood_in_tui(folder / "flood", labs))
        rate = flood["events"] / flood["elapsed"]
        row(
            "labs: events taken in by the TUI",
            f"{rate:,.0f}",
            "events/s",
            f"{flood['events']:,} events from a flood lab, plotted live at 120x40",
        )
        row(
            "labs: event-loop lag while taking them in (p95)",
            f"{percentile(flood['lags'], 0.95) * 1000:.0f}",
            "ms",
            f"max {max(flood['lags']) * 1000:.0f} ms over {len(flood['lags'])} 10 ms sleeps",
        )
        row(
            "labs: key press to its effect while taking them in (median)",
            f"{statistics.median(flood['presses']) * 1000:.0f}",
            "ms",
            f"p95 {percentile(flood['presses'], 0.95) * 1000:.0f} ms, max {max(flood['presses']) * 1000:.0f} ms "
            f"over {len(flood['presses'])} presses; {flood['renders']} plot redraws",
        )
        headless, attached, tui_cpu = [], [], []
        for attempt in range(REPEATS):
            headless.append(cpu_headless(folder / f"alone-{attempt}", labs))
            rate, cpu = asyncio.run(cpu_with_tui(folder / f"tui-{attempt}", labs))
            attached.append(rate)
            tui_cpu.append(cpu)
        best_alone, best_tui = max(headless), max(attached)
        row(
            "labs: TUI CPU use while plotting a lab",
            f"{statistics.median(tui_cpu) * 100:.0f}",
            "% of a core",
            "median; Pilot headless at 120x40, ~100 events/s",
        )
        row("labs: CPU-bound lab alone", f"{best_alone:.1f}", "steps/s", f"best of {REPEATS}; {SPIN:,} additions a step")
        row("labs: CPU-bound lab with the TUI attached", f"{best_tui:.1f}", "steps/s", f"best of {REPEATS}, plotted live")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        row(
            "labs: throughput with TUI / alone",
            f"{best_tui / best_alone:.2f}",
            "x",
            f"1.00 = no overhead; {os.cpu_count()} CPU cores, load average {load}",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
