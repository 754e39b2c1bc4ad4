"""The Chat area through Pilot, with the real SDK against the fake Messages API."""

import pytest
from dltui.context import StudyContext
from dltui.settings import load_settings
from dltui.srs.mastery import topic_mastery
from dltui.tutor import history
from dltui.ui.app import DltuiApp
from dltui.ui.chat import InfoLine, TutorMessage, UserMessage
from fake_anthropic import FakeMessagesAPI, HttpError, text_reply, tool_reply

KEY = "sk-ant-test-NEVER-STORE-ME-42"


@pytest.fixture
def api():
    with FakeMessagesAPI() as server:
        yield server


@pytest.fixture
def claude(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": api.url})
    context = StudyContext.open(settings=settings)
    yield context
    context.close()


async def type_and_send(pilot, text):
    app = pilot.app
    app.set_focus(app.query_one("#chat-input"))
    await pilot.press(*text)
    await pilot.press("enter")


async def wait_for_reply(pilot):
    pane = pilot.app.query_one("ChatPane")
    await pilot.pause()
    for _ in range(200):
        if not pane.replying:
            break
        await pilot.pause(0.05)
    await pilot.pause()


async def test_question_streams_an_answer_and_the_assessment_lands_on_mastery(claude, api):
    api.queue(
        tool_reply(
            "Good question. ",
            "record_assessment",
            ['{"topic_id": "convolution", "level": "strong",', ' "confidence": 0.9, "evidence": "computed output sizes"}'],
        ),
        text_reply("An output is ", "floor((n + 2p - k)/s) + 1 wide."),
    )
    before = topic_mastery(claude)["convolution"]
    app = DltuiApp(claude)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Claude" in str(app.query_one("#chat-status").render())
        await type_and_send(pilot, "How wide is a conv output?")
        await wait_for_reply(pilot)
        assert [str(w.render()) for w in app.query(UserMessage)][-1].endswith("How wide is a conv output?")
        [reply] = app.query(TutorMessage)
        assert reply.source == "Good question. \n\nAn output is floor((n + 2p - k)/s) + 1 wide."
        lines = [str(w.render()) for w in app.query(InfoLine)]
        assert "✎ assessed Convolution: kernels, padding, stride, output sizes, parameter counts: strong" in lines
        assert "Convolution" in str(app.query_one("#chat-status").render())  # current topic followed
        await pilot.press("f2")  # the topic map shows the new mastery
        await pilot.pause()
        tree = app.query_one("#topic-tree")
        [label] = [str(leaf.label) for domain in tree.root.children for leaf in domain.children if leaf.data == "convolution"]
        assert label.startswith("◐ C1") and not label.endswith(" 0%")
    after = topic_mastery(claude)["convolution"]
    assert before.assessment is None and after.assessment.value == "strong" and after.fraction > before.fraction


async def test_a_replys_first_words_are_drawn_at_once_not_held_for_the_batch(claude, api, monkeypatch):
    # Streamed text is drawn in batches (one layout per batch), but the first words end the wait
    # the learner feels: they are drawn as they come. Here the batch pace is set far beyond the
    # test's patience, and the API stalls after the first words.
    monkeypatch.setattr("dltui.ui.chat.STREAM_BATCH_S", 60.0)
    api.queue(text_reply("Before I explain, ", "what do you know?", pause=3.0))
    app = DltuiApp(claude)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_send(pilot, "teach me gradient descent")
        reply = None
        for _ in range(100):  # 5 s: the second piece is 3 s away, a batch 60 s
            await pilot.pause(0.05)
            if (replies := app.query(TutorMessage)) and replies.last().source:
                reply = replies.last()
                break
        assert reply is not None and reply.source == "Before I explain, "
        await pilot.press("escape")  # the rest of the reply is not waited for


async def test_error_keeps_the_conversation_and_retry_answers(claude, api):
    api.queue(HttpError(401, "authentication_error", "invalid key"))
    app = DltuiApp(claude)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_send(pilot, "hello?")
        await wait_for_reply(pilot)
        errors = [str(w.render()) for w in app.query(InfoLine) if w.has_class("error")]
        assert any("Key rejected" in e for e in errors)
        api.queue(text_reply("Hello again."))
        await pilot.press("ctrl+r")
        await wait_for_reply(pilot)
        assert app.query(TutorMessage)[-1].source == "Hello again."
    [conversation] = history.recent_conversations(claude)
    roles = [m.role for m in history.messages_of(claude, conversation.id)]
    assert roles == ["user", "notice", "assistant"]


async def test_escape_stops_a_reply_and_history_resumes(claude, api):
    api.queue(text_reply("one ", "two ", "three ", "four ", "five", pause=0.3))
    app = DltuiApp(claude)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_send(pilot, "count slowly")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.query(TutorMessage) and "two" in app.query(TutorMessage)[-1].source:
                break
        await pilot.press("escape")
        await wait_for_reply(pilot)
        assert any("Stopped" in str(w.render()) for w in app.query(InfoLine))
    # a new app resumes the last conversation, the partial reply marked
    app = DltuiApp(claude)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        [reply] = app.query(TutorMessage)
        assert reply.stopped and "stopped before the end" in reply.source and "five" not in reply.source


async def test_offline_chat_without_key(context, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    app = DltuiApp(context)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "offline tutor" in str(app.query_one("#chat-status").render())
        assert any("No ANTHROPIC_API_KEY" in str(w.render()) for w in app.query(InfoLine))
        await type_and_send(pilot, "topic linear algebra")
        await wait_for_reply(pilot)
        assert "Linear algebra and matrix shapes" in app.query(TutorMessage)[-1].source


async def test_api_key_never_lands_in_database_exports_or_notes(claude, api):
    api.queue(
        tool_reply(
            "",
            "add_review_card",
            ['{"topic_id": "rnn", "front": "What is BPTT?", "back": "Backprop through the unrolled net", "source": "d2l 9.7"}'],
        ),
        text_reply("Added a card."),
        HttpError(401, "authentication_error", "invalid key"),
    )
    app = DltuiApp(claude)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_send(pilot, "make me a card")
        await wait_for_reply(pilot)
        await type_and_send(pilot, "and again")
        await wait_for_reply(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
    data_dir = claude.settings.data_dir
    claude.store.close()  # flush the WAL into the file
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".md" for p in files), "the export was written"
    for path in files:
        assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"
