"""The Topics area: the topic map with mastery, due cards and prerequisites, and what to study next.

Enter opens a topic; from there c talks about it in the chat, q quizzes it now, l opens its lab.
"""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Markdown, Static, Tree
from textual.worker import get_current_worker

from dltui.context import StudyContext
from dltui.curriculum import Topic
from dltui.srs.mastery import MasteryState
from dltui.srs.recommend import Suggestion, study_next
from dltui.srs.topic_status import TopicStatus, topic_statuses
from dltui.tutor.activity import LearnerActivity
from dltui.ui.contained import ContainedStatic
from dltui.ui.requests import LabRequested, QuizRequested, TalkRequested

STATE_MARK = {MasteryState.MASTERED: "✓", MasteryState.LEARNING: "◐", MasteryState.NOT_STARTED: "○"}
LOCKED_MARK = "·"
TREE_GUIDES = 8  # columns the tree adds around a topic label: guides, its own padding, a scrollbar
MAP_SHARE = 0.55  # the map may take up to this share of the width; the reading pane keeps the rest
MAP_MIN = 34


def topic_label(topic: Topic, status: TopicStatus) -> str:
    mark = STATE_MARK[status.mastery.state] if status.ready or status.mastery.state is not MasteryState.NOT_STARTED else LOCKED_MARK
    due = f" · {status.due} due" if status.due else ""
    return f"{mark} {topic.code} {topic.title} {status.mastery.percent}%{due}"


def topic_markdown(context: StudyContext, topic: Topic, statuses: dict[str, TopicStatus]) -> str:
    """The explanation view of a topic: where the learner stands, the text, needs/unlocks, sources."""
    curriculum = context.curriculum
    status = statuses[topic.id]

    def linked(topic_id: str) -> str:
        other = curriculum.topics[topic_id]
        return f"{STATE_MARK[statuses[topic_id].mastery.state]} {other.title}"

    needs = ", ".join(linked(p) for p in topic.prerequisites if p in curriculum.topics) or "nothing: a starting point"
    unlocks = ", ".join(linked(t.id) for t in curriculum.dependents(topic.id)) or "nothing further"
    waiting = f"\n\n*Waiting on:* {'; '.join(status.waiting_on)}" if status.waiting_on else ""
    labs = ", ".join(topic.labs) or "none"
    sources = "\n".join(f"- [{s.title}]({s.url})" for s in topic.sources)
    return (
        f"# {topic.code} {topic.title}\n\n"
        f"**{status.mastery.label}**, {status.mastery.percent}% · {status.due} card(s) due · labs: {labs}{waiting}\n\n"
        f"**Needs:** {needs}\n\n**Unlocks:** {unlocks}\n\n"
        f"{topic.explanation}\n\n**Sources**\n\n{sources}\n\n"
        "*c* talk about it · *q* quiz it now · *l* open its lab\n"
    )


