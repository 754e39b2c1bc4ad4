"""`dltui review optimize` and the other review commands, run through the real CLI entry point."""

import json
import math
import random
from datetime import datetime, timedelta, timezone

import pytest
from dltui.cli import main
from dltui.srs import optimize, record_answer, sync_cards
from dltui.srs.scheduler import PARAMETERS_FILE, apply_card, card_from_row
from dltui.store.models import CardState
from dltui.store.models import ReviewLog as ReviewLogRow
from fsrs import Card, Rating, ReviewLog, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlmodel import select
from srs_support import open_context

START = datetime(2025, 1, 6, 9, tzinfo=timezone.utc)


@pytest.fixture
def context(tmp_path, monkeypatch):
    ctx = open_context(tmp_path)
    monkeypatch.setenv("DLTUI_CURRICULUM", str(tmp_path / "curriculum"))
    sync_cards(ctx)
    yield ctx
    ctx.close()


def run_cli(context, *args) -> int:
    return main(["--db", str(context.settings.db_path), *args])


def snapshot(context) -> list[dict]:
    with context.store.session() as session:
        return [row.model_dump() for row in session.exec(select(CardState).order_by(CardState.id)).all()]


def simulate_learner(context, cards: int = 60, reviews: int = 12, seed: int = 7) -> None:
    """A learner who forgets the way fsrs predicts, answering every card when it falls due."""
    scheduler = Scheduler(enable_fuzzing=False)
    chance = random.Random(seed)
    with context.store.session() as session:
        for index in range(cards):
            row = CardState(card_key=f"tutor/gamma/sim{index}", topic_id="gamma", origin="tutor", front="q", back="a")
            session.add(row)
            session.flush()
            card, when = card_from_row(row, START), START + timedelta(hours=index)
            for step in range(reviews):
                recalled = step == 0 or chance.random() < scheduler.get_card_retrievability(card, when) * 0.95
                rating = chance.choice([Rating.Hard, Rating.Good, Rating.Good, Rating.Easy]) if recalled else Rating.Again
                card, _ = scheduler.review_card(card, rating, when)
                session.add(ReviewLogRow(card_id=row.id, rating=int(rating), reviewed_at=when, duration_ms=3000))
                when = card.due + timedelta(hours=chance.randint(0, 40))
            apply_card(row, card)


def test_below_the_data_it_needs_it_says_so_and_changes_nothing(context, capsys):
    for row_id in (1, 2, 3):
        record_answer(context, row_id, Rating.Good, now=START)
    before = snapshot(context)
    assert run_cli(context, "review", "optimize", "--yes") == 0
    out = capsys.readouterr().out
    assert "needs 512 answers" in out and "you have 0 (of 3 answers)" in out and "Nothing changed" in out
    assert snapshot(context) == before
    assert not (context.settings.data_dir / PARAMETERS_FILE).exists()


@pytest.mark.slow  # the optimizer needs ~40 s of CPU for the 512 reviews it asks for
def test_fit_shows_old_and_new_and_reschedules_on_confirmation(context, capsys, monkeypatch):
    simulate_learner(context, cards=56, reviews=13)
    assert 512 <= optimize.usable_reviews(optimize.review_logs(context)) < 600  # just over the minimum
    before = snapshot(context)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert run_cli(context, "review", "optimize") == 0
    out = capsys.readouterr().out
    assert "Log-loss:" in out and "w20" in out
    if "do not predict your answers better" in out:
        pytest.skip("the fit did not improve on the defaults for this data")
    assert "Nothing changed." in out and snapshot(context) == before
    assert run_cli(context, "review", "optimize", "--yes") == 0
    assert "cards rescheduled" in capsys.readouterr().out
    saved = json.loads((context.settings.data_dir / PARAMETERS_FILE).read_text())
    assert len(saved["parameters"]) == 21 and saved["log_loss"]["new"] < saved["log_loss"]["old"]
    assert snapshot(context) != before


def test_log_loss_matches_the_fsrs_formula_by_hand():
    day0 = START
    logs = [
        ReviewLog(1, Rating.Good, day0, None),
        ReviewLog(1, Rating.Again, day0 + timedelta(days=3, hours=5), None),
        ReviewLog(2, Rating.Easy, day0, None),
        ReviewLog(2, Rating.Good, day0 + timedelta(hours=2), None),  # same day: not scored
        ReviewLog(2, Rating.Good, day0 + timedelta(days=20), None),
    ]
    w = list(DEFAULT_PARAMETERS)
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1

    def recall(days, stability):
        return (1 + factor * days / stability) ** decay

    card2 = Scheduler(enable_fuzzing=False).review_card(Card(card_id=2), Rating.Easy, day0)[0]
    card2 = Scheduler(enable_fuzzing=False).review_card(card2, Rating.Good, day0 + timedelta(hours=2))[0]
    expected = -(math.log(1 - recall(3, w[2])) + math.log(recall(19, card2.stability))) / 2  # 19 whole days
    assert optimize.log_loss(logs, w) == pytest.approx(expected, rel=1e-12)
    assert optimize.usable_reviews(logs) == 2


def test_adopting_the_same_parameters_reproduces_every_card(context):
    simulate_learner(context, cards=5, reviews=6)
    before = snapshot(context)
    logs = optimize.review_logs(context)
    fit = optimize.Fit(old=list(DEFAULT_PARAMETERS), new=list(DEFAULT_PARAMETERS), loss_old=1.0, loss_new=0.5)
    assert optimize.adopt(context, fit, logs, fuzzing=False) == 5
    assert snapshot(context) == before
    saved = json.loads((context.settings.data_dir / PARAMETERS_FILE).read_text())
    assert saved["parameters"] == list(DEFAULT_PARAMETERS)
    different = list(DEFAULT_PARAMETERS)
    different[0:4] = [1.0, 3.0, 6.0, 20.0]  # other first intervals for every first rating
    optimize.adopt(context, optimize.Fit(list(DEFAULT_PARAMETERS), different, 1.0, 0.5), logs, fuzzing=False)
    assert snapshot(context) != before


def test_review_stats_and_quiz_commands(context, capsys):
    record_answer(context, 1, Rating.Good)
    assert run_cli(context, "review", "stats") == 0
    out = capsys.readouterr().out
    assert "Today: 1 answers" in out and "Mastery by domain:" in out and "Letters" in out
    assert run_cli(context, "quiz", "no-such-topic") == 2
    assert "no topic called 'no-such-topic'" in capsys.readouterr().err


def test_suspended_cards_are_listed_and_brought_back(context, capsys):
    with context.store.session() as session:
        leech = session.exec(select(CardState).where(CardState.card_key == "beta/r2")).one()
        leech.suspended, leech.leech, leech.lapses = True, True, 8
    assert run_cli(context, "review", "suspended") == 0
    out = capsys.readouterr().out
    assert f"{leech.id:>6}  beta" in out and "Beta after?" in out and "leech, 8 lapses" in out
    assert run_cli(context, "review", "unsuspend", str(leech.id)) == 0
    assert "back in the queue" in capsys.readouterr().out
    with context.store.session() as session:
        assert session.get(CardState, leech.id).suspended is False
    assert run_cli(context, "review", "unsuspend", "99999") == 2
    assert "no card with id 99999" in capsys.readouterr().err
