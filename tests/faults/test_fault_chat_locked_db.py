"""Issue 15 item 5: the chat's saves wait off the event loop when another process holds the database.

Another program (a second dltui, `dltui review` in another terminal, a backup) may hold SQLite's
write lock for a while; the chat waits for it (30 s busy timeout) but the screen must keep
answering keys meanwhile, and the message and the reply must still be saved, in order.
"""

import subprocess
import sys

from dltui.tutor import history
from dltui.ui.app import DltuiApp
from fake_anthropic import text_reply
from journeys.conftest import screen_text, type_text, wait_until

HOLD_AT_MOST_S = 4  # the holder lets go by itself after this, so a blocked loop fails instead of hanging

HOLDER = (
    "import select, sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE')  # the write lock, as any writer takes it\n"
    "print('locked', flush=True)\n"
    f"told = select.select([sys.stdin], [], [], {HOLD_AT_MOST_S})[0]\n"
    "c.execute('COMMIT')\n"
    "print('told' if told else 'timed out', flush=True)\n"
)


async def test_the_chat_answers_keys_while_its_save_waits_for_another_process(claude, api):
    api.queue(text_reply("Shapes first: ", "(n, k) @ (k, m) is (n, m)."))
    app = DltuiApp(claude)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        ticks: list[int] = []
        app.set_interval(0.05, lambda: ticks.append(1))
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(claude.settings.db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "locked"
            await type_text(pilot, "what shape is X @ W?")
            await pilot.press("enter")
            ticked_before = len(ticks)
            await type_text(pilot, "and the bias")  # the next question, typed while the save waits
            await pilot.pause(0.3)
            held = holder.poll() is None
            typed = app.query_one("#chat-input").value
            ticked = len(ticks) - ticked_before
            assert held, "the lock was let go by timeout: the event loop was blocked while the chat saved"
            assert typed == "and the bias" and ticked >= 3
            assert "You  what shape is X @ W?" in screen_text(app)
            assert api.requests == [], "the request went out before the learner's message was saved"
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "told"
        finally:
            if holder.poll() is None:
                holder.kill()
            holder.wait(timeout=10)
        pane = app.query_one("ChatPane")
        assert await wait_until(pilot, lambda: not pane.replying and "(n, m)" in screen_text(app), timeout=20)
    [conversation] = history.recent_conversations(claude)
    saved = [(m.role, m.content, m.status) for m in history.messages_of(claude, conversation.id)]
    assert saved == [
        ("user", "what shape is X @ W?", "complete"),
        ("assistant", "Shapes first: (n, k) @ (k, m) is (n, m).", "complete"),
    ]


class LockHolder:
    """Another process holding SQLite's write lock until told (or HOLD_AT_MOST_S)."""

    def __init__(self, db_path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "locked"

    def still_held(self) -> bool:
        return self.process.poll() is None

    def release(self) -> None:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "told"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


async def _responds_while(pilot, app, key: str, holder: LockHolder) -> None:
    """Press ``key`` while the lock is held: the screen keeps ticking and taking keys meanwhile."""
    ticks: list[int] = []
    app.set_interval(0.05, lambda: ticks.append(1))
    await pilot.press(key)
    await type_text(pilot, "still here")
    await pilot.pause(0.3)
    assert holder.still_held(), f"the lock was let go by timeout: {key} blocked the event loop on the database"
    assert app.query_one("#chat-input").value == "still here" and len(ticks) >= 3


async def test_a_new_chat_opens_once_another_process_lets_go_of_the_database(claude, api):
    app = DltuiApp(claude)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one("ChatPane")
        assert await wait_until(pilot, lambda: pane.chat is not None)
        first = pane.chat.conversation_id
        holder = LockHolder(claude.settings.db_path)
        try:
            await _responds_while(pilot, app, "ctrl+n", holder)
            for key in ("ctrl+s", "ctrl+y", "ctrl+r", "ctrl+t", "ctrl+o"):  # the chat's keys, while it opens
                await pilot.press(key)
            await pilot.pause(0.1)
            assert holder.still_held() and app.is_running
            holder.release()
        finally:
            holder.close()
        assert await wait_until(pilot, lambda: pane.chat is not None and pane.chat.conversation_id != first)
        assert await wait_until(pilot, lambda: f"Chat #{pane.chat.conversation_id}" in screen_text(app))
    assert len(history.recent_conversations(claude)) == 2


async def test_switching_tutor_is_saved_once_another_process_lets_go_of_the_database(claude, api):
    app = DltuiApp(claude)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one("ChatPane")
        assert await wait_until(pilot, lambda: pane.chat is not None)
        holder = LockHolder(claude.settings.db_path)
        try:
            await _responds_while(pilot, app, "ctrl+t", holder)
            assert "Now talking to the offline tutor." in screen_text(app)
            holder.release()
        finally:
            holder.close()
        conversation_id = pane.chat.conversation_id
        await pilot.pause()
    assert await _eventually(lambda: history.get_conversation(claude, conversation_id).tutor == "offline")


async def _eventually(predicate, timeout: float = 10.0) -> bool:
    import asyncio

    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


async def test_a_tool_call_that_records_waits_for_the_lock_off_the_event_loop(claude, api):
    from dltui.store.models import Assessment
    from fake_anthropic import Pause, tool_reply
    from sqlmodel import select

    assessment = '{"topic_id": "backpropagation", "level": "partial", "confidence": 0.6, "evidence": "chain rule"}'
    api.queue([Pause(1.0), *tool_reply("", "record_assessment", [assessment])], text_reply("Noted."))
    app = DltuiApp(claude)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one("ChatPane")
        await type_text(pilot, "backprop is the chain rule")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: len(api.requests) == 1)
        holder = LockHolder(claude.settings.db_path)  # taken before the tool call arrives (Pause)
        try:
            await pilot.pause(1.2)  # the tool call is in, waiting for the lock
            await _responds_while(pilot, app, "end", holder)
            holder.release()
        finally:
            holder.close()
        assert await wait_until(pilot, lambda: not pane.replying and "Noted." in screen_text(app), timeout=20)
    with claude.store.read() as session:
        assert [a.topic_id for a in session.exec(select(Assessment))] == ["backpropagation"]
