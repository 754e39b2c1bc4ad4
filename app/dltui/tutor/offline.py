"""The offline tutor: a scripted Socratic dialogue over the curriculum, no network needed.

One topic at a time: the opener question (what do you know?), an explanation fitted to the
answer (all of it, the parts not mentioned, or none when the learner knows the key points), then
each check question. An answer is compared with the question's key points: covered -> move on;
missed -> a hint; missed again -> explained another way (a quiz card's wording, or the paragraph
about what was missed); missed a third time -> the key points are shown and a gap is logged.
Hints go further each time. A question is answered from the curriculum, then the dialogue picks
up where it was. "Let's look at my run ID" talks about one of the learner's lab runs instead
(`tutor.run_talk`). At the end an assessment is recorded through the same tools Claude uses.

The dialogue state travels in the meta of the tutor's last message, so a conversation can be
resumed after a restart exactly where it stopped (and a retry, which removes the last reply,
starts again from the state before it). Each turn also says what the learner's message was
(``Reply.turn``): "question", "answer" (with ``check``, 0 for the opener), "claim" (a statement
the learner volunteered, checked in `tutor.claims`), "command" or "hint_request".
"""

from __future__ import annotations

import re

from dltui.context import StudyContext
from dltui.curriculum import QuestionKind, SocraticQuestion, Topic
from dltui.store.models import Message, MessageRole
from dltui.tutor.claims import check_claim, claim_about
from dltui.tutor.matching import STOPWORDS, content_words, covered_points, looks_like_question, named_words
from dltui.tutor.passages import PassageIndex, best_for, paragraphs, topic_passages
from dltui.tutor.reply import Reply, TextSink, ToolSink, TutorKind, TutorState
from dltui.tutor.run_talk import LOOK_AT_RUN, answer_about_run, look_at_run
from dltui.tutor.tools import ToolBox
from dltui.tutor.turn import Stage, Turn

HELP = (
    "Type your answer in your own words, or ask a question. Commands: **hint** (each one goes further), "
    "**explain** (read the explanation again), **skip** (next question), **quiz** (quiz this topic), "
    "**next** (what to study next), **topic NAME** (switch topic)."
)
YES = {"yes", "y", "ok", "okay", "sure", "go", "start", "let's go"}
TOPIC_SWITCH = re.compile(r"^(?:/?topic)\s+(.+)$", re.IGNORECASE)
# Outside a check, "can you teach me X?" asks for a topic, not for an answer.
STUDY_REQUEST = re.compile(r"\b(teach|study|learn|start|begin|explain|next|practi[cs]e|quiz)\b", re.IGNORECASE)
MISSES_BEFORE_REVEAL = 3  # hint, explained another way, then the key points


class OfflineTutor:
    name = TutorKind.OFFLINE
    label = "offline tutor"

    def __init__(self, context: StudyContext, toolbox: ToolBox):
        self.context = context
        self.toolbox = toolbox
        self._index: PassageIndex | None = None

    @property
    def index(self) -> PassageIndex:
        if self._index is None:  # built on the first question: a few ms over the whole curriculum
            self._index = PassageIndex(self.context.curriculum)
        return self._index

    async def respond(self, history: list[Message], topic_id: str | None, on_text: TextSink, on_tool: ToolSink) -> Reply:
        reply = Reply()
        state = _last_state(history)
        text = next((m.content for m in reversed(history) if m.role == MessageRole.USER), "").strip()
        turn = _Turn(self, reply, state, on_text, on_tool)
        turn.handle(text, topic_id)
        await turn.run_tools()
        await turn.flush()
        reply.meta = {"offline": turn.state}
        reply.turn = turn.learner_turn()
        return reply.done()


