"""What an area asks of the app: messages that bubble up to `DltuiApp`, which switches areas.

Panes never call the app by name (Textual's way, as Elia's chat and home screen do): a pane
posts one of these and the app's `@on` handler decides what happens. That keeps each pane usable
on its own (`dltui review` runs the Review pane without the other areas).
"""

from __future__ import annotations

from textual.message import Message


class QuizRequested(Message):
    """Quiz the learner on a topic now (the topic map's q, the tutor's start_quiz tool)."""

    def __init__(self, topic_id: str) -> None:
        super().__init__()
        self.topic_id = topic_id


class TalkRequested(Message):
    """Talk about a topic in the Chat (the topic map's c)."""

    def __init__(self, topic_id: str) -> None:
        super().__init__()
        self.topic_id = topic_id


class LabRequested(Message):
    """Show a lab in the Labs area (the topic map's l)."""

    def __init__(self, lab_id: str) -> None:
        super().__init__()
        self.lab_id = lab_id


class TalkAboutRun(Message):
    """Talk with the tutor about one lab run (Labs' t, or a prediction that came out wrong)."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
