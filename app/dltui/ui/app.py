"""The full-screen app: a header, five areas in tabs, and a footer with the keys that work now."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, TabbedContent, TabPane

from dltui.context import StudyContext
from dltui.notes.sessions import begin_session, close_session
from dltui.ui.chat import ChatPane
from dltui.ui.lab_gpu import install_gpu_header
from dltui.ui.labs import LabsPane
from dltui.ui.progress import ProgressPane
from dltui.ui.review import ReviewPane
from dltui.ui.topics import TopicsPane

# (tab id, title, key) — function keys work in every terminal and over SSH; alt+digit as a fallback.
AREAS = [
    ("chat", "Chat", "f1"),
    ("topics", "Topics", "f2"),
    ("review", "Review", "f3"),
    ("labs", "Labs", "f4"),
    ("progress", "Progress", "f5"),
]


class DltuiApp(App):
    """dltui: learn deep learning in the terminal."""

    TITLE = "dltui"
    SUB_TITLE = "deep learning, one day at a time"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        *[
            Binding(f"{key},alt+{index}", f"show_area('{area}')", title, key_display=key.upper())
            for index, (area, title, key) in enumerate(AREAS, start=1)
        ],
        Binding("question_mark", "toggle_help", "Keys", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, context: StudyContext, start_area: str = "chat"):
        super().__init__()
        self.context = context
        self.start_area = start_area

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=self.start_area, id="areas"):
            with TabPane("Chat", id="chat"):
                yield ChatPane(self.context)
            with TabPane("Topics", id="topics"):
                yield TopicsPane(self.context)
            with TabPane("Review", id="review"):
                yield ReviewPane(self.context)
            with TabPane("Labs", id="labs"):
                yield LabsPane(self.context)
            with TabPane("Progress", id="progress"):
                yield ProgressPane(self.context)
        yield Footer()

    def on_mount(self) -> None:
        begin_session(self.context, "tui")
        install_gpu_header(self)
        self.action_show_area(self.start_area)  # focus into the first area, not the tab bar
        if self.context.startup_notice:
            self.notify(self.context.startup_notice, severity="warning", timeout=10)

    def on_unmount(self) -> None:
        # Notes and the tracker are written as the app closes; a crash is caught up at the next start.
        close_session(self.context)

    def action_show_area(self, area: str) -> None:
        tabs = self.query_one("#areas", TabbedContent)
        # Moving focus first avoids the tab bouncing back to the pane that still holds focus.
        self.set_focus(None)
        tabs.active = area
        pane = tabs.get_pane(area)
        focusable = [w for w in pane.query("*") if w.focusable]
        if focusable:
            self.set_focus(focusable[0])

    def start_quiz(self, topic_id: str) -> None:
        """Open a quiz on one topic in the Review area (from the chat or the topic map)."""
        self.action_show_area("review")
        self.query_one(ReviewPane).start_quiz(topic_id)

    def open_lab(self, lab_id: str) -> None:
        """Show a lab in the Labs area (from the topic map)."""
        self.action_show_area("labs")
        self.query_one(LabsPane).select_lab(lab_id)

    def talk_about(self, topic_id: str) -> None:
        """Start talking about a topic in the Chat area (from the topic map)."""
        self.action_show_area("chat")
        self.query_one(ChatPane).start_topic(topic_id)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
