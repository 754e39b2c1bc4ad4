"""What the learner does elsewhere reaches the tutor: the topic open in Topics, the card just failed."""

from dltui.tutor.prompt import learner_context
from dltui.ui.app import DltuiApp
from journeys.conftest import wait_for_text


async def test_the_tutor_prompt_names_the_open_topic_and_the_card_just_failed(learner):
    app = DltuiApp(learner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # the first topic of the first domain
        await pilot.pause()
        first = next(iter(learner.curriculum.topics.values()))
        assert first.title in learner_context(learner, None)
        await pilot.press("f3")
        await wait_for_text(pilot, "show the answer")
        await pilot.press("escape", "space")  # out of a number box, if the first card has one
        await wait_for_text(pilot, "1 Again")
        front = app.query_one("#card-front").render()
        await pilot.press("1")
        await pilot.pause()
        prompt = learner_context(learner, None)
        assert str(front).strip()[:40] in prompt, prompt
