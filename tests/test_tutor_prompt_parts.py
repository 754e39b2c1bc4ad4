"""Each part of the tutor's system prompt is there when it should be and absent when not (issue 18):
hints, the opener, grading against key points, prerequisites, the topic's sources, what the
learner is doing now, and the teaching rules in CLAUDE.md. The last tests send a real request
through the anthropic SDK to the fake Messages API and read the system prompt it carried."""

from dataclasses import replace

import pytest
from dltui.context import StudyContext
from dltui.labs.records import add_run
from dltui.settings import load_settings
from dltui.srs.sync import sync_cards
from dltui.store.models import LabRun, RunStatus
from dltui.tutor.activity import LearnerActivity
from dltui.tutor.chat import Chat
from dltui.tutor.prompt import curriculum_index, learner_context, system_blocks, tutor_rules
from fake_anthropic import FakeMessagesAPI, text_reply


def _topic(context, topic_id):
    return context.curriculum.topics[topic_id]


def test_every_question_reaches_the_model_with_its_hint(context):
    topic = _topic(context, "backpropagation")
    prompt = learner_context(context, topic.id)
    for question in topic.questions:
        assert question.prompt in prompt and f"hint: {question.hint}" in prompt


def test_the_opener_is_marked_and_asked_first(context):
    topic = _topic(context, "backpropagation")
    opener = next(q for q in topic.questions if q.kind.value == "opener")
    prompt = learner_context(context, topic.id)
    assert f"[opener: ask this first, before explaining] {opener.prompt}" in prompt
    assert prompt.count("[opener") == 1


def test_no_opener_marker_when_the_topic_has_none(context):
    topic = _topic(context, "backpropagation")
    checks_only = replace(topic, questions=tuple(q for q in topic.questions if q.kind.value != "opener"))
    context.curriculum.topics[topic.id] = checks_only
    assert "[opener" not in learner_context(context, topic.id)


def test_key_points_are_for_grading_not_reciting(context):
    prompt = learner_context(context, "backpropagation")
    assert "grade the learner's answer against" in prompt and "not to recite" in prompt


def test_without_a_topic_there_are_no_questions_hints_or_sources(context):
    prompt = learner_context(context, None)
    assert "hint:" not in prompt and "[opener" not in prompt and "key points" not in prompt
    assert "Sources" not in prompt and "Prerequisites" not in prompt


def test_curriculum_index_gives_prerequisites_only_where_there_are_some(context):
    index = curriculum_index(context)
    assert "- backpropagation: Backpropagation (after: loss-functions, calculus-chain-rule)" in index
    [linear_algebra] = [line for line in index.splitlines() if line.startswith("  - linear-algebra:")]
    assert "after:" not in linear_algebra


def test_current_topic_names_its_prerequisites(context):
    assert "Prerequisites: loss-functions (Loss functions" in learner_context(context, "backpropagation")
    assert "Prerequisites" not in learner_context(context, "linear-algebra")


def test_sources_are_given_as_the_ones_to_cite(context):
    topic = _topic(context, "backpropagation")
    prompt = learner_context(context, topic.id)
    assert "Sources (prefer these when you cite" in prompt
    assert all(f"- {s.title}: {s.url}" in prompt for s in topic.sources)


def test_no_activity_part_until_the_ui_sets_one(context):
    assert context.activity is None
    assert "What the learner is doing now" not in learner_context(context, None)


def test_activity_reading_a_topic(context):
    context.activity = LearnerActivity.reading_topic("attention")
    prompt = learner_context(context, None)
    assert "## What the learner is doing now" in prompt
    assert "Reading Attention" in prompt and "(attention) in the Topics area" in prompt


def test_activity_failed_card_carries_the_card_and_the_learners_answer(context):
    sync_cards(context)
    card = context.curriculum.card("transformer/positional-encoding-value")
    context.activity = LearnerActivity.failed_card(card.id, "transformer", answer_given="0.0174")
    prompt = learner_context(context, None)
    assert "just failed a card" in prompt and card.front in prompt
    assert "Their answer: 0.0174" in prompt and f"The card's answer: {card.back}" in prompt and card.why in prompt


def test_activity_failed_card_without_a_typed_answer(context):
    sync_cards(context)
    card = context.curriculum.topics["calculus-chain-rule"].cards[0]
    context.activity = LearnerActivity.failed_card(card.id, "calculus-chain-rule")
    prompt = learner_context(context, None)
    assert "just failed a card" in prompt and card.front in prompt and "Their answer" not in prompt


def test_activity_failed_card_that_is_gone(context):
    context.activity = LearnerActivity.failed_card("calculus-chain-rule/x-missing", "calculus-chain-rule")
    assert "(The card is no longer in the deck.)" in learner_context(context, None)


def test_activity_watching_a_lab_run(context, tmp_path):
    add_run(context.store, LabRun(id="run-7", lab_id="numpy-xor", status=RunStatus.RUNNING, run_dir=str(tmp_path)))
    context.activity = LearnerActivity.watching_run("run-7")
    prompt = learner_context(context, None)
    assert "Looking at a lab run in the Labs area" in prompt and "numpy-xor run run-7: running" in prompt


@pytest.mark.parametrize(
    "rule",
    [
        "revisit it before anything new",  # a high-severity open gap
        "skip ahead",  # a strong learner
        "go back to the prerequisite",  # a weak prerequisite
        "ask how they got there",  # a wrong answer
        "in your own words",
        "recap",
        "hold your position",  # pushback on a correct claim
        "only as precisely as you are sure",
        "What the learner is doing now",
    ],
)
def test_teaching_rules_carry_the_new_rules(rule):
    assert rule in " ".join(tutor_rules().split())  # the rules wrap lines at 100 columns


def test_system_prompt_keeps_the_stable_part_cacheable(context):
    context.activity = LearnerActivity.reading_topic("attention")
    stable, learner = system_blocks(context, "backpropagation")
    assert "after: loss-functions" in stable["text"] and "## What the learner is doing now" not in stable["text"]
    assert "## What the learner is doing now" in learner["text"] and "cache_control" not in learner


async def test_the_real_request_carries_hints_opener_prerequisites_and_activity(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
    with FakeMessagesAPI() as api:
        settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": api.url})
        context = StudyContext.open(settings=settings)
        try:
            sync_cards(context)
            context.activity = LearnerActivity.failed_card("backpropagation/" + _first_card_suffix(context), "backpropagation", "7")
            chat = Chat(context, tutor_kind="claude", retry_delays=(0,))
            chat.set_topic("backpropagation")
            api.queue(text_reply("How did you get 7?"))
            reply = await chat.send("why did I get that wrong?", lambda _: None, lambda _: None)
        finally:
            context.close()
    assert reply.status == "complete"
    stable, learner = (block["text"] for block in api.requests[0]["body"]["system"])
    topic = context.curriculum.topics["backpropagation"]
    opener = next(q for q in topic.questions if q.kind.value == "opener")
    assert "(after: loss-functions, calculus-chain-rule)" in stable and "hold your" in stable
    assert f"[opener: ask this first, before explaining] {opener.prompt}" in learner
    assert all(f"hint: {q.hint}" in learner for q in topic.questions)
    assert "Prerequisites: loss-functions (" in learner
    assert "## What the learner is doing now" in learner and "Their answer: 7" in learner


def _first_card_suffix(context) -> str:
    return context.curriculum.topics["backpropagation"].cards[0].id.split("/", 1)[1]
