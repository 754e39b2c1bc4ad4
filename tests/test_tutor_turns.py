"""Learner turns are typed when stored; retry replaces a reply; a new chat follows the tutor setting."""

import os
import subprocess
import sys

from dltui.context import StudyContext
from dltui.settings import load_settings
from dltui.store.models import KnowledgeGap, Message
from dltui.tutor import history
from dltui.tutor.chat import Chat
from sqlmodel import select

TOPIC = "attention"


async def say(chat, text):
    return await chat.send(text, lambda piece: None, lambda outcome: None)


def learner_messages(context):
    with context.store.session() as session:
        return list(session.exec(select(Message).where(Message.role == "user").order_by(Message.id)))


def turn_of(message):
    return {k: message.meta[k] for k in ("turn", "check", "topic") if k in message.meta}


async def test_offline_turns_are_typed_when_stored(context):
    chat = Chat(context, tutor_kind="offline")
    topic = context.curriculum.topics[TOPIC]
    checks = [q for q in topic.questions if q.kind.value == "check"]
    await say(chat, "topic attention")
    await say(chat, "no idea")
    await say(chat, "what is the difference between Adam and SGD?")
    await say(chat, "hint")
    await say(chat, " ".join(checks[0].key_points))
    await say(chat, "skip")
    await say(chat, "explain")
    await say(chat, "next")
    turns = [turn_of(m) for m in learner_messages(context)]
    assert turns == [
        {"turn": "command", "topic": TOPIC},
        {"turn": "answer", "check": 0, "topic": TOPIC},
        {"turn": "question", "topic": TOPIC},
        {"turn": "hint_request", "check": 1, "topic": TOPIC},
        {"turn": "answer", "check": 1, "topic": TOPIC},
        {"turn": "command", "check": 2, "topic": TOPIC},
        {"turn": "command", "topic": TOPIC},
        {"turn": "command"},
    ]


async def test_claude_turns_are_question_or_message(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-turns")
    settings = load_settings(tmp_path / "data" / "tutor.db", env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "DLTUI_TUTOR": "claude"})
    context = StudyContext.open(settings=settings)
    chat = Chat(context, retry_delays=())
    assert chat.kind == "claude"
    await say(chat, "What is attention?")
    await say(chat, "I think it is a weighted average")
    assert [m.meta.get("turn") for m in learner_messages(context)] == ["question", "message"]
    context.close()


async def test_retry_replaces_the_reply_and_counts_nothing_twice(context):
    chat = Chat(context, tutor_kind="offline")
    await say(chat, "topic attention")
    await say(chat, "no idea")
    await say(chat, "because of the learning rate")  # miss 1: a hint
    first = await chat.answer(lambda piece: None, lambda outcome: None)  # Ctrl+R
    assert first.text.startswith("Not quite yet")
    await say(chat, "still the learning rate")  # miss 2: explained another way, no gap yet
    retried = await chat.answer(lambda piece: None, lambda outcome: None)
    assert "Not quite yet" not in retried.text and "another way" in retried.text
    roles = [m.role for m in chat.messages()]
    assert roles.count("assistant") == roles.count("user") == 4
    with context.store.session() as session:
        assert session.exec(select(KnowledgeGap)).all() == []
    await say(chat, "no clue at all")  # miss 3: the key points and one gap
    await chat.answer(lambda piece: None, lambda outcome: None)
    await chat.answer(lambda piece: None, lambda outcome: None)
    with context.store.session() as session:
        assert len(session.exec(select(KnowledgeGap)).all()) == 1
    assert [m.role for m in chat.messages()].count("tool") == 1
    last_state = [m for m in chat.messages() if m.role == "assistant"][-1].meta["offline"]
    assert last_state["position"] == 1 and last_state["attempts"] == 0