class _Turn(Turn):
    """One answer from the offline tutor: the Socratic dialogue over the curriculum."""

    def __init__(self, tutor: OfflineTutor, reply: Reply, state: TutorState, on_text: TextSink, on_tool: ToolSink):
        super().__init__(tutor.context, tutor.toolbox, reply, state, on_text, on_tool)
        self.tutor = tutor

    # --- the dialogue ------------------------------------------------------------------------

    def handle(self, text: str, topic_id: str | None) -> None:
        command = text.lower().strip(" .!")
        stage = self.state.get("stage")
        switch = TOPIC_SWITCH.match(text)
        if switch:
            return self.choose(switch.group(1))
        run_request = LOOK_AT_RUN.match(text)
        if run_request:
            return look_at_run(self, run_request.group(1))
        if command == "help":
            return self.say(HELP)
        if command == "next":
            return self.offer_topics()
        if command == "quiz" and self.state.get("topic"):
            self.tool("start_quiz", topic_id=self.state["topic"])
            return self.say("The quiz is open in the Review area. Come back here any time.")
        if stage == Stage.RUN:
            return answer_about_run(self, text, command)
        topic = self.context.curriculum.topics.get(self.state.get("topic") or "")
        if stage in (None, Stage.DONE, Stage.CHOOSE):
            claimed = topic or self.context.curriculum.topics.get(topic_id or "")
            if claimed is not None and (index := claim_about(claimed, text)) is not None:
                return check_claim(self, claimed, text, index)
            if looks_like_question(text) and not STUDY_REQUEST.search(text):
                return self.answer_question(text, topic or self.context.curriculum.topics.get(topic_id or ""))
            if stage is None and topic_id:
                return self.start_topic(topic_id)
            return self.choose(text) if text else self.offer_topics()
        if topic is None:
            return self.offer_topics()
        if command == "explain":
            self.say(self.explanation(topic))
            return self.ask_current(topic)
        if stage == Stage.OPENER:
            if looks_like_question(text):
                return self.answer_question(text, topic)
            return self.after_opener(topic, text, asked_hint=command == "hint")
        return self.after_check(topic, text, command)

    def offer_topics(self) -> None:
        from dltui.srs.recommend import study_next

        suggestions = study_next(self.context, limit=3)
        if not suggestions:
            self.state = {"stage": Stage.CHOOSE, "offered": []}
            return self.say("You have worked through every topic whose prerequisites are in place. Try **topic NAME**.")
        lines = [f"{i}. **{s.topic.title}** — {s.reason}" for i, s in enumerate(suggestions, start=1)]
        self.state = {"stage": Stage.CHOOSE, "offered": [s.topic.id for s in suggestions]}
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
            if text and self.state.get("stage") == Stage.CHOOSE:
                self.say(f"I could not find a topic called “{text}”.")
            return self.offer_topics()
        self.start_topic(topic.id)

    def start_topic(self, topic_id: str) -> None:
        topic = self.context.curriculum.topics[topic_id]
        opener = _opener(topic)
        checks = [i for i, q in enumerate(topic.questions) if q.kind is QuestionKind.CHECK]
        self.state = {"stage": Stage.OPENER, "topic": topic.id, "checks": checks, "position": 0, "answers": {}}
        self.new_question()
        self.say(f"Let's study **{topic.title}**.")
        if opener is None:
            self.state["stage"] = Stage.CHECK
            self.say(self.explanation(topic))
            return self.ask_current(topic)
        self.say(f"First, tell me what you already know. {opener.prompt}")

    def answer_question(self, text: str, topic: Topic | None) -> None:
        """Answer from the curriculum, say where from, then return to what was pending."""
        self.typed("question")
        named = _topic_mentioned(self.context, text) if topic is None else None
        if named is not None and _names_whole_title(named, text):  # "what is backprop": that topic, not one that mentions it
            passages = self.tutor.index.answer(text, within=named) or topic_passages(named)[:1]
        else:
            passages = self.tutor.index.answer(text, prefer=topic.id if topic else None)
        if passages:
            found = passages[0].topic
            self.say(f"From **{found.title}** ({found.code}), explanation:")
            for passage in passages:
                self.say(passage.text)
            self.say(_source_line(found))
        else:
            self.say("I could not find that in the curriculum. Ask with the words you would look up, for example “what does momentum do?”.")
        stage = self.state.get("stage")
        if stage == Stage.CHECK and topic is not None:
            self.say("Back to the question:")
            return self.ask_current(topic)
        if stage == Stage.OPENER and topic is not None and (opener := _opener(topic)) is not None:
            return self.say(f"Back to my question: {opener.prompt}")
        if passages and passages[0].topic is not topic:
            self.say(f"To study it properly, type **topic {passages[0].topic.title}**.")

    def after_opener(self, topic: Topic, answer: str, asked_hint: bool = False) -> None:
        """Fit the explanation to what the learner knew; "hint" here means "I don't know"."""
        opener = _opener(topic)
        assert opener is not None  # the stage is "opener" only for a topic that has one (start_topic)
        self.typed("hint_request" if asked_hint else "answer", check=0)
        covered = covered_points(answer, opener.key_points)
        known = [p for p, hit in zip(opener.key_points, covered) if hit]
        missing = [p for p, hit in zip(opener.key_points, covered) if not hit]
        self.state["knew_at_first"] = {"answer": answer, "covered": known}
        self.state["stage"] = Stage.CHECK
        if known and not missing:
            self.say(
                "You already know the key ideas: " + "; ".join(known) + ". So let's go straight to the check "
                "questions (type **explain** any time to read the explanation)."
            )
        elif known:
            self.say("Good, you already know: " + "; ".join(known) + ". Here is what to add to that:")
            self.say(self.explanation(topic, focus=missing))
        else:
            self.say("No problem: let's take it from the start. Here is the idea in about 200 words:")
            self.say(self.explanation(topic))
        self.ask_current(topic)

    def after_check(self, topic: Topic, answer: str, command: str) -> None:
        question = topic.questions[self.state["checks"][self.state["position"]]]
        check = self.state["position"] + 1
        if command == "hint":
            self.typed("hint_request", check)
            self.state["attempts"] = self.state.get("attempts", 0) + 1
            return self.say(self.next_hint(question))
        if command == "skip":
            self.typed("command", check)
            return self.next_question(topic, "skipped", answer)
        covered = covered_points(answer, question.key_points)
        passed = sum(covered) * 2 >= len(covered)
        if looks_like_question(answer) and not passed:
            return self.answer_question(answer, topic)
        self.typed("answer", check)
        missing = [p for p, hit in zip(question.key_points, covered) if not hit]
        if passed:
            result = "first_try" if self.state.get("attempts", 0) == 0 else "with_hint"
            praise = "Yes, that's right." if not missing else "Mostly right."
            extra = f" A complete answer also mentions: {'; '.join(missing)}." if missing else ""
            self.say(praise + extra)
            return self.next_question(topic, result, answer)
        said = sorted(set(self.state.get("covered", [])) | {i for i, hit in enumerate(covered) if hit})
        self.state["covered"] = said
        self.state["attempts"] = self.state.get("attempts", 0) + 1
        self.state["misses"] = misses = self.state.get("misses", 0) + 1
        number, total = check, len(self.state["checks"])
        if misses == 1:
            return self.say(f"Not quite yet. {self.next_hint(question)} Try again (or type **skip**).")
        if misses < MISSES_BEFORE_REVEAL:
            self.say(self.another_way(topic, question))
            return self.say(f"Try once more (or type **skip**). **Check {number} of {total}:** {question.prompt}")
        self.say("Here is what a good answer contains:\n\n" + "\n".join(f"- {p}" for p in question.key_points))
        self.tool(
            "log_gap",
            topic_id=topic.id,
            description=f"Could not answer: {question.prompt} (missed: {'; '.join(missing)})",
            severity="medium",
        )
        self.next_question(topic, "missed", answer)

    def next_hint(self, question: SocraticQuestion) -> str:
        """The curriculum's hint, then for each key point not yet said: its first words, then all of it."""
        steps: list[tuple[int, bool] | None] = [None] + [(i, whole) for i in range(len(question.key_points)) for whole in (False, True)]
        said = set(self.state.get("covered", []))
        step = self.state.get("hint_step", 0)
        while step < len(steps) and (upcoming := steps[step]) is not None and upcoming[0] in said:
            step += 1
        self.state["hint_step"] = step + 1
        if step >= len(steps):
            return "That is every hint I have for this one: try it in your own words, or type **skip**."
        if (chosen := steps[step]) is None:
            return f"Hint: {question.hint}"
        index, whole = chosen
        point = question.key_points[index]
        if whole:
            return f"Hint: one thing a good answer says is “{point}”. What else belongs in it?"
        return f"Hint: a good answer could start “{_first_words(point)} …”. How does it go on?"

    def another_way(self, topic: Topic, question: SocraticQuestion) -> str:
        """The missed key points in other words: a quiz card about them, else the paragraph about them."""
        said = set(self.state.get("covered", []))
        missing = [p for i, p in enumerate(question.key_points) if i not in said] or list(question.key_points)
        candidates = topic_passages(topic, cards=True)
        cards = [c for c in candidates if c.where != "explanation"]
        passage = best_for(missing, cards) or best_for(missing, candidates)
        if passage is None:
            return "Let me put it another way. " + question.hint
        where = "a quiz card on this topic" if passage.where != "explanation" else "this part of the explanation"
        return f"Let me put it another way, with {where}:\n\n{passage.text}"

    def next_question(self, topic: Topic, result: str, answer: str) -> None:
        question = topic.questions[self.state["checks"][self.state["position"]]]
        # Kept verbatim for the session notes: the question, what the learner said, how it went.
        self.state["answers"][question.id] = {"prompt": question.prompt, "answer": answer, "result": result}
        self.state["position"] += 1
        self.new_question()
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
        self.state["stage"] = Stage.DONE
        verdict = {"strong": "You have this one.", "partial": "A solid start.", "needs_work": "This one needs more work."}
        self.say(
            f"{verdict[level]} {evidence} Type **quiz** to practise it with cards now, **next** for what to study next, or ask me anything."
        )

    @staticmethod
    def explanation(topic: Topic, focus: list[str] | None = None) -> str:
        """The explanation, or with ``focus`` its first paragraph and those about the focus points."""
        parts = paragraphs(topic.explanation)
        if focus:
            wanted = set().union(*(content_words(p) for p in focus))
            chosen = [p for i, p in enumerate(parts) if i == 0 or len(wanted & content_words(p)) >= 2]
            parts = chosen if len(chosen) > 1 else parts
        return "\n\n".join(parts) + "\n\n" + _source_line(topic)


