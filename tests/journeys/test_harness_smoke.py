"""The journey harness itself: the app launches on a fresh database and the screen can be read."""

from dltui.ui.app import DltuiApp
from journeys.conftest import screen_text


async def test_the_app_opens_on_the_chat_for_a_new_learner(learner, size):
    app = DltuiApp(learner)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Tutor: offline tutor" in text
        assert len(text.splitlines()) == size[1]
