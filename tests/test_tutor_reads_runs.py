"""The tutor reads the learner's runs: Claude through `read_lab_run` / `compare_runs` (the real SDK
against the fake Messages API), the offline tutor through the same record and its diagnosis."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from dltui.labs import records
from dltui.store.models import Assessment, LabRun, RunStatus
from dltui.tutor.activity import LearnerActivity
from dltui.tutor.chat import Chat
from dltui.tutor.prompt import activity_part
from dltui.tutor.tools import MAX_RUN_TEXT
from fake_anthropic import FakeMessagesAPI, text_reply, tool_reply
from sqlmodel import select
from test_tutor_claude import KEY, Seen, open_context

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x1b[Houtput line"
# The XOR net at lr=10 (numpy-lr-sweep): swings between ~2.5 and ~6.9 and ends above its start.
SWINGING = [6.18, 2.63, 6.13, 6.91, 2.50, 6.28, 6.91, 2.47, 6.30, 6.91, 2.48, 6.28, 6.91] * 8
HEALTHY = [0.7 * math.exp(-k / 15) + 0.001 for k in range(100)]


def make_run(context, run_id: str, losses: list[float], params: dict, status=RunStatus.OK, stdout: str = "") -> LabRun:
    """A run folder as a lab writes it (events.jsonl, stdout.log) and its row, as the runner records it."""
    run_dir = Path(context.settings.runs_dir) / run_id
    run_dir.mkdir(parents=True)
    events = [{"v": 1, "type": "start", "lab": "numpy-xor", "params": params, "t": 0.0}]
    events += [
        {"v": 1, "type": "metrics", "step": i * 20, "epoch": i * 20, "values": {"train/loss": v}, "t": float(i)}
        for i, v in enumerate(losses)
    ]
    if status is not RunStatus.RUNNING:
        events.append({"v": 1, "type": "end", "status": status.value, "summary": {"train/loss": losses[-1]}, "t": 99.0})
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (run_dir / "stdout.log").write_text(stdout)
    return records.add_run(
        context.store,
        LabRun(id=run_id, lab_id="numpy-xor", params=params, status=status, run_dir=str(run_dir), final_metrics={"train/loss": losses[-1]}),
    )


@pytest.fixture
def api():
    with FakeMessagesAPI() as server:
        yield server


@pytest.fixture
def claude(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    context = open_context(tmp_path, api.url)
    yield context
    context.close()


async def test_claude_reads_a_run_and_the_next_request_carries_the_record(claude, api):
    make_run(claude, "numpy-xor-20261206-101010-ab12", SWINGING * 40, {"lr": 10.0}, stdout=(HOSTILE + "\n") * 3)
    api.queue(
        tool_reply("Let me look. ", "read_lab_run", ['{"run_id": "numpy-xor', '-20261206-101010-ab12"}']),
        text_reply("Your loss swings between 2.5 and 6.9. What does that say about the step size?"),
    )
    chat = Chat(claude, retry_delays=(0, 0, 0))
    seen = Seen()
    reply = await chat.send("Why does my run look like that?", seen.text, seen.tool)
    assert reply.status == "complete" and [t.is_error for t in seen.tools] == [False]
    [result] = [block for block in api.requests[1]["body"]["messages"][-1]["content"] if block["type"] == "tool_result"]
    record = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
    assert "numpy-xor-20261206-101010-ab12" in record and "lr" in record and "diverging" in record
    assert len(record) <= MAX_RUN_TEXT  # 520 points and a long output, bounded
    assert "\x1b" not in record and "\x07" not in record and "output line" in record


async def test_compare_runs_names_what_differs_and_a_bad_id_is_an_error_for_the_model(claude, api):
    make_run(claude, "numpy-xor-sweep-0001", HEALTHY, {"lr": 1.0, "hidden": 8})
    make_run(claude, "numpy-xor-sweep-0002", SWINGING, {"lr": 10.0, "hidden": 8})
    api.queue(
        tool_reply("", "compare_runs", ['{"run_ids": ["numpy-xor-sweep-0001", "numpy-xor-sweep-0002"]}']),
        tool_reply("", "read_lab_run", ['{"run_id": "numpy-xor%"}'], tool_id="toolu_02"),
        text_reply("Which one diverged?"),
    )
    chat = Chat(claude, retry_delays=(0, 0, 0))
    seen = Seen()
    await chat.send("compare my sweep", seen.text, seen.tool)
    assert [t.is_error for t in seen.tools] == [False, True]
    table = seen.tools[0].content
    assert "lr" in table and "10" in table and "hidden" not in table  # only the parameters that differ
    assert "diverging" in table and "healthy" in table


async def test_the_offline_tutor_asks_about_the_run_then_records_the_answer(context):
    run = make_run(context, "numpy-xor-20261206-111111-cd34", SWINGING, {"lr": 10.0})
    chat = Chat(context, tutor_kind="offline")
    seen = Seen()
    opening = await chat.send(f"Let's look at my run {run.id}.", seen.text, seen.tool)
    assert run.id in opening.text and opening.text.rstrip().endswith("?")
    assert "learning rate" not in opening.text.split("What I read")[-1].lower()  # asks, does not tell
    answer = await chat.send("the learning rate is too large so the steps overshoot", seen.text, seen.tool)
    assert "Source" in answer.text or "source" in answer.text
    with context.store.session() as session:
        [assessed] = session.exec(select(Assessment)).all()
    assert assessed.topic_id == "gradient-descent" and assessed.level.value == "strong" and run.id in assessed.evidence


async def test_a_wrong_reading_gets_a_hint_then_the_explanation_and_needs_work(context):
    run = make_run(context, "numpy-xor-20261206-121212-ef56", SWINGING, {"lr": 10.0})
    chat = Chat(context, tutor_kind="offline")
    seen = Seen()
    await chat.send(f"run {run.id}", seen.text, seen.tool)
    first = await chat.send("it needs more epochs", seen.text, seen.tool)
    assert "Hint" in first.text
    second = await chat.send("maybe the data is wrong", seen.text, seen.tool)
    assert "Let me show you" in second.text
    with context.store.session() as session:
        [assessed] = session.exec(select(Assessment)).all()
    assert assessed.level.value == "needs_work" and assessed.topic_id == "gradient-descent"


def test_the_prompt_carries_the_run_on_screen_and_asks_first_only_after_t(context):
    run = make_run(context, "numpy-xor-20261206-131313-aa00", HEALTHY, {"lr": 1.0}, status=RunStatus.RUNNING)
    watching = activity_part(context, LearnerActivity.watching_run(run.id))
    asked = activity_part(context, LearnerActivity.watching_run(run.id, asked=True))
    assert run.id in watching and "healthy" in watching and "pressed t" not in watching
    assert "pressed t" in asked
    more = run.run_dir + "/events.jsonl"
    with open(more, "a") as events:  # a new epoch arrives: the next turn's context has it
        events.write(json.dumps({"v": 1, "type": "metrics", "step": 9999, "values": {"train/loss": 0.000123}}) + "\n")
    assert "9999" in activity_part(context, LearnerActivity.watching_run(run.id))
