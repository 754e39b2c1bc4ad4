"""dltui's own commands in the command palette (Ctrl+P): areas, topics, quizzes, labs, chat, notes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class StudyCommand:
    name: str
    run: Callable[[], object]
    help: str


def study_commands(app) -> Iterator[StudyCommand]:
    """Every command, in the order the palette lists them before anything is typed."""
    from dltui.ui.app import AREAS

    for area, title, key in AREAS:
        yield StudyCommand(f"Go to {title}", partial(app.action_show_area, area), f"the {title} area ({key.upper()})")
    if app.context is None:  # the records are still loading (a moment after launch)
        return
    yield StudyCommand("New chat", app.new_chat, "start a fresh conversation with the tutor (Ctrl+N)")
    yield StudyCommand("Export session notes", app.export_notes, "write today's session notes and the study tracker now")
    yield StudyCommand("Review stats", app.show_review_stats, "retention, reviews per day and what is due")
    topics = app.context.curriculum.topics.values()
    for topic in topics:
        yield StudyCommand(f"Open topic {topic.code} {topic.title}", partial(app.open_topic, topic.id), "read it in Topics")
    for topic in topics:
        yield StudyCommand(f"Quiz topic {topic.code} {topic.title}", partial(app.start_quiz, topic.id), "a quiz on its cards now")
    for lab_id, title in app.lab_titles().items():
        yield StudyCommand(f"Run lab {lab_id}", partial(app.run_lab, lab_id), f"{title}: opens the run form")


class StudyCommands(Provider):
    """Offers :func:`study_commands`; typing narrows them by fuzzy match, best first."""

    async def discover(self) -> Hits:
        for command in study_commands(self.app):
            if not command.name.startswith(("Open topic", "Quiz topic")):  # 112 lines would bury the rest
                yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in study_commands(self.app):
            if (score := matcher.match(command.name)) > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, text=command.name, help=command.help)
