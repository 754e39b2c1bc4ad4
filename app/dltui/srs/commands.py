"""`dltui review` (the review screen alone), `dltui review stats`, `dltui review optimize`, `dltui quiz`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dltui.context import StudyContext
    from dltui.srs.optimize import Fit


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = subparsers.add_parser(
        "review",
        help="today's reviews in a small full-screen app (stats, optimize)",
        description="Without an action: today's reviews on their own screen (keys: space, 1-4, u, b, s, v, q).",
    )
    review.set_defaults(handler=review_command)
    actions = review.add_subparsers(dest="review_action", metavar="[ACTION]")
    stats = actions.add_parser("stats", help="print review statistics")
    stats.set_defaults(handler=stats_command)
    optimize = actions.add_parser("optimize", help="fit FSRS parameters to your own reviews")
    optimize.add_argument("--yes", action="store_true", help="adopt the new parameters without asking")
    optimize.set_defaults(handler=optimize_command)
    suspended = actions.add_parser("suspended", help="list suspended cards and leeches")
    suspended.set_defaults(handler=suspended_command)
    unsuspend = actions.add_parser("unsuspend", help="put suspended cards back in the queue")
    unsuspend.add_argument("card_ids", nargs="+", type=int, metavar="CARD_ID")
    unsuspend.set_defaults(handler=unsuspend_command)
    quiz = subparsers.add_parser("quiz", help="a short quiz on one topic, whatever is due")
    quiz.add_argument("topic", help="topic id, code (e.g. B4) or part of its title")
    quiz.set_defaults(handler=quiz_command)


def _open(args: argparse.Namespace) -> StudyContext:
    from dltui.context import StudyContext
    from dltui.srs import sync_cards

    context = StudyContext.open(args.db)
    sync_cards(context)
    return context


def _run_app(context: StudyContext, quiz_topic: str | None = None) -> None:
    """The review screen alone, as one study session (notes are written when it closes)."""
    from dltui.notes.sessions import begin_session, close_session
    from dltui.srs.summary import session_summary
    from dltui.store.backups import daily_backup
    from dltui.ui.review.app import ReviewApp

    daily_backup(context.settings.db_path, context.settings.backups_kept)  # as the full app does
    begin_session(context, "review")
    app = ReviewApp(context, quiz_topic=quiz_topic)
    try:
        app.run()
    finally:
        close_session(context)
    summary = session_summary(context, app.answered_log_ids)
    print("\n".join(summary.lines("This quiz" if quiz_topic else "This session")))


def review_command(args: argparse.Namespace) -> int:
    context = _open(args)
    try:
        _run_app(context)
    finally:
        context.close()
    return 0


def quiz_command(args: argparse.Namespace) -> int:
    import sys

    from dltui.srs import Quiz, QuizError

    context = _open(args)
    try:
        try:
            quiz = Quiz(context, args.topic)  # check the topic before the screen opens
        except QuizError as err:
            print(f"dltui quiz: {err}", file=sys.stderr)
            return 2
        _run_app(context, quiz_topic=quiz.topic.id)
    finally:
        context.close()
    return 0


def stats_command(args: argparse.Namespace) -> int:
    from dltui.srs import review_stats
    from dltui.srs.report import stats_report

    context = _open(args)
    try:
        titles = {d.id: d.title for d in context.curriculum.domains.values()}
        print(stats_report(review_stats(context), titles))
    finally:
        context.close()
    return 0


def suspended_command(args: argparse.Namespace) -> int:
    from dltui.srs.cards import suspended_cards

    context = _open(args)
    try:
        cards = suspended_cards(context)
        for card in cards:
            tag = f"leech, {card.lapses} lapses" if card.leech else "suspended"
            print(f"{card.card_id:>6}  {card.topic_id:<24} {card.front[:60]}  ({tag})")
        print(f"{len(cards)} suspended card(s)" + ("; bring one back with `dltui review unsuspend ID`" if cards else ""))
    finally:
        context.close()
    return 0


def unsuspend_command(args: argparse.Namespace) -> int:
    import sys

    from dltui.srs.answers import AnswerError, suspend_card

    context = _open(args)
    try:
        for card_id in args.card_ids:
            try:
                suspend_card(context, card_id, suspended=False)
            except AnswerError as err:
                print(f"dltui review unsuspend: {err}", file=sys.stderr)
                return 2
            print(f"card {card_id} is back in the queue")
    finally:
        context.close()
    return 0


def optimize_command(args: argparse.Namespace) -> int:
    from dltui.srs import optimize
    from dltui.srs.scheduler import scheduler_for

    context = _open(args)
    try:
        logs = optimize.review_logs(context)
        usable = optimize.usable_reviews(logs)
        if usable < optimize.MIN_USABLE_REVIEWS:
            print(
                f"Not enough reviews to fit FSRS yet: it needs {optimize.MIN_USABLE_REVIEWS} answers given a day or "
                f"more after the card's previous one, and you have {usable} (of {len(logs)} answers). "
                "Nothing changed; keep reviewing and try again later."
            )
            return 0
        missing = optimize.missing_optimizer_modules()
        if missing:
            print(
                f"The FSRS optimizer needs {', '.join(missing)}, which this install lacks. Install the extra with\n"
                f"  {optimize.INSTALL_HINT}\nNothing changed."
            )
            return 2
        old = list(scheduler_for(context).parameters)
        print(f"Fitting FSRS parameters to {len(logs)} answers ({usable} usable); this takes a while...", flush=True)
        try:
            new = optimize.fit_parameters(logs)
        except optimize.OptimizeError as err:
            print(f"{err}. Nothing changed.")
            return 1
        fit = optimize.evaluate(logs, old, new)
        print(parameters_table(fit))
        if fit.loss_new >= fit.loss_old:
            print("The fitted parameters do not predict your answers better than the current ones. Nothing changed.")
            return 0
        if not args.yes and not _confirm("Use the new parameters and reschedule every reviewed card? [y/N] "):
            print("Nothing changed.")
            return 0
        count = optimize.adopt(context, fit, logs)
        print(f"Done: {count} cards rescheduled with your parameters.")
    finally:
        context.close()
    return 0


def parameters_table(fit: Fit) -> str:
    lines = ["  #      old       new"]
    for index, (old, new) in enumerate(zip(fit.old, fit.new)):
        mark = "" if abs(old - new) < 5e-5 else "  *"
        lines.append(f"  w{index:<3} {old:8.4f}  {new:8.4f}{mark}")
    lines.append(
        f"Log-loss: {fit.loss_old:.4f} -> {fit.loss_new:.4f} ({fit.improvement:+.1%} {'better' if fit.improvement > 0 else 'worse'})"
    )
    return "\n".join(lines)


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False
