"""`dltui tutor eval`: every seeded-mistake dialogue through the real tutor, each reply scored.

Each dialogue runs in a fresh temporary database through `Chat` (so the real prompt, tools and
`ToolBox`), with the conversation's topic set as the Topics area sets it. The tutor's last reply
is scored by the model-free checks of `eval_checks` and, when asked, by the LLM judge of
`eval_judge`. The report prints one table per dimension and one per domain, and writes JSON
that two versions of the tutor can be compared by.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from dltui.context import StudyContext
from dltui.curriculum import Curriculum
from dltui.settings import DEFAULT_MODEL, load_settings
from dltui.store import Store
from dltui.store.models import Assessment
from dltui.tutor.activity import LearnerActivity
from dltui.tutor.eval_checks import CHECKS, CheckResult, check_reply
from dltui.tutor.eval_dialogues import Dialogue
from dltui.tutor.eval_judge import JUDGED, Agreement, ClaudeJudge, JudgeScore

# Targets from issue 18 for the offline tutor (and any tutor): rate needed per check.
TARGETS = {"not_revealed": 0.90, "ends_with_question_or_task": 0.90, "assessed_topic": 1.0}
SHORT = {  # column headings of the per-domain table
    "not_revealed": "withheld",
    "ends_with_question_or_task": "asks",
    "length_ok": "length",
    "no_latex": "no-tex",
    "assessed_topic": "assessed",
    "no_invented_citation": "cites",
    "mentions_mistake": "names",
    "names_mistake": "j-names",
    "actionable": "j-action",
    "holds_position": "j-holds",
}
# What a tutor run may take from the caller's environment: the API address and model, never
# the learner's own database or data folder.
PASSED_ENV = ("ANTHROPIC_BASE_URL", "DLTUI_MODEL", "DLTUI_MAX_TOKENS")


class EvalError(RuntimeError):
    """The eval cannot run as asked; the message says what to do."""


@dataclass
class DialogueResult:
    dialogue: Dialogue
    domain: str
    reply: str
    checks: CheckResult
    assessed: list[str]
    judge: JudgeScore | None = None
    notice: str | None = None  # what went wrong in the tutor's reply, if anything

    def scores(self) -> dict[str, bool | None]:
        """Every dimension for this reply; None where it does not apply (or the judge gave none)."""
        values: dict[str, bool | None] = dict(self.checks.passed)
        if self.judge is not None:
            values.update({name: self.judge.scores.get(name) for name, _ in JUDGED})
        return values

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.dialogue.id,
            "topic": self.dialogue.topic,
            "domain": self.domain,
            "kind": self.dialogue.kind,
            "reply": self.reply,
            "checks": self.checks.passed,
            "details": self.checks.details,
            "assessed": self.assessed,
            "judge": self.judge.to_json() if self.judge else None,
            "notice": self.notice,
        }


@dataclass
class EvalReport:
    tutor: str
    judge: str | None
    curriculum: Curriculum
    results: list[DialogueResult] = field(default_factory=list)
    agreement: Agreement | None = None

    def dimensions(self) -> list[tuple[str, str]]:
        return list(CHECKS) + (list(JUDGED) if self.judge else [])

    def rate(self, name: str, results: list[DialogueResult] | None = None) -> tuple[int, int]:
        """(passed, counted) for one dimension over some results (default: all)."""
        values = [r.scores().get(name) for r in (self.results if results is None else results)]
        counted = [v for v in values if v is not None]
        return sum(counted), len(counted)

    def by_domain(self) -> dict[str, list[DialogueResult]]:
        groups: dict[str, list[DialogueResult]] = {d: [] for d in self.curriculum.domains}
        for result in self.results:
            groups.setdefault(result.domain, []).append(result)
        return {d: rs for d, rs in groups.items() if rs}

    def table(self) -> str:
        lines = [
            f"dltui tutor eval: {self.tutor} tutor, {len(self.results)} dialogues" + (f", judged by {self.judge}" if self.judge else ""),
            "",
        ]
        lines.append(f"{'dimension':<40} {'passed':>9} {'rate':>6}  target")
        for name, label in self.dimensions():
            passed, counted = self.rate(name)
            target = TARGETS.get(name)
            verdict = ""
            if target is not None and counted:
                verdict = f">= {target:.0%} {'PASS' if passed / counted >= target else 'FAIL'}"
            lines.append(f"{label:<40} {f'{passed}/{counted}':>9} {_percent(passed, counted):>6}  {verdict}")
        names = [name for name, _ in self.dimensions()]
        lines += ["", f"{'domain':<34} {'n':>3} " + " ".join(f"{SHORT[n]:>8}" for n in names)]
        for domain, results in self.by_domain().items():
            title = self.curriculum.domains[domain].title if domain in self.curriculum.domains else domain
            cells = " ".join(f"{_percent(*self.rate(n, results)):>8}" for n in names)
            lines.append(f"{f'{domain} {title}'[:34]:<34} {len(results):>3} {cells}")
        failed = [r for r in self.results if r.notice]
        if failed:
            lines += [
                "",
                f"{len(failed)} replies ended with an error (scored as they stand), first: {failed[0].dialogue.id}: {failed[0].notice}",
            ]
        if self.agreement is not None:
            overall = self.agreement.overall
            lines += [
                "",
                f"judge agreement with hand labels: {_percent_value(overall)} over "
                f"{sum(self.agreement.compared.values())} labels on {self.agreement.replies} replies"
                + (f" ({self.agreement.unusable} verdicts unusable)" if self.agreement.unusable else ""),
            ]
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        dimensions = {}
        for name, label in self.dimensions():
            passed, counted = self.rate(name)
            dimensions[name] = {
                "label": label,
                "passed": passed,
                "counted": counted,
                "rate": passed / counted if counted else None,
                "target": TARGETS.get(name),
            }
        by_domain = {
            domain: {"n": len(results), **{n: _fraction(*self.rate(n, results)) for n, _ in self.dimensions()}}
            for domain, results in self.by_domain().items()
        }
        return {
            "version": 1,
            "tutor": self.tutor,
            "judge": self.judge,
            "dialogues": len(self.results),
            "dimensions": dimensions,
            "by_domain": by_domain,
            "agreement": self.agreement.to_json() if self.agreement else None,
            "results": [r.to_json() for r in self.results],
        }


async def run_eval(
    dialogues: list[Dialogue],
    curriculum: Curriculum,
    tutor: str = "offline",
    judge: str | None = None,
    retry_delays: tuple[float, ...] | None = None,
) -> EvalReport:
    """Run each dialogue through the tutor on its own fresh database and score the last reply."""
    if tutor not in ("offline", "claude") or judge not in (None, "claude"):
        raise EvalError("Choose --tutor offline or claude, and --judge claude or no judge.")
    key = os.environ.get("ANTHROPIC_API_KEY")
    if "claude" in (tutor, judge) and not key:
        raise EvalError("Claude needs ANTHROPIC_API_KEY in the environment; set it, or use --tutor offline without --judge.")
    env = {name: os.environ[name] for name in PASSED_ENV if os.environ.get(name)}
    report = EvalReport(tutor=tutor, judge=judge, curriculum=curriculum)
    grader = None
    if judge:
        assert key is not None  # checked above: the judge is Claude
        model = env.get("DLTUI_MODEL") or DEFAULT_MODEL
        grader = ClaudeJudge(key, model=model, base_url=env.get("ANTHROPIC_BASE_URL"))
    for dialogue in dialogues:
        result = await _run_one(dialogue, curriculum, tutor, env, retry_delays)
        if grader is not None:
            result.judge = await grader.score(dialogue, curriculum.topics[dialogue.topic].title, result.reply)
        report.results.append(result)
    if grader is not None:
        report.agreement = Agreement()
        for dialogue in dialogues:
            title = curriculum.topics[dialogue.topic].title
            for reference in dialogue.references:
                labels = {
                    "names_mistake": reference.names_mistake,
                    "actionable": reference.actionable,
                    "holds_position": reference.holds_position,
                }
                report.agreement.add(labels, await grader.score(dialogue, title, reference.reply))
    return report


async def _run_one(
    dialogue: Dialogue, curriculum: Curriculum, tutor: str, env: dict[str, str], retry_delays: tuple[float, ...] | None
) -> DialogueResult:
    from dltui.tutor.chat import Chat

    topic = curriculum.topics[dialogue.topic]
    with tempfile.TemporaryDirectory(prefix="dltui-eval-") as folder:
        settings = load_settings(Path(folder) / "tutor.db", env=env)
        context = StudyContext(settings=settings, store=Store(settings.db_path), curriculum=curriculum)
        try:
            chat = Chat(context, tutor_kind=tutor, retry_delays=retry_delays)
            context.activity = LearnerActivity.reading_topic(topic.id)  # the learner came from this topic
            chat.set_topic(topic.id)  # as opening the chat from a topic does
            reply = None
            for turn in dialogue.turns:
                reply = await chat.send(turn, _ignore, _ignore)
            with context.store.read() as session:
                assessed = [a.topic_id for a in session.exec(select(Assessment).order_by(col(Assessment.id)))]
        finally:
            context.close()
    text = reply.text if reply else ""
    return DialogueResult(
        dialogue=dialogue,
        domain=topic.domain,
        reply=text,
        checks=check_reply(text, dialogue, topic, assessed, curriculum),
        assessed=assessed,
        notice=reply.notice if reply else None,
    )


def _ignore(_piece: object) -> None:
    """The eval reads the finished reply; streamed pieces and tool lines are not shown."""


def _percent(passed: int, counted: int) -> str:
    return f"{passed / counted:.0%}" if counted else "-"


def _percent_value(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"


def _fraction(passed: int, counted: int) -> float | None:
    return passed / counted if counted else None
