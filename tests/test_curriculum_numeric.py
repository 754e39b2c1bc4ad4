"""Every numeric quiz card's answer is recomputed independently; a wrong answer fails here."""

import importlib
import math
import pkgutil

import curriculum_answers
import pytest
from dltui.curriculum import CardKind


def _answer_tables():
    answers, not_computable = {}, {}
    for module_info in pkgutil.iter_modules(curriculum_answers.__path__):
        module = importlib.import_module(f"curriculum_answers.{module_info.name}")
        answers.update(module.ANSWERS)
        not_computable.update(module.NOT_COMPUTABLE)
    return answers, not_computable


ANSWERS, NOT_COMPUTABLE = _answer_tables()


def _numeric_cards(curriculum):
    return [c for c in curriculum.all_cards() if c.kind is CardKind.NUMERIC]


def test_every_numeric_card_is_computed_or_explained(bundled_curriculum):
    missing = [c.id for c in _numeric_cards(bundled_curriculum) if c.id not in ANSWERS and c.id not in NOT_COMPUTABLE]
    assert not missing, f"numeric cards without an independent computation: {missing}"


def test_no_stale_computations(bundled_curriculum):
    ids = {c.id for c in _numeric_cards(bundled_curriculum)}
    stale = sorted(set(ANSWERS) - ids)
    assert not stale, f"computations for cards that are not numeric cards any more: {stale}"


@pytest.mark.parametrize("card_id", sorted(ANSWERS))
def test_numeric_answer_matches_independent_computation(bundled_curriculum, card_id):
    card = bundled_curriculum.card(card_id)
    assert card is not None, f"{card_id} is not in the curriculum"
    expected = float(ANSWERS[card_id]())
    allowed = max(card.tolerance, 1e-9 * max(1.0, abs(expected)))
    assert math.isclose(card.numeric_answer, expected, abs_tol=allowed), (
        f"{card_id}: card says {card.answer}, independent computation gives {expected}"
    )
    assert card.grade(repr(expected)), "the computed value must be accepted by the card's own grading"
