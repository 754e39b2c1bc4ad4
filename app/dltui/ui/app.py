"""The full-screen app: a header, five areas named on one line, and a footer with the keys that work now."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Header, Input
from textual.worker import WorkerCancelled, WorkerFailed

from dltui.labs.gpu import GpuStatus, gpu_line
from dltui.ui.areas import AREAS, AreaBox, AreaChosen, Areas
from dltui.ui.commands import StudyCommands
from dltui.ui.footer import StudyFooter
from dltui.ui.labs.gpu import start_gpu_polling
from dltui.ui.requests import LabRequested, QuizRequested, TalkAboutRun, TalkRequested
from dltui.ui.shell import AREA_PANE, EarlyChat, EarlyInput, StudyLoaded, area_pane, join_new_cards, load_study, placeholder
from dltui.ui.typed_ahead import into_the_focused_box

# The areas import the database and the curriculum (~0.5 s): the app imports them once its first
# frame is drawn (ui/shell.py), and names them here only for type checking.
if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.ui.chat import ChatPane

LAB_FORM_WAIT_S = 0.1  # how often "run a lab" looks whether the Labs list has loaded


class DltuiApp(App):
    """dltui: learn deep learning in the terminal."""

    TITLE = "dltui"
    SUB_TITLE = "deep learning, one day at a time"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {StudyCommands}
    # The area keys are written beside the areas' names ("F1 Chat"), so the footer keeps its room for the
    # keys of the area itself; every binding is still listed by ? and the palette.
    BINDINGS = [
        *[
            Binding(f"{key},alt+{index}", f"show_area('{area}')", title, key_display=key.upper(), show=False)
            for index, (area, title, key) in enumerate(AREAS, start=1)
        ],
        Binding("question_mark", "toggle_help", "Keys", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    # The last nvidia-smi answer (None until it came, [] with no GPU): shown in the header, read by
    # the Labs area to offer the CPU to a lab that wants a missing GPU.
    gpus: reactive[list[GpuStatus] | None] = reactive(None, init=False)

    def watch_gpus(self, gpus: list[GpuStatus] | None) -> None:
        line = gpu_line(gpus)
        self.sub_title = f"{self.SUB_TITLE} · {line}" if line else self.SUB_TITLE

    def __init__(
        self,
        context: StudyContext | None = None,
        start_area: str = "chat",
        opener: Callable[[], StudyContext] | None = None,
    ):
        """With a ``context`` the areas are there from the start; with an ``opener`` (what `dltui`
        does) the shell is drawn first and ``opener()`` runs in a thread (see ui/shell.py)."""
        super().__init__()
        if (context is None) == (opener is None):
            raise ValueError("DltuiApp takes a context or an opener (one of the two)")
        self._records = context
        self.start_area = start_area
        self.opener = opener
        self.open_error: Exception | None = None  # why the opener failed; `dltui` prints it after the app
        if context is not None:
            join_new_cards(context)

    @property
    def loaded(self) -> bool:
        """Whether the learner's records are open and the areas showing them are on screen (from the
        start, or once the opener is done and the areas are mounted): the study actions work."""
        return self._records is not None

    @property
    def context(self) -> StudyContext:
        """The learner's records: for what runs only once they are `loaded` (the areas, the palette's
        study commands, the session); the shell before that never asks."""
        if self._records is None:
            raise RuntimeError("the learner's records are still loading")
        return self._records

    def compose(self) -> ComposeResult:
        yield Header()
        records = self._records
        contents = {area: area_pane(area, records) if records is not None else placeholder(area) for area, *_ in AREAS}
        yield Areas(contents, initial=self.start_area, id="areas")
        yield StudyFooter()

    def on_mount(self) -> None:
        if self._records is not None:
            self._records_ready()
        elif self.opener is not None:
            self.call_after_refresh(self._load_study, self.opener)  # after the first frame is on its way
        self.action_show_area(self.start_area)  # the keys go into the first area

    def on_unmount(self) -> None:
        gc.unfreeze()  # what _records_ready froze can be collected again (tests run many apps)
        # Notes and the tracker are written as the app closes; a crash is caught up at the next start.
        if self._records is not None:
            from dltui.notes.sessions import close_session

            close_session(self._records)

    # --- the records, opened behind the first frame ------------------------------------------

    @work(thread=True, exit_on_error=False)
    def _load_study(self, opener: Callable[[], StudyContext]) -> None:
        try:
            self.post_message(StudyLoaded(load_study(opener)))
        except Exception as err:  # shown by the command line once the screen is restored
            self.post_message(StudyLoaded(None, err))

    @on(StudyLoaded)
    async def _study_loaded(self, message: StudyLoaded) -> None:
        if message.context is None:
            self.open_error = message.error
            self.exit(return_code=2)
            return
        context = message.context
        areas = self.screen_stack[0].query_one("#areas", Areas)
        shell_chat = areas.query_one(EarlyChat)
        early = shell_chat.query_one(EarlyInput)
        was_typing = self.focused is early
        shell_chat.display = False  # the chat takes its place below; it hands over in _hand_over
        # Every area is found and given its pane before the first await: the learner may quit
        # meanwhile, and a closing app no longer has the areas to look up.
        boxes = [areas.box(area) for area, _title, _key in AREAS]
        removed = [box.query(".loading").remove() for box in boxes]
        mounted = [box.mount(area_pane(area, context), before=0) for box, (area, *_rest) in zip(boxes, AREAS)]
        for removal in removed:
            await removal
        for mount in mounted:
            await mount
        self._records = context
        self._records_ready()
        # The keys go to the area on screen, unless the learner has already moved into it: while
        # it loaded it had nothing to take them. With a dialog open (the palette) the area gets the
        # focus it will have once the dialog closes.
        base = self.screen_stack[0]
        active = areas.box(areas.active)
        if was_typing or base.focused is None or active not in base.focused.ancestors:
            if self.screen is base:
                self.action_show_area(areas.active)
            elif (target := self._first_focus(active)) is not None:
                base.set_focus(target, scroll_visible=False)
        # After the keys already on their way to the early box: it hands over what it holds.
        early.call_later(self._hand_over, shell_chat, early)

    def _hand_over(self, shell_chat: EarlyChat, early: EarlyInput) -> None:
        """The early box's draft goes in front of whatever reached the chat's box since, and the
        messages sent early go out one after another, each after the reply before it."""
        chat = self._pane("chat")
        box = chat.query_one("#chat-input", Input)
        box.value = early.value + box.value
        box.cursor_position = len(box.value)
        waiting = list(early.waiting)
        shell_chat.remove()  # not awaited: this runs in the early box's own queue
        self._send_in_turn(chat, waiting)

    @work(group="early-messages")
    async def _send_in_turn(self, chat: ChatPane, texts: list[str]) -> None:
        for text in texts:
            try:
                await chat.send(text).wait()
            except (WorkerCancelled, WorkerFailed):  # Esc stopped that reply: go on with the next
                pass

    def _pane(self, area: str) -> Any:  # the area's own class (typed names would import them all)
        """The pane that fills an area (there once the records are loaded), a dialog open or not."""
        return self.screen_stack[0].query_one(f"#{area} > .{AREA_PANE}")

    def _mounted_pane(self, area: str) -> Any | None:
        """The pane that fills an area, or None while the records load or it is being mounted."""
        return next(iter(self.screen_stack[0].query(f"#{area} > .{AREA_PANE}")), None)

    def _records_ready(self) -> None:
        from dltui.notes.sessions import begin_session

        begin_session(self.context, "tui")
        # The ~150k objects start-up made (modules, the ORM, the curriculum) live as long as the
        # app: frozen, the collector stops walking them, and a full collection (~70 ms, every few
        # seconds of use) no longer lands in the middle of a key press. `dltui` starts with the
        # collector off (cli.run_app): from here on it runs again, over what the learner's use makes.
        gc.freeze()
        gc.enable()
        start_gpu_polling(self)
        if self.context.startup_notice:
            self.notify(self.context.startup_notice, severity="warning", timeout=10)

    def action_show_area(self, area: str) -> None:
        areas = self.query_one("#areas", Areas)
        # Focus leaves first: a widget in the area being hidden would hold it otherwise.
        self.set_focus(None)
        areas.active = area
        target = self._first_focus(areas.box(area))
        if target is not None:
            self.set_focus(target)

    @staticmethod
    def _first_focus(box: AreaBox) -> Widget | None:
        """Where keys should land in an area: the widget its FIRST_FOCUS names (the Chat's text
        box), else its first focusable widget."""
        wanted = [getattr(area, "FIRST_FOCUS", None) for area in box.children]
        for selector in filter(None, wanted):
            return box.query_one(selector)
        return next((w for w in box.query("*") if w.focusable), None)

    def on_key(self, event: events.Key) -> None:
        into_the_focused_box(self, event)  # keys typed ahead of a focus change (ui/typed_ahead.py)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In a text box ? is a character: the footer must not offer it there.
        if action == "toggle_help" and isinstance(self.focused, Input):
            return False
        return True

    async def action_quit(self) -> None:
        # Quits at once; lab runs keep going, and the note printed as the app closes says so.
        labs = self._mounted_pane("labs")
        self.exit(message=labs.leaving_note() if labs is not None else None)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # --- cross-area actions (from the topic map, the chat, and by name from the command palette) ---

    def action_start_quiz(self, topic_id: str) -> None:
        """Open a quiz on one topic in the Review area."""
        self.action_show_area("review")
        self._pane("review").start_quiz(topic_id)

    def open_lab(self, lab_id: str) -> None:
        """Show a lab in the Labs area (from the topic map)."""
        self.action_show_area("labs")
        self._pane("labs").select_lab(lab_id)

    def action_run_lab(self, lab_id: str) -> None:
        """Open a lab's run form, once the Labs list has loaded."""
        self.open_lab(lab_id)
        labs = self._pane("labs")
        if not labs.ready:
            self.set_timer(LAB_FORM_WAIT_S, lambda: self.action_run_lab(lab_id))
            return
        labs.action_run_lab()

    def lab_titles(self) -> dict[str, str]:
        """Lab id -> title; before the Labs list has loaded, the labs the topics name."""
        labs = self._pane("labs")
        if labs.ready:
            return {lab.id: lab.title for lab in labs.runner.registry.labs.values()}
        named = {lab_id: "" for topic in self.context.curriculum.topics.values() for lab_id in topic.labs}
        return dict(sorted(named.items()))

    @on(AreaChosen)
    def _area_chosen(self, message: AreaChosen) -> None:
        self.action_show_area(message.area)

    @on(QuizRequested)
    def _quiz_requested(self, message: QuizRequested) -> None:
        self.action_start_quiz(message.topic_id)

    @on(TalkRequested)
    def _talk_requested(self, message: TalkRequested) -> None:
        self.talk_about(message.topic_id)

    @on(LabRequested)
    def _lab_requested(self, message: LabRequested) -> None:
        self.open_lab(message.lab_id)

    @on(TalkAboutRun)
    def talk_about_run(self, message: TalkAboutRun) -> None:
        """`t` on a run in Labs: the Chat opens on that run and the tutor asks about its curve."""
        self.action_show_area("chat")
        self._pane("chat").start_run(message.run_id)

    def talk_about(self, topic_id: str) -> None:
        """Start talking about a topic in the Chat area (from the topic map)."""
        self.action_show_area("chat")
        self._pane("chat").start_topic(topic_id)

    def action_open_topic(self, topic_id: str) -> None:
        """Show a topic in the Topics area, the tree's cursor on it."""
        self.action_show_area("topics")
        self._pane("topics").select_topic(topic_id)

    def action_new_chat(self) -> None:
        self.action_show_area("chat")
        self._pane("chat").action_new_conversation()

    def action_review_stats(self) -> None:
        self.action_show_area("review")
        review = self._pane("review")
        if not review.showing_stats:
            review.action_toggle_stats()

    def action_export_notes(self) -> None:
        """Write this session's notes and the tracker now (they are written again on quit)."""
        from dltui.notes.session_notes import write_session_notes
        from dltui.notes.tracker import write_tracker
        from dltui.store.models import StudySession

        with self.context.store.read() as db:
            session = db.get(StudySession, self.context.session_id) if self.context.session_id else None
        written = [write_session_notes(self.context, session)] if session is not None else []
        written.append(write_tracker(self.context))
        self.notify("Written: " + ", ".join(str(path) for path in written), timeout=8)