class TopicsPane(Vertical):
    """What to study next across the top; under it the topic map and the reading pane."""

    BINDINGS = [
        Binding("c", "chat", "Talk about it"),
        Binding("q", "quiz", "Quiz it"),
        Binding("l", "lab", "Open lab"),
        Binding("r", "refresh_map", "Refresh"),
    ]

    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context
        self.statuses: dict[str, TopicStatus] = {}
        self.current: str | None = None
        self.next_topic: str | None = None
        self._label_width = MAP_MIN
        self._cursor_wanted: str | None = None  # where the tree's cursor goes once it is rebuilt

    def compose(self) -> ComposeResult:
        yield ContainedStatic("", id="study-next")
        with Horizontal(id="topics-body"):
            with Vertical(id="topic-map"):
                tree: Tree[str] = Tree("Curriculum", id="topic-tree")
                tree.show_root = False
                yield tree
            with VerticalScroll(id="topic-detail"):
                yield Markdown("Select a topic and press Enter to read it.", id="topic-text")

    def on_show(self) -> None:
        # Built when shown, not at start-up: a hidden map costs the first frame for nothing, and
        # reviews and assessments made elsewhere change mastery in the meantime.
        self.refresh_map()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_map(event.size.width)

    def _fit_map(self, width: int) -> None:
        """As wide as the longest title needs, within MAP_SHARE of the pane (never below MAP_MIN)."""
        wanted = max(MAP_MIN, min(self._label_width + TREE_GUIDES, int(width * MAP_SHARE)))
        self.query_one("#topic-map").styles.width = wanted

    def refresh_map(self, force: bool = False) -> None:
        """Re-read mastery off the event loop (a big collection takes a few hundred ms to sum):
        the area shows at once with the numbers it last had and updates when they arrive."""
        self._read_map(force)

    @work(thread=True, exclusive=True, group="topic-map")
    def _read_map(self, force: bool) -> None:
        statuses = topic_statuses(self.context)
        suggestions = study_next(self.context, limit=1, mastery={k: s.mastery for k, s in statuses.items()})
        if not get_current_worker().is_cancelled:  # a newer read is on its way
            self.app.call_from_thread(self._show_map, statuses, suggestions, force)

    def _show_map(self, statuses: dict[str, TopicStatus], suggestions: list[Suggestion], force: bool) -> None:
        self.statuses = statuses
        self.query_one("#study-next", Static).update(
            f"[b]Study next:[/b] {suggestions[0].topic.code} {suggestions[0].topic.title} — {suggestions[0].reason}"
            if suggestions
            else "[b]Study next:[/b] everything whose prerequisites are in place is mastered"
        )
        self.next_topic = suggestions[0].topic.id if suggestions else None
        tree = self.query_one("#topic-tree", Tree)
        rows = self._map_rows(statuses)
        if [(node.data, [leaf.data for leaf in node.children]) for node in tree.root.children] == [
            (domain_id, [topic_id for topic_id, _ in leaves]) for domain_id, _, leaves in rows
        ]:
            self._relabel(tree, rows)  # the usual case: same map, new numbers; cursor and folds stay
        else:
            self._rebuild(tree, rows)
        if self._cursor_wanted is not None:  # from the palette (select_topic)
            self.call_after_refresh(self._cursor_to, self._cursor_wanted)
        if self.current:
            self.show_topic(self.current, force)

    def _map_rows(self, statuses: dict[str, TopicStatus]) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(domain id, its label, [(topic id, its label)]) for every domain, in curriculum order."""
        curriculum = self.context.curriculum
        rows = []
        for domain in curriculum.domains.values():
            topics = curriculum.topics_in(domain.id)
            progress = sum(statuses[t.id].mastery.fraction for t in topics) / len(topics) if topics else 0.0
            leaves = [(topic.id, topic_label(topic, statuses[topic.id])) for topic in topics]
            rows.append((domain.id, f"{domain.id} {domain.title} ({domain.weight:.0%}) {progress:.0%}", leaves))
        self._label_width = max((len(label) for *_, leaves in rows for _, label in leaves), default=MAP_MIN)
        self._fit_map(self.size.width)
        return rows

    @staticmethod
    def _relabel(tree: Tree[str], rows: list[tuple[str, str, list[tuple[str, str]]]]) -> None:
        for branch, (_, label, leaves) in zip(tree.root.children, rows):
            if str(branch.label) != label:
                branch.set_label(label)
            for leaf, (_, leaf_label) in zip(branch.children, leaves):
                if str(leaf.label) != leaf_label:
                    leaf.set_label(leaf_label)

    def _rebuild(self, tree: Tree[str], rows: list[tuple[str, str, list[tuple[str, str]]]]) -> None:
        expanded = {node.data for node in tree.root.children if node.is_expanded} if tree.root.children else None
        under_cursor = tree.cursor_node.data if tree.cursor_node is not None else None
        tree.clear()
        for domain_id, label, leaves in rows:
            branch = tree.root.add(label, data=domain_id, expand=expanded is None or domain_id in expanded)
            for topic_id, leaf_label in leaves:
                branch.add_leaf(leaf_label, data=topic_id)
        if under_cursor is not None and self._cursor_wanted is None:
            self.call_after_refresh(self._cursor_to, under_cursor)  # the new nodes get lines on refresh

    def _cursor_to(self, data: str) -> None:
        tree = self.query_one("#topic-tree", Tree)
        for domain in tree.root.children:
            for node in (domain, *domain.children):
                if node.data == data:
                    if node is not domain:
                        domain.expand()
                    self.call_after_refresh(tree.move_cursor, node)
                    self._cursor_wanted = None
                    return

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data in self.context.curriculum.topics:
            self.show_topic(event.node.data)

    def show_topic(self, topic_id: str, force: bool = False) -> None:
        self.current = topic_id
        self.context.activity = LearnerActivity.reading_topic(topic_id)  # the tutor sees what is open
        if topic_id not in self.statuses:
            return  # shown once the map's first read arrives (_show_map)
        topic = self.context.curriculum.topics[topic_id]
        text = topic_markdown(self.context, topic, self.statuses)
        reading = self.query_one("#topic-text", Markdown)
        # Showing the pane (and every resize that re-shows it) rebuilds the map; re-rendering an
        # unchanged topic would only race its own earlier render and can leave the pane blank.
        if force or reading.source != text:
            reading.update(text)

    def select_topic(self, topic_id: str) -> None:
        """Put the tree's cursor on a topic (opening its domain) and show it (from the palette)."""
        self.current = self._cursor_wanted = topic_id
        self.refresh_map()

    def _chosen(self) -> str | None:
        node = self.query_one("#topic-tree", Tree).cursor_node
        if node is not None and node.data in self.context.curriculum.topics:
            return node.data
        return self.current or self.next_topic

    def action_chat(self) -> None:
        if topic_id := self._chosen():
            self.post_message(TalkRequested(topic_id))

    def action_quiz(self) -> None:
        if topic_id := self._chosen():
            self.post_message(QuizRequested(topic_id))

    def action_lab(self) -> None:
        topic_id = self._chosen()
        if topic_id is None:
            return
        labs = self.context.curriculum.topics[topic_id].labs
        if not labs:
            self.app.notify("This topic has no lab; try the quiz (q) or the chat (c).")
            return
        self.post_message(LabRequested(labs[0]))

    def action_refresh_map(self) -> None:
        self.refresh_map(force=True)