def test_a_new_chat_follows_the_setting_not_the_last_chat(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-setting")
    settings = load_settings(tmp_path / "data" / "tutor.db", env={"DLTUI_TUTOR": "claude"})
    context = StudyContext.open(settings=settings)
    old = history.start_conversation(context, "offline")
    assert Chat(context, conversation_id=old.id).kind == "offline"  # an old chat keeps its tutor
    fresh = Chat(context)
    assert fresh.kind == "claude" and fresh.tutor_label.startswith("Claude")
    context.close()


def test_anthropic_is_imported_on_the_first_message_not_when_a_chat_opens(tmp_path):
    script = (
        "import sys\n"
        "from dltui.context import StudyContext\n"
        "from dltui.settings import load_settings\n"
        "from dltui.tutor.chat import Chat\n"
        f"settings = load_settings({str(tmp_path / 'tutor.db')!r}, env={{'DLTUI_TUTOR': 'claude'}})\n"
        "context = StudyContext.open(settings=settings)\n"
        "chat = Chat(context)\n"
        "print(chat.kind, chat.tutor_label, 'anthropic' in sys.modules)\n"
    )
    env = {"ANTHROPIC_API_KEY": "sk-ant-test-lazy", "PATH": "/usr/bin:/bin"}
    if "PYTHONPATH" in os.environ:  # the dltui under test, when it is not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "claude" and done.stdout.split()[-1] == "False"


APP_WITH_A_KEY = (
    "import asyncio, sys\n"
    "sys.path.insert(0, sys.argv[2])  # tests/: the fake Messages API\n"
    "from fake_anthropic import FakeMessagesAPI, text_reply\n"
    "from dltui.context import StudyContext\n"
    "from dltui.settings import load_settings\n"
    "from dltui.ui.app import DltuiApp\n"
    "async def main():\n"
    "    with FakeMessagesAPI() as api:\n"
    "        api.queue(text_reply('Hello.'))\n"
    "        context = StudyContext.open(settings=load_settings(sys.argv[1], env={'ANTHROPIC_BASE_URL': api.url}))\n"
    "        app = DltuiApp(context)\n"
    "        async with app.run_test(size=(80, 24)) as pilot:\n"
    "            await pilot.pause()\n"
    "            pane = app.query_one('ChatPane')\n"
    "            print('mounted', pane.chat.kind, 'anthropic' in sys.modules)\n"
    "            await pilot.press(*'hi', 'enter')\n"
    "            for _ in range(200):\n"
    "                await pilot.pause(0.05)\n"
    "                if api.requests and not pane.replying:\n"
    "                    break\n"
    "            print('answered', len(api.requests), 'anthropic' in sys.modules)\n"
    "        context.close()\n"
    "asyncio.run(main())\n"
)


def test_with_a_key_the_app_imports_anthropic_on_the_first_message_not_at_start_up(tmp_path):
    env = {"ANTHROPIC_API_KEY": "sk-ant-test-lazy-app", "PATH": "/usr/bin:/bin"}
    if "PYTHONPATH" in os.environ:  # the dltui under test, when it is not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    tests = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run(
        [sys.executable, "-c", APP_WITH_A_KEY, str(tmp_path / "tutor.db"), tests],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(("mounted", "answered"))]
    assert lines == ["mounted claude False", "answered 1 True"], done.stdout


async def test_roles_and_statuses_keep_the_text_older_rows_hold(context):
    """Message.role / status are enums in Python and the same words in the database, both ways."""
    import sqlite3

    from dltui.store.models import MessageRole, MessageStatus

    chat = Chat(context, tutor_kind="offline")
    await say(chat, "topic attention")
    raw = sqlite3.connect(context.settings.db_path)
    try:
        stored = raw.execute("SELECT role, status FROM message ORDER BY id").fetchall()
        raw.execute(  # a row as an older dltui wrote it
            "INSERT INTO message (conversation_id, role, content, status, meta, created_at) "
            "VALUES (?, 'notice', 'old', 'error', '{}', '2025-01-01 00:00:00')",
            (chat.conversation_id,),
        )
        raw.commit()
    finally:
        raw.close()
    assert stored == [("user", "complete"), ("assistant", "complete")]
    old = chat.messages()[-1]
    assert (old.role, old.status) == (MessageRole.NOTICE, MessageStatus.ERROR)
    assert type(old.role) is MessageRole and type(old.status) is MessageStatus
