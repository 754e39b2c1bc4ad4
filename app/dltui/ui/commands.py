"""dltui's own commands in the command palette (Ctrl+P): areas, topics, quizzes, labs, chat, notes.

A command names one of the app's actions, as a key binding does (``"app.open_topic('x')"``), and
runs it on the screen the palette was opened from: the palette needs no import of the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from dltui.ui.areas import AREAS

if TYPE_CHECKING:
    from dltui.context import StudyContext


class StudyApp(Protocol):
    """What the palette reads of dltui's app (the one app whose COMMANDS lists `StudyCommands`)."""

    @property
    def loaded(self) -> bool: ...

    @property
    def context(self) -> StudyContext: ...

    def lab_titles(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class StudyCommand:
    name: str
    action: str  # an action of the app, as a binding names it
    help: str


def study_commands(app: StudyApp) -> Iterator[StudyCommand]:
    """Every command, in the order the palette lists them before anything is typed."""
    for area, title, key in AREAS:
        yield StudyCommand(f"Go to {title}", f"app.show_area({area!r})", f"the {title} area ({key.upper()})")
    if not app.loaded:  # the records are still loading (a moment after launch)
        return
    yield StudyCommand("New chat", "app.new_chat", "start a fresh conversation with the tutor (Ctrl+N)")
    yield StudyCommand("Export session notes", "app.export_notes", "write today's session notes and the study tracker now")
    yield StudyCommand("Review stats", "app.review_stats", "retention, reviews per day and what is due")
    topics = app.context.curriculum.topics.values()
    for topic in topics:
        yield StudyCommand(f"Open topic {topic.code} {topic.title}", f"app.open_topic({topic.id!r})", "read it in Topics")
    for topic in topics:
        yield StudyCommand(f"Quiz topic {topic.code} {topic.title}", f"app.start_quiz({topic.id!r})", "a quiz on its cards now")
    for lab_id, title in app.lab_titles().items():
        yield StudyCommand(f"Run lab {lab_id}", f"app.run_lab({lab_id!r})", f"{title}: opens the run form")


class StudyCommands(Provider):
    """Offers :func:`study_commands`; typing narrows them by fuzzy match, best first."""

    def _commands(self) -> Iterator[StudyCommand]:
        return study_commands(cast(StudyApp, self.app))  # only DltuiApp lists this provider

    async def discover(self) -> Hits:
        for command in self._commands():
            if not command.name.startswith(("Open topic", "Quiz topic")):  # 112 lines would bury the rest
                yield DiscoveryHit(command.name, partial(self.screen.run_action, command.action), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            if (score := matcher.match(command.name)) > 0:
                run = partial(self.screen.run_action, command.action)
                yield Hit(score, matcher.highlight(command.name), run, text=command.name, help=command.help)
