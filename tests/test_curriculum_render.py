"""Every topic reads well in an 80-column terminal: no LaTeX, no over-wide code or table lines."""

import re

from dltui.ui.app import DltuiApp
from dltui.ui.topics import TopicsPane

LATEX = re.compile(r"\$\$|\\frac|\\sum|\\mathbf|\\\(|\\\[")
WIDTH = 76  # 80 columns less the pane's padding and scrollbar


def wide_lines(markdown: str) -> list[str]:
    """Lines that cannot wrap (inside code fences, or table rows) and are wider than WIDTH."""
    too_wide, in_code = [], False
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if (in_code or line.lstrip().startswith("|")) and len(line) > WIDTH:
            too_wide.append(line)
    return too_wide


def test_explanations_have_no_latex_and_nothing_too_wide(bundled_curriculum):
    problems = {}
    for topic in bundled_curriculum.topics.values():
        found = wide_lines(topic.explanation) + LATEX.findall(topic.explanation)
        if found:
            problems[topic.id] = found
    assert not problems


def test_wide_line_check_catches_a_wide_code_line():
    assert wide_lines("```\n" + "x" * 90 + "\n```") and not wide_lines("x" * 200)


async def test_every_topic_renders_in_the_explanation_view_at_80_columns(context):
    app = DltuiApp(context, start_area="topics")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TopicsPane)
        detail = app.query_one("#topic-detail")
        await app.workers.wait_for_complete()  # the map's mastery is read off the event loop
        for topic_id in context.curriculum.topics:
            pane.show_topic(topic_id)
            await pilot.pause()
            text = app.query_one("#topic-text")
            assert context.curriculum.topics[topic_id].title in text.source
            assert detail.virtual_size.width <= detail.size.width, f"{topic_id} scrolls sideways"
