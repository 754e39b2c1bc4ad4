"""The tutor sees the learner's work: `t` on a run in Labs opens the Chat on that run.

A real `numpy-lr-sweep` (four XOR runs, about a second each), the offline tutor, read off the screen.
"""

from __future__ import annotations

import re

from sqlmodel import select

from dltui.labs import records
from dltui.store.models import Assessment
from dltui.ui.app import DltuiApp
from journeys.conftest import last_reply, screen_text, type_text, wait_for_reply, wait_until
from journeys.test_labs_journeys import all_finished, launch, open_labs


def flat(app) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[▊▎▏▔▁▆▅▂▃▄▇█]", " ", screen_text(app)))


async def highlight_run(pilot, run_id: str) -> None:
    """Tab to the Runs list and arrow down to one run, as a learner does."""
    from dltui.ui.lab_runs import RunList

    runs = pilot.app.query_one(RunList)
    while not runs.has_focus:
        await pilot.press("tab")
    for _ in range(runs.option_count + 1):
        if runs.highlighted_run_id == run_id:
            return
        await pilot.press("down")
    raise AssertionError(f"{run_id} not reachable in the Runs list")


async def test_t_on_the_diverging_run_asks_about_it_and_records_the_answer(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(120, 40)) as pilot:
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