def _opener(topic: Topic) -> SocraticQuestion | None:
    return next((q for q in topic.questions if q.kind is QuestionKind.OPENER), None)


def _source_line(topic: Topic) -> str:
    source = topic.sources[0]
    return f"*Source: [{source.title}]({source.url})*"


def _first_words(point: str) -> str:
    """About the first half of a key point, ending on a word that carries meaning."""
    words = point.split()
    cut = words[: max(2, len(words) // 2)]
    while len(cut) > 2 and cut[-1].lower().strip(",;.") in STOPWORDS:
        cut.pop()
    return " ".join(cut).rstrip(",;.")


def _last_state(history: list[Message]) -> TutorState:
    for message in reversed(history):
        if message.role == MessageRole.ASSISTANT and isinstance(state := message.meta.get("offline"), dict):
            return state
    return {}


def _names_whole_title(topic: Topic, text: str) -> bool:
    """Every content word of the topic's title is named in the text ("backprop": Backpropagation)."""
    title = content_words(topic.title)
    return bool(title) and named_words(content_words(text), title) == title


def _topic_mentioned(context: StudyContext, text: str) -> Topic | None:
    """The topic the text names best: most title words said (a word of 4+ letters also names the
    longer word it starts, "backprop" -> "backpropagation"), then the largest share of its title
    said. None on a tie or no overlap."""
    said = content_words(text)

    def score(topic: Topic) -> tuple[int, float]:
        title = content_words(f"{topic.title} {topic.id}")
        named = named_words(said, title)
        return len(named), len(named) / max(1, len(title))

    scored = sorted(((score(t), t) for t in context.curriculum.topics.values()), key=lambda pair: pair[0], reverse=True)
    if not scored or scored[0][0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]
