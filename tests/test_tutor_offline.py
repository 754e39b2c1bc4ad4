"""The offline tutor carries a learner through one topic, recording through the shared tools."""

from dltui.srs.mastery import topic_mastery
from dltui.store.models import Assessment, KnowledgeGap, Message
from dltui.tutor.chat import Chat
from dltui.tutor.matching import covered_points
from sqlmodel import select


async def say(chat, text):
    pieces, tools = [], []
    reply = await chat.send(text, pieces.append, tools.append)
    assert "".join(pieces) == reply.text  # streamed piece by piece, nothing lost
    return reply, [t.line for t in tools]


def test_key_point_matching():
    points = ["W is (300, 10)", "b is (10,) and is broadcast over the batch", "output is (64, 10)"]
    assert covered_points("W is 300 by 10, b has 10 entries broadcast over the batch, output 64 x 10", points) == [True, True, True]
    assert covered_points("W is 10 by 300", points)[2] is False
    assert covered_points("no idea", ["inner dimensions must match"]) == [False]


async def test_offline_tutor_teaches_one_topic_end_to_end(context):
    chat = Chat(context, tutor_kind="offline")
    assert chat.kind == "offline"
    topic = context.curriculum.topics["linear-algebra"]
    opener, first_check, second_check = topic.questions[:3]

    reply, _ = await say(chat, "I'd like to study linear algebra")
    assert "Linear algebra and matrix shapes" in reply.text and opener.prompt in reply.text
    assert chat.topic_id == "linear-algebra"

    reply, _ = await say(chat, "I think the inner dimensions must match")
    assert "you already know" in reply.text.lower() and "inner dimensions must match" in reply.text
    assert topic.explanation[:60] in reply.text and first_check.prompt in reply.text

    # right first time
    reply, _ = await say(chat, "W is 300 by 10, b is 10 and broadcast over the batch, output is 64 by 10")
    assert reply.text.startswith("Yes") and second_check.prompt in reply.text

    # wrong: a hint; wrong again: explained another way; a third time: the key points and a gap
    reply, tools = await say(chat, "because of the learning rate")
    assert "Hint:" in reply.text and second_check.hint in reply.text and tools == []
    reply, tools = await say(chat, "still no idea")
    assert "another way" in reply.text and second_check.prompt in reply.text and tools == []
    reply, tools = await say(chat, "no idea at all")
    for point in second_check.key_points:
        assert point in reply.text
    assert tools[0].startswith("⚑ gap in Linear algebra")

    remaining = [q for q in topic.questions[3:] if q.kind.value == "check"]
    for question in remaining:
        reply, tools = await say(chat, " ".join(question.key_points))
    assert any(line.startswith("✎ assessed Linear algebra") for line in tools)

    with context.store.session() as session:
        [assessment] = session.exec(select(Assessment)).all()
        [gap] = session.exec(select(KnowledgeGap)).all()
        opener_answer = session.exec(select(Message).where(Message.role == "assistant")).all()[1]
    assert assessment.topic_id == "linear-algebra" and assessment.assessor == "offline"
    assert assessment.level.value == ("needs_work" if len(remaining) == 0 else "partial")
    assert gap.topic_id == "linear-algebra" and second_check.prompt in gap.description
    assert opener_answer.meta["offline"]["knew_at_first"]["covered"] == ["inner dimensions must match"]
    mastery = topic_mastery(context)["linear-algebra"]
    assert mastery.assessment is assessment.level and mastery.state.value != "not_started"


async def test_offline_state_survives_a_restart(context):
    chat = Chat(context, tutor_kind="offline")
    await say(chat, "topic linear algebra")
    resumed = Chat(context, conversation_id=chat.conversation_id)
    reply, _ = await say(resumed, "hint")  # still at the opener: a hint is not a command there
    assert resumed.kind == "offline"
    assert context.curriculum.topics["linear-algebra"].explanation[:40] in reply.text


async def test_offline_suggests_topics_and_accepts_a_number(context):
    chat = Chat(context, tutor_kind="offline")
    reply, _ = await say(chat, "next")
    assert "1. **" in reply.text
    offered = (await _last_assistant_meta(context))["offered"]
    reply, _ = await say(chat, "1")
    assert chat.topic_id == offered[0]


async def _last_assistant_meta(context):
    with context.store.session() as session:
        message = session.exec(select(Message).where(Message.role == "assistant").order_by(Message.id.desc())).first()
    return message.meta["offline"]


async def test_a_short_name_picks_the_topic_it_abbreviates_not_one_that_mentions_it(context):
    # "backprop" is a word of the RNN topic's title ("... backprop through time"), but a learner
    # who says it means Backpropagation: the topic whose whole title it names wins.
    for said, expected in [("explain backprop", "backpropagation"), ("backprop through time", "rnn")]:
        chat = Chat(context, tutor_kind="offline")
        await say(chat, said)
        assert chat.topic_id == expected, said


async def test_a_question_that_names_a_topic_by_its_short_name_is_answered_from_that_topic(context):
    # Asked before any topic is open, "what is backprop" is answered from Backpropagation, not from
    # the RNN topic whose text says "backprop" most; "... through time" still goes to the RNN topic.
    for asked, expected in [
        ("what is backprop", "Backpropagation"),
        ("how does backprop work", "Backpropagation"),
        ("what is backprop through time", "Recurrent neural networks"),
    ]:
        chat = Chat(context, tutor_kind="offline")
        reply, _ = await say(chat, asked)
        assert reply.text.startswith(f"From **{expected}"), (asked, reply.text[:80])
