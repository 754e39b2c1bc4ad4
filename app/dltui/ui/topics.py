"""The Topics area: the domains and their topics; Enter opens a topic's explanation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Markdown, Tree

from dltui.context import StudyContext
from dltui.curriculum import Topic


def topic_markdown(topic: Topic, title_of: dict[str, str]) -> str:
    """The explanation view of a topic: text, prerequisites and sources."""
    needs = ", ".join(title_of.get(p, p) for p in topic.prerequisites) or "nothing: a starting point"
    sources = "\n".join(f"- [{s.title}]({s.url})" for s in topic.sources)
    return f"# {topic.code} {topic.title}\n\n{topic.explanation}\n\n**Needs:** {needs}\n\n**Sources**\n\n{sources}\n"


class TopicsPane(Horizontal):
    def __init__(self, context: StudyContext):
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        curriculum = self.context.curriculum
        tree: Tree[str] = Tree("Curriculum", id="topic-tree")
        tree.show_root = False
        for domain in curriculum.domains.values():
            branch = tree.root.add(f"{domain.id} {domain.title} ({domain.weight:.0%})", expand=True)
            for topic in curriculum.topics_in(domain.id):
                branch.add_leaf(f"{topic.code} {topic.title}", data=topic.id)
        yield tree
        with VerticalScroll(id="topic-detail"):
            yield Markdown("Select a topic and press Enter to read it.", id="topic-text")

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        topic = self.context.curriculum.topics.get(event.node.data or "")
        if topic is None:
            return
        title_of = {t.id: t.title for t in self.context.curriculum.topics.values()}
        self.query_one("#topic-text", Markdown).update(topic_markdown(topic, title_of))
