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
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
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
