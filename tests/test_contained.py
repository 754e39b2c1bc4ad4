"""Contained: any widget that mixes it in shows one line when drawing fails; the app keeps going."""

from dltui.ui.contained import Contained, ContainedStatic
from journeys.conftest import screen_text
from textual.app import App, ComposeResult
from textual.widgets import Static


class Flaky(Contained, Static):
    drawing_name = "flaky widget"
    broken = True

    def render(self):
        if self.broken:
            raise ValueError("bad data\nsecond line of the message")
        return "drawn fine"


class TwoWidgets(App):
    def compose(self) -> ComposeResult:
        yield Flaky(id="flaky")
        yield ContainedStatic("the neighbour", id="neighbour")


async def test_a_failing_widget_shows_one_line_and_recovers_on_the_next_good_frame():
    app = TwoWidgets()
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "⚠ flaky widget could not be drawn: ValueError: bad data" in text
        assert "second line" not in text  # one line, whatever the message
        assert "the neighbour" in text
        flaky = app.query_one(Flaky)
        assert flaky.drawing_failure.startswith("⚠ flaky widget")
        flaky.broken = False
        flaky.refresh()
        await pilot.pause()
        assert "drawn fine" in screen_text(app) and "could not be drawn" not in screen_text(app)
        assert flaky.drawing_failure is None
