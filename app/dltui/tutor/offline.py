"""The offline tutor: a scripted Socratic dialogue over the curriculum, no network needed.

One topic at a time: the opener question (what do you know?), the explanation, then each check
question. An answer is compared with the question's key points: covered -> move on; missed ->
a hint and a second try; missed again -> the key points are shown and a gap is logged. At the end
an assessment is recorded through the same tools the Claude tutor uses.

The dialogue state travels in the meta of the tutor's last message, so a conversation can be
resumed after a restart exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import re

from dltui.context import StudyContext
from dltui.curriculum import QuestionKind, Topic
from dltui.store.models import Message
from dltui.tutor.matching import content_words, covered_points
from dltui.tutor.reply import Reply, TextSink, ToolSink
from dltui.tutor.tools import ToolBox

HELP = (
    "Type your answer in your own words. Commands: **hint**, **explain** (read the explanation again), "
    "**skip** (next question), **quiz** (quiz this topic), **next** (what to study next), "
    "**topic NAME** (switch topic)."
)
YES = {"yes", "y", "ok", "okay", "sure", "go", "start", "let's go"}


class OfflineTutor:
    name = "offline"
    label = "offline tutor"

    def __init__(self, context: StudyContext, toolbox: ToolBox):
        self.context = context
        self.toolbox = toolbox

    async def respond(self, history: list[Message], topic_id: str | None, on_text: TextSink, on_tool: ToolSink) -> Reply:
        reply = Reply()
        state = _last_state(history)
        text = next((m.content for m in reversed(history) if m.role == "user"), "").strip()
        turn = _Turn(self, reply, state, on_text, on_tool)
        turn.handle(text, topic_id)
        await turn.flush()
        reply.meta = {"offline": turn.state}
        return reply.done()


class _Turn:
    """One answer from the offline tutor: reads the state, writes text, moves the state on."""

    def __init__(self, tutor: OfflineTutor, reply: Reply, state: dict, on_text: TextSink, on_tool: ToolSink):
        self.context = tutor.context
        self.toolbox = tutor.toolbox
        self.reply = reply
        self.state = dict(state)
        self.on_text = on_text
        self.on_tool = on_tool
        self.parts: list[str] = []

    def say(self, text: str) -> None:
        self.parts.append(text)

    async def flush(self) -> None:
        text = "\n\n".join(self.parts)
        for piece in re.findall(r"\S+\s*|\s+", text):  # word by word, like a streamed reply
            self.reply.text += piece
            self.on_text(piece)
            await asyncio.sleep(0)

    def tool(self, name: str, **arguments) -> None:
        outcome = self.toolbox.run(name, arguments)
        self.reply.tool_lines.append(outcome.line)
        self.on_tool(outcome)

    # --- the dialogue ------------------------------------------------------------------------

    def handle(self, text: str, topic_id: str | None) -> None:
        command = text.lower().strip(" .!")
        stage = self.state.get("stage")
        switch = re.match(r"^(?:/?topic)\s+(.+)$", text, re.IGNORECASE)
        if switch:
            return self.choose(switch.group(1))
        if command == "help":
            return self.say(HELP)
        if command == "next":
            return self.offer_topics()
        if command == "quiz" and self.state.get("topic"):
            self.tool("start_quiz", topic_id=self.state["topic"])
            return self.say("The quiz is open in the Review area. Come back here any time.")
        if stage in (None, "done"):
            if stage is None and topic_id:
                return self.start_topic(topic_id)
            return self.choose(text) if text else self.offer_topics()
        if stage == "choose":
            return self.choose(text)
        topic = self.context.curriculum.topics.get(self.state["topic"])
        if topic is None:
            return self.offer_topics()
        if command == "explain":
            self.say(self.explanation(topic))
            return self.ask_current(topic)
        if stage == "opener":
            return self.after_opener(topic, text)
        return self.after_check(topic, text, command)

    def offer_topics(self) -> None:
        from dltui.srs.recommend import study_next

        suggestions = study_next(self.context, limit=3)
        if not suggestions:
            self.state = {"stage": "choose", "offered": []}
            return self.say("You have worked through every topic whose prerequisites are in place. Try **topic NAME**.")
        lines = [f"{i}. **{s.topic.title}** — {s.reason}" for i, s in enumerate(suggestions, start=1)]
        self.state = {"stage": "choose", "offered": [s.topic.id for s in suggestions]}
        self.say("What would you like to study? Here is what I suggest:\n\n" + "\n".join(lines))
        self.say("Reply with a number, a topic name, or **yes** for the first one.")

    def choose(self, text: str) -> None:
        offered = self.state.get("offered") or []
        answer = text.lower().strip(" .!")
        topic = None
        if answer.isdigit() and 1 <= int(answer) <= len(offered):
            topic = self.context.curriculum.topics.get(offered[int(answer) - 1])
        elif answer in YES and offered:
            topic = self.context.curriculum.topics.get(offered[0])
        elif text:
            topic = self.context.curriculum.find_topic(text) or _topic_mentioned(self.context, text)
        if topic is None:
            if text and self.state.get("stage") == "choose":
                self.say(f"I could not find a topic called “{text}”.")
            return self.offer_topics()
        self.start_topic(topic.id)

    def start_topic(self, topic_id: str) -> None:
        topic = self.context.curriculum.topics[topic_id]
        opener = next((q for q in topic.questions if q.kind is QuestionKind.OPENER), None)
        checks = [i for i, q in enumerate(topic.questions) if q.kind is QuestionKind.CHECK]
        self.state = {"stage": "opener", "topic": topic.id, "checks": checks, "position": 0, "attempts": 0, "answers": {}}
        self.say(f"Let's study **{topic.title}**.")
        if opener is None:
            self.state["stage"] = "check"
            self.say(self.explanation(topic))
            return self.ask_current(topic)
        self.say(f"First, tell me what you already know. {opener.prompt}")

    def after_opener(self, topic: Topic, answer: str) -> None:
        opener = next(q for q in topic.questions if q.kind is QuestionKind.OPENER)
        covered = covered_points(answer, opener.key_points)
        known = [p for p, hit in zip(opener.key_points, covered) if hit]
        self.state["knew_at_first"] = {"answer": answer, "covered": known}
        if known:
            self.say("Good, you already know: " + "; ".join(known) + ". Let's build on that.")
        else:
            self.say("Thanks, that tells me where to start. Here is the idea in about 200 words:")
        self.say(self.explanation(topic))
        self.state["stage"] = "check"
        self.ask_current(topic)

    def after_check(self, topic: Topic, answer: str, command: str) -> None:
        question = topic.questions[self.state["checks"][self.state["position"]]]
        if command == "hint":
            self.state["attempts"] += 1
            return self.say(f"Hint: {question.hint}")
        if command == "skip":
            return self.next_question(topic, "skipped", answer)
        covered = covered_points(answer, question.key_points)
        missing = [p for p, hit in zip(question.key_points, covered) if not hit]
        if sum(covered) * 2 >= len(covered):
            result = "first_try" if self.state["attempts"] == 0 else "with_hint"
            praise = "Yes, that's right." if not missing else "Mostly right."
            extra = f" A complete answer also mentions: {'; '.join(missing)}." if missing else ""
            self.say(praise + extra)
            return self.next_question(topic, result, answer)
        if self.state["attempts"] == 0:
            self.state["attempts"] = 1
            return self.say(f"Not quite yet. Hint: {question.hint} Try again (or type **skip**).")
        self.say("Here is what a good answer contains:\n\n" + "\n".join(f"- {p}" for p in question.key_points))
        self.tool(
            "log_gap",
            topic_id=topic.id,
            description=f"Could not answer: {question.prompt} (missed: {'; '.join(missing)})",
            severity="medium",
        )
        self.next_question(topic, "missed", answer)

    def next_question(self, topic: Topic, result: str, answer: str) -> None:
        question = topic.questions[self.state["checks"][self.state["position"]]]
        # Kept verbatim for the session notes: the question, what the learner said, how it went.
        self.state["answers"][question.id] = {"prompt": question.prompt, "answer": answer, "result": result}
        self.state["position"] += 1
        self.state["attempts"] = 0
        if self.state["position"] < len(self.state["checks"]):
            return self.ask_current(topic)
        self.finish(topic)

    def ask_current(self, topic: Topic) -> None:
        if not self.state["checks"]:
            return self.finish(topic)
        question = topic.questions[self.state["checks"][self.state["position"]]]
        number, total = self.state["position"] + 1, len(self.state["checks"])
        self.say(f"**Check {number} of {total}:** {question.prompt}")

    def finish(self, topic: Topic) -> None:
        results = [entry["result"] for entry in self.state["answers"].values()]
        first_try = results.count("first_try")
        missed = results.count("missed") + results.count("skipped")
        if results and first_try == len(results):
            level, confidence = "strong", 0.8
        elif missed * 2 >= max(1, len(results)):
            level, confidence = "needs_work", 0.7
        else:
            level, confidence = "partial", 0.6
        evidence = (
            f"Offline check questions: {first_try} of {len(results)} right first time, "
            f"{results.count('with_hint')} after a hint, {missed} missed or skipped."
        )
        self.tool("record_assessment", topic_id=topic.id, level=level, confidence=confidence, evidence=evidence)
        self.state["stage"] = "done"
        verdict = {"strong": "You have this one.", "partial": "A solid start.", "needs_work": "This one needs more work."}
        self.say(
            f"{verdict[level]} {evidence} Type **quiz** to practise it with cards now, **next** for what to "
            "study next, or ask me anything."
        )

    @staticmethod
    def explanation(topic: Topic) -> str:
        source = topic.sources[0]
        return f"{topic.explanation}\n\n*Source: [{source.title}]({source.url})*"


def _last_state(history: list[Message]) -> dict:
    for message in reversed(history):
        if message.role == "assistant" and isinstance(message.meta.get("offline"), dict):
            return message.meta["offline"]
    return {}


def _topic_mentioned(context: StudyContext, text: str) -> Topic | None:
    """The topic whose title or id shares the most words with the text (None on a tie or no overlap)."""
    said = content_words(text)
    scored = sorted(
        ((len(said & content_words(f"{t.title} {t.id}")), t) for t in context.curriculum.topics.values()),
        key=lambda pair: -pair[0],
    )
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]
