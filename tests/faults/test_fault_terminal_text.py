"""Item 1: one sanitiser for untrusted text, and the files a learner may `cat` (exports, notes)."""

from dltui.notes.sessions import begin_session, close_session
from dltui.store.models import GapSeverity, KnowledgeGap
from dltui.terminal_text import terminal_safe
from dltui.tutor import history

HOSTILE = "\x1b]0;TITLE\x07\x1b[2J\x1b[H\x1b]52;c;aGVsbG8=\x07\x9b31m\x1bP1$qm\x1b\\"
RAW = set("\x1b\x07\x9b\x9d\x90\x9c")


def test_escape_sequences_go_whole_and_ordinary_text_stays():
    assert terminal_safe(HOSTILE + "ok") == "ok"
    assert terminal_safe("∂L/∂w — naïve 学习 🙂\n\tindented") == "∂L/∂w — naïve 学习 🙂\n\tindented"
    assert terminal_safe("50%\r75%\r\n100%\x08\x00\x7f") == "50%\n75%\n100%"
    assert terminal_safe("unterminated \x1b]0;title") == "unterminated "
    assert terminal_safe("\x1b[31mred\x1b[0m and \x1b(B") == "red and "


def test_a_chat_export_and_the_session_notes_hold_no_escape_sequences(context):
    begin_session(context)
    conversation = history.start_conversation(context, "claude")
    history.add_message(context, conversation.id, "user", "what is " + HOSTILE + "fan-out?")
    history.add_message(context, conversation.id, "assistant", HOSTILE + "A reply.\n\nWith two paragraphs.")
    with context.store.session() as session:
        session.add(
            KnowledgeGap(
                topic_id="backpropagation",
                description=HOSTILE + "mixes up fan-in",
                severity=GapSeverity.HIGH,
                session_id=context.session_id,
            )
        )
    exported = history.export_markdown(context, conversation.id).read_text(encoding="utf-8")
    assert "A reply.\n\nWith two paragraphs." in exported and "fan-out?" in exported
    assert not RAW & set(exported)
    notes = close_session(context).read_text(encoding="utf-8")
    assert "mixes up fan-in" in notes
    assert not RAW & set(notes)
