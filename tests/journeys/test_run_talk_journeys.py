"""The tutor sees the learner's work: `t` on a run in Labs opens the Chat on that run.

A real `numpy-lr-sweep` (four XOR runs, about a second each), the offline tutor, read off the screen.
"""

from __future__ import annotations

import re

from dltui.labs import records
from dltui.store.models import Assessment
from dltui.ui.app import DltuiApp
from journeys.conftest import last_reply, screen_text, type_text, wait_for_reply, wait_until
from journeys.test_labs_journeys import all_finished, launch, open_labs
from sqlmodel import select


def flat(app) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[▊▎▏▔▁▆▅▂▃▄▇█]", " ", screen_text(app)))


async def highlight_run(pilot, run_id: str) -> None:
    """Tab to the Runs list and arrow down to one run, as a learner does."""
    from dltui.ui.labs.run_list import RunList

    runs = pilot.app.query_one(RunList)
    while not runs.has_focus:
        await pilot.press("tab")
    for _ in range(runs.option_count + 1):
        if runs.highlighted_run_id == run_id:
            return
        await pilot.press("down")
    raise AssertionError(f"{run_id} not reachable in the Runs list")


async def test_t_on_the_diverging_run_asks_about_it_and_records_the_answer(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await open_labs(pilot)
        await launch(pilot, "numpy-lr-sweep")
        runs = await all_finished(pilot, learner, 4)
        diverging = next(r for r in runs if float(r.params["lr"]) == 10.0)
        await highlight_run(pilot, diverging.id)
        before = last_reply(app)
        await pilot.press("t")
        assert await wait_for_reply(pilot, before)
        await pilot.pause(0.2)
        screen = flat(app)
        assert f"run {diverging.id}" in screen and "F1 Chat" in screen
        assert await wait_until(pilot, lambda: f"Run {diverging.id}: ok" in flat(app))  # the header follows the run
        reply = [m for m in app.query_one("ChatPane").chat.messages() if m.role == "assistant"][-1].content
        assert diverging.id in reply and reply.rstrip().endswith("?"), reply
        assert re.search(r"higher than it started|swing|NaN|diverg", reply, re.IGNORECASE), reply
        assert app.focused is not None and app.focused.id == "chat-input"

        before = last_reply(app)
        await type_text(pilot, "the learning rate is too large, so each step overshoots the minimum")
        await pilot.press("enter")
        assert await wait_for_reply(pilot, before)
    with learner.store.session() as session:
        assessed = session.exec(select(Assessment).where(Assessment.topic_id == "gradient-descent")).all()
    assert [a.level.value for a in assessed] in (["strong"], ["partial"])
    assert diverging.id in assessed[0].evidence
    [notes] = learner.settings.sessions_dir.glob("*/session-notes.md")  # written as the app closed
    text = notes.read_text()
    assert "Gradient descent and mini-batches: strong" in text or "Gradient descent and mini-batches: partial" in text
    assert diverging.id in text


async def test_t_without_a_run_says_how_to_get_one(learner):
    app = DltuiApp(learner, start_area="labs")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.query_one("LabsPane").ready)
        await pilot.press("t")
        assert await wait_until(pilot, lambda: "Pick a run in the Runs list" in screen_text(app))
        assert records.recent_runs(learner.store) == []


async def launch_with(pilot, lab_id: str, fields: dict[str, str]) -> None:
    """r on the lab, Tab down the form to each field and type into it, Ctrl+R to run."""
    from journeys.test_labs_journeys import move_to_lab
    from textual.widgets import Input

    await move_to_lab(pilot, lab_id)
    await pilot.press("r")
    await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ == "LabForm")
    for field_id, value in fields.items():
        field = pilot.app.screen.query_one(f"#{field_id}", Input)
        while not field.has_focus:
            await pilot.press("tab")
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, value)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ != "LabForm")


async def test_predict_then_run_a_sweep_is_drawn_scored_and_a_surprise_opens_the_chat(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_labs(pilot)
        await launch_with(pilot, "numpy-lr-sweep", {"predict-sweep": "10=diverges, 1=diverges"})
        runs = await all_finished(pilot, learner, 4)
        by_lr = {float(r.params["lr"]): r for r in runs}
        # The wrong one (lr=1 converges) opens the Chat, where the tutor asks why it differed.
        assert await wait_until(pilot, lambda: f"run {by_lr[1.0].id}" in flat(app), timeout=20)
        pane = app.query_one("ChatPane")
        assert await wait_until(pilot, lambda: not pane.replying and last_reply(app) is not None)
        reply = [m for m in pane.chat.messages() if m.role == "assistant"][-1].content
        assert "you predicted" in reply.lower() and reply.rstrip().endswith("?"), reply
        await pilot.press("f4")  # the sweep is still overlaid: the legend says which prediction came true
        assert await wait_until(pilot, lambda: "you said: diverges ✓" in flat(app) and "you said: diverges ✗" in flat(app))
    with learner.store.session() as session:
        scored = session.exec(select(Assessment).where(Assessment.assessor == "prediction")).all()
    assert sorted((a.topic_id, a.level.value) for a in scored) == [("debugging-training", "needs_work"), ("gradient-descent", "strong")]


async def test_a_predicted_metric_is_drawn_as_a_line_over_the_curve(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_labs(pilot)
        await launch_with(pilot, "numpy-xor", {"predict-shape": "converges", "predict-value": "1.0"})
        await all_finished(pilot, learner, 1)
        assert await wait_until(pilot, lambda: "your prediction" in flat(app) and "you said: converges ✓" in flat(app))
