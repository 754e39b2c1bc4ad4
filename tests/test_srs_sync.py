"""Curriculum edits reach the database without losing history."""

from datetime import datetime, timezone

from dltui.curriculum import load_curriculum
from dltui.srs import ReviewQueue, StudyClock, record_answer, sync_cards
from dltui.store.models import CardState, ReviewLog
from fsrs import Rating, Scheduler
from sqlalchemy import func
from sqlmodel import select
from srs_support import _recall, open_context, write_curriculum

NOW = datetime(2026, 5, 1, 10, tzinfo=timezone.utc)


def test_sync_adds_keeps_retires_and_restores(tmp_path):
    context = open_context(tmp_path)
    first = sync_cards(context)
    assert (first.added, first.retired, first.restored) == (8, 0, 0)
    assert not sync_cards(context).changed  # idempotent
    with context.store.session() as session:
        gamma_id = session.exec(select(CardState.id).where(CardState.card_key == "gamma/r1")).one()
    answer = record_answer(context, gamma_id, Rating.Easy, now=NOW, scheduler=Scheduler(enable_fuzzing=False))
    with context.store.session() as session:
        before = session.get(CardState, gamma_id).model_dump()

    # Edit: gamma/r1 gets new text, gamma/r4 is new, and beta's file loses both its cards.
    root = tmp_path / "curriculum"
    write_curriculum(root, extra_gamma_cards=_recall("gamma/r4", "A new one?", "Yes"), gamma_front="What is Gamma, really?")
    (root / "A" / "02-beta.md").write_text(
        (root / "A" / "02-beta.md").read_text().split("## Quiz cards")[0] + "## Quiz cards\n\n```toml\n```\n"
    )
    context.curriculum, _ = load_curriculum(root)
    report = sync_cards(context)
    assert (report.added, report.retired, report.restored) == (1, 2, 0)
    with context.store.session() as session:
        rows = {row.card_key: row for row in session.exec(select(CardState)).all()}
        logs = session.exec(select(func.count(ReviewLog.id))).one()
    assert rows["gamma/r1"].model_dump() == before  # same schedule; the text lives in the file
    assert rows["beta/r1"].retired and rows["beta/r2"].retired  # kept, not deleted
    assert rows["gamma/r4"].state == 0 and not rows["gamma/r4"].retired
    assert logs == 1 and answer.log_id
    queue = ReviewQueue(context, StudyClock(4, timezone.utc, lambda: NOW))
    shown = []
    while (card := queue.next_card()) is not None:
        shown.append(card.card_key)
        queue.answer(card.card_id, Rating.Easy)
    assert "beta/r1" not in shown and "gamma/r4" in shown
    assert queue.card(gamma_id).content.front == "What is Gamma, really?"

    # The cards come back: same rows, history intact.
    write_curriculum(root)
    context.curriculum, _ = load_curriculum(root)
    report = sync_cards(context)
    assert (report.added, report.retired, report.restored) == (0, 1, 2)  # gamma/r4 is gone again
    with context.store.session() as session:
        assert not session.get(CardState, rows["beta/r1"].id).retired
    context.close()
