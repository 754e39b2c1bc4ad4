"""Shell journeys: the area keys, the key panel, the command palette, Tab and quitting."""

from __future__ import annotations

import pytest
from dltui.ui.app import AREAS, DltuiApp
from journeys.conftest import screen_text, type_text, typed_at_once, wait_for_text, wait_until

# Something only each area shows, read off the screen.
AREA_MARKS = {
    "chat": "Tutor: offline tutor",
    "topics": "Study next",
    "review": "due today",
    "labs": "Runs",
    "progress": "study tracker",
}


def active_area(app) -> str:
    return app.query_one("#areas").active


async def palette(pilot, typed: str) -> None:
    """Ctrl+P, type, Enter: the top match runs."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ == "CommandPalette")
    await type_text(pilot, typed)
    await wait_until(pilot, lambda: typed.lower() in screen_text(pilot.app).lower() and _palette_has_hits(pilot.app))
    await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ != "CommandPalette")


def _palette_has_hits(app) -> bool:
    lists = app.screen.query("CommandList")
    return bool(lists) and lists.first().option_count > 0


async def test_function_and_alt_keys_open_every_area(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        for keys in ([key for _a, _t, key in AREAS], [f"alt+{i}" for i in range(1, len(AREAS) + 1)]):
            for (area, title, key), press in zip(reversed(AREAS), reversed(keys)):
                await pilot.press(press)
                screen = await wait_for_text(pilot, AREA_MARKS[area])
                assert AREA_MARKS[area] in screen, f"{press} did not show {title}"
                assert f"{key.upper()} {title}" in screen.splitlines()[1], "the tab says its key"


def area_pane(app, area: str):
    return app.query_one(f"#{area} > .area-pane")


def keys_are_in(app, area: str) -> bool:
    return app.focused is not None and area_pane(app, area) in app.focused.ancestors_with_self


async def test_a_click_on_an_areas_name_opens_it_with_the_keys_in_it(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        for area, title, key in [*AREAS[1:], AREAS[0]]:  # every area, then back to the chat
            name = f"{key.upper()} {title}"
            row = next(i for i, line in enumerate(screen_text(app).splitlines()) if name in line)
            column = screen_text(app).splitlines()[row].index(name)
            await pilot.click(offset=(column + 1, row))
            await wait_for_text(pilot, AREA_MARKS[area])
            assert active_area(app) == area, f"a click on {name} did not open it"
            # The keys work at once: space on a card, arrows in the map.
            assert keys_are_in(app, area), f"after a click on {name} the keys went to {app.focused}"


async def test_a_question_typed_straight_after_f1_lands_in_the_chat_box(learner, size):
    # From the topic map, F1 and the question at once (a quick typist, or a burst over SSH): the
    # keys were handed to the map before the chat's box took the focus.
    app = DltuiApp(learner, start_area="topics")
    async with app.run_test(size=size) as pilot:
        await wait_for_text(pilot, AREA_MARKS["topics"])
        typed_at_once(app, ["f1", *"what is a tensor?"])
        box = app.query_one("#chat-input")
        assert await wait_until(pilot, lambda: box.value == "what is a tensor?"), repr(box.value)
        assert app.focused is box


def style_at(widget, column: int):
    """The style the widget draws at ``column`` of its first line."""
    strip = widget.render_lines(widget.region.reset_offset)[0]
    for segment in strip:
        if column < segment.cell_length:
            return segment.style
        column -= segment.cell_length
    raise AssertionError("past the end of the line")


async def test_the_key_or_area_under_the_mouse_is_marked(learner, size):
    # A mouse user sees what a click would do: the footer key and the area name under the pointer
    # are drawn apart from the rest; moving away puts them back.
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await wait_for_text(pilot, AREA_MARKS["chat"])
        for selector, text in (("StudyFooter", "New chat"), ("AreaNames", "F3 Review")):
            widget = app.query_one(selector)
            line = "".join(strip.text for strip in widget.render_lines(widget.region.reset_offset)[:1])
            column = line.index(text) + 1
            before = style_at(widget, column)
            await pilot.hover(selector, offset=(column, 0))
            await pilot.pause()
            assert style_at(widget, column) != before, f"{text} under the mouse looks the same"
            await pilot.hover("#chat-log")
            await pilot.pause()
            assert style_at(widget, column) == before


async def test_each_area_has_every_row_but_three_and_tab_stays_in_it(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        for area, _title, key in AREAS:
            await pilot.press(key)
            await wait_for_text(pilot, AREA_MARKS[area])
            # The header, the line of area names and the footer take one row each.
            assert area_pane(app, area).region.height == size[1] - 3, area
            for press in ["tab"] * 4 + ["shift+tab"] * 8:  # never onto the names, which take no keys
                await pilot.press(press)
                await pilot.pause()
                assert keys_are_in(app, area), f"{press} in {area} moved the keys to {app.focused}"


async def test_question_mark_toggles_the_key_panel_outside_text_boxes(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("question_mark")
        screen = await wait_for_text(pilot, "Talk about it")
        assert app.screen.query("HelpPanel") and "Quiz it" in screen
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
        await pilot.press("f1")  # in the chat's text box ? is a character, and the footer says so
        await pilot.pause()
        assert "? Keys" not in screen_text(app).splitlines()[-1]


async def test_palette_opens_areas_topics_quizzes_and_chats(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await palette(pilot, "go to progress")
        assert "study tracker" in await wait_for_text(pilot, "study tracker")
        await palette(pilot, "open topic backprop")
        screen = await wait_for_text(pilot, "B4 Backpropagation")
        assert active_area(app) == "topics" and "Needs:" in screen
        await pilot.press("c")  # the tree's cursor is on the topic the palette opened
        assert "Let's study Backpropagation" in await wait_for_text(pilot, "Let's study Backpropagation")
        await palette(pilot, "quiz topic linear algebra")
        assert "Quiz: Linear algebra" in await wait_for_text(pilot, "Quiz: Linear algebra")
        await palette(pilot, "new chat")
        screen = await wait_for_text(pilot, "Chat #2")
        assert active_area(app) == "chat" and "Chat #2" in screen
        await type_text(pilot, "next")  # the text box has the focus
        await pilot.press("enter")
        assert "What would you like to study?" in await wait_for_text(pilot, "What would you like to study?")


async def test_palette_runs_a_lab_shows_stats_and_exports_notes(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        await palette(pilot, "run lab numpy-xor")
        screen = await wait_for_text(pilot, "Cancel")
        assert "(numpy-xor)" in screen and "Learning rate" in screen, "the run form is open"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ != "LabForm")
        await palette(pilot, "review stats")
        await pilot.pause()
        assert active_area(app) == "review" and app.query_one("ReviewPane").showing_stats
        await palette(pilot, "export session notes")
        screen = await wait_for_text(pilot, "Written:")
        assert "dl-study-tracker.md" in screen.replace("\n", "")
        assert (learner.settings.data_dir / "progress" / "dl-study-tracker.md").exists()


async def test_tab_and_shift_tab_move_between_widgets(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # A1 in the reading pane
        await wait_for_text(pilot, "A1 Linear algebra")
        await pilot.press("tab", "end")  # the reading pane has the keys: End goes to its bottom
        screen = await wait_for_text(pilot, "Sources")
        assert "open its lab" in screen
        await pilot.press("shift+tab", "down", "enter")  # back in the tree: the next topic opens
        assert "A2 Calculus" in await wait_for_text(pilot, "A2 Calculus")


async def test_ctrl_q_quits_even_from_the_text_box(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "half a sentence")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


@pytest.mark.parametrize("area", [area for area, _title, _key in AREAS])
async def test_every_areas_footer_fits_at_80_columns(learner, area):
    from journeys.test_chat_journeys import footer_entries

    app = DltuiApp(learner, start_area=area)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        entries = footer_entries(app)
        assert entries, area
        footer = screen_text(app).splitlines()[-1]
        assert not [e for e in entries if e not in footer], f"cut off in the {area} footer {footer!r}"
