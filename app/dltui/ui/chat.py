"""The Chat area: talk to the tutor. Replies stream in; Esc stops one; history is kept."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import Worker

from dltui.context import StudyContext
from dltui.labs.monitor import RunMonitor
from dltui.labs.records import get_run
from dltui.store.models import MessageRole, MessageStatus
from dltui.text_charts import format_duration
from dltui.tutor import history
from dltui.tutor.activity import LearnerActivity
from dltui.tutor.chat import Chat
from dltui.tutor.reply import TutorKind
from dltui.tutor.saves import saved
from dltui.tutor.tools import ToolOutcome
from dltui.ui.chat_input import ChatInput
from dltui.ui.chat_picker import ConversationPicker
from dltui.ui.chat_reply import TutorMessage
from dltui.ui.contained import ContainedStatic
from dltui.ui.requests import QuizRequested

SHOWN_MESSAGES = 60  # how many past messages to draw when a conversation is opened


class UserMessage(ContainedStatic):
    def __init__(self, text: str):
        super().__init__(f"[b]You[/b]  {escape(text)}", classes="user-message")


class InfoLine(ContainedStatic):
    """A tool call, a notice or an error: one short line under the reply."""

    def __init__(self, text: str, kind: str = "tool"):
        super().__init__(escape(text), classes=f"info-line {kind}")


# Streamed text is drawn in batches, one every STREAM_BATCH_S: a draw per delta cost a layout
# pass per word. A batch redraws only the reply's last part (see chat_reply), so its cost does
# not grow with the reply and the pace can stay steady. A reply's first words are drawn at once.
STREAM_BATCH_S = 0.2


RUN_HEADER_S = 1.0  # how often the header reads a discussed run's new events


def _welcome(chat: Chat) -> str:
    note = f"{chat.note} " if chat.note else ""
    if chat.kind == TutorKind.OFFLINE:
        return note + "Type a topic to study (or 'next' for a suggestion), then answer in your own words."
    return note + "Ask anything about deep learning, or say which topic you want to study."


def _run_line(monitor: RunMonitor) -> str:
    """The discussed run in the header: its id, and how far it is while it runs."""
    name = monitor.run_dir.name
    if monitor.end is not None:
        return f"Run {name}: {monitor.end.get('status', 'ended')}"
    progress = monitor.progress
    if progress is None:
        return f"Run {name}: running"
    eta = progress.eta_seconds()
    left = f", {format_duration(eta)} left" if eta is not None else ""
    return f"Run {name}: {progress.fraction:.0%}{left}"


class ChatPane(Vertical):
    FIRST_FOCUS = "#chat-input"  # a chat starts in its text box: what the learner types is sent
    # The footer shows what fits at 80 columns; Ctrl+Y, Ctrl+R, Esc and PgUp/PgDn are listed by ?.
    BINDINGS = [
        Binding("escape", "stop", "Stop reply", show=False),
        Binding("ctrl+n", "new_conversation", "New chat"),
        Binding("ctrl+o", "open_conversation", "Open chat"),
        Binding("ctrl+s", "export", "Export"),
        Binding("ctrl+y", "copy_reply", "Copy reply", show=False),
        Binding("ctrl+r", "retry", "Retry", show=False),
        Binding("ctrl+t", "switch_tutor", "Switch tutor"),
        Binding("pageup", "scroll_log(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_log(1)", "Scroll down", show=False),
    ]

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context
        self.chat: Chat | None = None  # None while one is being opened (its keys wait for it)
        self._opening: Worker[Chat] | None = None
        self.replying = False
        self._tutor_notice: InfoLine | None = None  # the line Ctrl+T updates instead of adding more
        self.watched_run: RunMonitor | None = None  # the run being talked about (`t` in Labs)
        self._warmed_up = False  # Claude's SDK import started (typing)

    def compose(self) -> ComposeResult:
        yield ContainedStatic("", id="chat-status")
        yield VerticalScroll(id="chat-log")
        yield ChatInput(placeholder="Ask the tutor… (Enter sends, Esc stops a reply)", id="chat-input")

    async def on_mount(self) -> None:
        # The log stays at its end as replies grow (a reply's last lines are laid out after its
        # last write), until the learner scrolls up; sending scrolls it back to the end.
        self.query_one("#chat-log", VerticalScroll).anchor()
        self.set_interval(RUN_HEADER_S, self._follow_run)
        latest = history.recent_conversations(self.context, limit=1)
        # Awaited (the loop runs on meanwhile): the pane counts as mounted with its chat open.
        await self.open_chat(latest[0].id if latest else None).wait()

    # --- conversations -----------------------------------------------------------------------

    def open_chat(self, conversation_id: int | None, tutor_kind: str | None = None) -> Worker[Chat]:
        """Open a conversation (None: a new one) off the event loop; the chat's keys wait for it."""
        self.chat = None
        self.refresh_status()
        self._opening = self._open(conversation_id, tutor_kind)
        return self._opening

    @work(exclusive=True, group="open")
    async def _open(self, conversation_id: int | None, tutor_kind: str | None) -> Chat:
        self.watched_run = None
        chat = await Chat.opened(self.context, conversation_id, tutor_kind=tutor_kind, on_quiz=self._open_quiz)
        past = await saved(chat.messages)
        log = self.query_one("#chat-log", VerticalScroll)
        await log.remove_children()
        self._tutor_notice = None
        widgets: list[Widget] = []
        for message in past[-SHOWN_MESSAGES:]:
            if message.role == MessageRole.USER:
                widgets.append(UserMessage(message.content))
            elif message.role == MessageRole.ASSISTANT:
                stopped = message.status == MessageStatus.PARTIAL
                suffix = "\n\n*(stopped before the end)*" if stopped else ""
                widgets.append(TutorMessage(message.content + suffix, stopped=stopped))
            else:
                widgets.append(InfoLine(message.content, "notice" if message.role == MessageRole.NOTICE else "tool"))
        if not widgets:
            widgets.append(InfoLine(_welcome(chat), "notice"))
        elif chat.note:
            widgets.append(InfoLine(chat.note, "notice"))
        await log.mount_all(widgets)
        log.scroll_end(animate=False)
        self.chat = chat
        self.refresh_status()
        return chat

    async def _opened(self) -> Chat:
        """The chat, once the one being opened is open."""
        while self.chat is None and self._opening is not None:
            await self._opening.wait()
        assert self.chat is not None, "on_mount opens a chat"
        return self.chat

    def _open_now(self) -> Chat | None:
        """The chat for a key that reads it; None (and a word to the learner) while one opens."""
        if self.chat is None:
            self.app.notify("Opening the chat…")
        return self.chat

    def _ready(self) -> Chat | None:
        """The chat for a key that changes it: None while one opens or the tutor replies."""
        chat = self._open_now()
        return None if self.replying else chat

    def refresh_status(self) -> None:
        if self.chat is None:
            self.query_one("#chat-status", Static).update("Opening the chat…")
            return
        topic = self.context.curriculum.topics.get(self.chat.topic_id or "")
        parts = [f"Tutor: {self.chat.tutor_label}", f"Topic: {topic.title if topic else 'none yet'}"]
        parts.append(f"Chat #{self.chat.conversation_id}")
        if self.watched_run is not None:
            parts.append(_run_line(self.watched_run))
        self.query_one("#chat-status", Static).update(" · ".join(parts))

    def start_topic(self, topic_id: str) -> None:
        """Called from the Topics area: talk about this topic."""
        if self.replying:
            self.app.notify("Wait for the reply to finish (or press Esc), then try again.")
            return
        self.send(None, topic_id=topic_id)

    def start_run(self, run_id: str) -> None:
        """Called from the Labs area (`t`): talk about this run; the header follows its progress."""
        if self.replying:
            self.app.notify("Wait for the reply to finish (or press Esc), then try again.")
            return
        self.context.activity = LearnerActivity.watching_run(run_id, asked=True)
        self.watched_run = RunMonitor(Path(run.run_dir)) if (run := get_run(self.context.store, run_id)) else None
        if self.watched_run is not None:
            self.watched_run.poll()  # one bounded read now, so a finished run says so at once
        self.refresh_status()
        self.send(f"Let's look at my run {run_id}.")

    def _follow_run(self) -> None:
        """While a run is discussed and still going, the header shows its progress (new bytes only)."""
        if self.watched_run is not None and self.watched_run.poll():
            self.refresh_status()

    # --- sending and streaming ---------------------------------------------------------------

    @on(Input.Changed, "#chat-input")
    def typing(self, event: Input.Changed) -> None:
        # A message to Claude is being written: its SDK (~1 s to import) loads in a thread while
        # the rest is typed, so the reply need not wait for it. Not at start-up, not for the offline tutor.
        chat = self.chat
        if event.value and chat is not None and chat.kind == TutorKind.CLAUDE and not self._warmed_up:
            self._warmed_up = True
            self.run_worker(chat.warm_up(), group="tutor-warm-up", exit_on_error=False)

    @on(Input.Submitted, "#chat-input")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.replying:
            self.app.notify("The tutor is still answering: wait, or press Esc to stop it.")
            return
        event.input.value = ""
        self.send(text)

    def send(self, text: str | None, topic_id: str | None = None) -> Worker[None]:
        """Show and send ``text`` (None, with a topic: ask to study it); the worker ends with the
        reply (messages typed at launch wait on it)."""
        return self.stream_reply(text, topic_id=topic_id)

    @work(exclusive=True, group="reply")
    async def stream_reply(self, text: str | None, topic_id: str | None = None, retry: bool = False) -> None:
        """Send ``text`` (or with ``retry``, answer again) and stream the reply into the log."""
        self.replying = True
        try:
            chat = await self._opened()
            if retry:  # a retry replaces the reply: redraw without it, then answer again
                await saved(chat.drop_last_reply)
                chat = await self.open_chat(chat.conversation_id).wait()
        except asyncio.CancelledError:
            self.replying = False
            raise
        log = self.query_one("#chat-log", VerticalScroll)
        if topic_id is not None:  # from Topics: the chat is about this topic now
            chat.set_topic(topic_id)
            self.refresh_status()
            title = self.context.curriculum.topics[topic_id].title
            text = f"topic {title}" if chat.kind == TutorKind.OFFLINE else f"Let's study {title}."
        if text is not None:
            await log.mount(UserMessage(text))
        reply_view = TutorMessage()
        await log.mount(reply_view)
        pieces: asyncio.Queue[str | None] = asyncio.Queue()

        async def pump() -> None:
            finished, pace = False, 0.0  # the first words at once: they end the wait the learner feels
            while not finished:
                batch = [await pieces.get()]
                await asyncio.sleep(pace)
                pace = STREAM_BATCH_S
                while not pieces.empty():
                    batch.append(pieces.get_nowait())
                if None in batch:
                    finished, batch = True, batch[: batch.index(None)]
                if batch:
                    text = "".join(cast("list[str]", batch))  # the end (None) is cut off above
                    await reply_view.append(text)  # the anchored log follows it

        def show_tool(outcome: ToolOutcome) -> None:
            log.mount(InfoLine(outcome.line, "error" if outcome.is_error else "tool"))

        if chat.kind == TutorKind.CLAUDE:  # until the reply ends (refresh_status puts the usual line back)
            self.query_one("#chat-status", Static).update("waiting for Claude… (Esc to stop)")
        pumping = asyncio.create_task(pump())
        try:
            if text is None:
                reply = await chat.answer(pieces.put_nowait, show_tool)
            else:
                reply = await chat.send(text, pieces.put_nowait, show_tool)
        except asyncio.CancelledError:
            pieces.put_nowait(None)
            await pumping
            await log.mount(InfoLine("Stopped. The partial reply is kept.", "notice"))
            self.replying = False
            self.refresh_status()
            raise
        except Exception as err:  # a bug must not take the chat down; the message is saved
            reply = None
            await log.mount(InfoLine(f"Something went wrong: {err}. Your message is saved; Ctrl+R retries.", "error"))
        pieces.put_nowait(None)
        await pumping
        if reply is not None:
            if not reply.text.strip():
                await reply_view.remove()
            if reply.notice:
                await log.mount(InfoLine(reply.notice, "error"))
        self.replying = False
        self.refresh_status()
        # After the layout has taken in the last batch: scrolled before, the end of the reply
        # (and its tool lines) could stay below the view.
        self.call_after_refresh(log.scroll_end, animate=False)

    # --- actions -----------------------------------------------------------------------------

    def action_stop(self) -> None:
        if self.replying:
            self.workers.cancel_group(self, "reply")
        else:
            # Leave the text box for the log: ? and the arrows work there, the chat keys still do.
            self.screen.set_focus(self.query_one("#chat-log", VerticalScroll))  # now, for the keys typed after Esc

    def action_new_conversation(self) -> None:
        if self._ready():
            self.open_chat(None)  # a new chat follows the tutor setting; Ctrl+T changes only this one

    def action_open_conversation(self) -> None:
        def opened(conversation_id: int | None) -> None:
            if conversation_id is not None:
                self.open_chat(conversation_id)

        if self._ready():
            self.app.push_screen(ConversationPicker(self.context), opened)

    def action_export(self) -> None:
        if (chat := self._open_now()) is None:
            return
        path = chat.export()
        self.app.notify(f"Exported to {path}")

    def action_copy_reply(self) -> None:
        if (chat := self._open_now()) is None:
            return
        replies = [m for m in chat.messages() if m.role == MessageRole.ASSISTANT and m.content]
        if not replies:
            self.app.notify("No reply to copy yet.")
            return
        self.app.copy_to_clipboard(replies[-1].content)  # OSC 52: works over SSH where the terminal allows
        self.app.notify("Last reply copied (if your terminal supports OSC 52).")

    def action_retry(self) -> None:
        if not (chat := self._ready()):
            return
        if not any(m.role == MessageRole.USER for m in chat.messages()):
            self.app.notify("Nothing to retry yet.")
            return
        self.stream_reply(None, retry=True)

    def action_switch_tutor(self) -> None:
        if not (chat := self._ready()):
            return
        wanted = TutorKind.OFFLINE if chat.kind == TutorKind.CLAUDE else TutorKind.CLAUDE
        note = chat.switch_tutor(wanted)  # saved on the chat's save thread, before its next message
        text = note or f"Now talking to the {chat.tutor_label}."
        log = self.query_one("#chat-log", VerticalScroll)
        if self._tutor_notice is not None and log.children and log.children[-1] is self._tutor_notice:
            self._tutor_notice.update(escape(text))  # pressed again: one line that says where things stand
        else:
            self._tutor_notice = InfoLine(text, "notice")
            log.mount(self._tutor_notice)
        self.call_after_refresh(log.scroll_end, animate=False)
        self.refresh_status()

    def action_scroll_log(self, direction: int) -> None:
        log = self.query_one("#chat-log", VerticalScroll)
        (log.scroll_page_down if direction > 0 else log.scroll_page_up)()

    def _open_quiz(self, topic_id: str) -> None:
        self.post_message(QuizRequested(topic_id))
