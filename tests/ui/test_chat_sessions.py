"""Live chat sessions: a session dropped from memory (or from before a restart) is resumed from the audit
log the way the CLI resumes one, so a follow-up still completes with the question before it."""

from __future__ import annotations

import pytest

from agent import Answerer
from agent.records.audit import AuditLog
from tests.agent.test_conversation import CountingLLM
from ui.chat_sessions import ChatSessions, NotYourSession, SessionNotFound
from ui.users import UserStore


@pytest.fixture
def sessions(settings, demo_answerer, tmp_path):
    answerer = Answerer(settings, demo_answerer.retriever.kb, CountingLLM())  # type: ignore[arg-type]
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    audit, users = AuditLog(url), UserStore(url)
    yield ChatSessions(answerer, audit, users, capacity=1)
    audit.close()
    users.close()


def _final(sessions: ChatSessions, live, text: str):
    return list(sessions.stream(live, text))[-1]


def test_a_session_dropped_from_memory_completes_follow_ups_after_it_is_resumed(sessions):
    first = sessions.create("alice")
    _final(sessions, first, "存三年定期利息多少？")
    sessions.create("bob")  # capacity 1: alice's conversation leaves memory
    assert sessions.live_count() == 1

    resumed = sessions.get(first.id, "alice")

    assert resumed.conversation is not first.conversation
    assert resumed.conversation.questions == ["存三年定期利息多少？"]
    final = _final(sessions, resumed, "10万")
    assert "7,050.00元" in final.reply.text  # the calculator, with the term from the earlier question
    assert final.turn is not None and final.turn.n == 4


def test_a_resumed_session_is_still_only_its_owners(sessions):
    first = sessions.create("alice")
    sessions.create("bob")
    with pytest.raises(NotYourSession):
        sessions.get(first.id, "bob")
    with pytest.raises(SessionNotFound):
        sessions.get("no-such-session", "alice")
