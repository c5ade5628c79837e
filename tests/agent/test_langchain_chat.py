"""The digital employee as a LangChain chat model: it passes LangChain's own standard chat-model suites
(the parts that apply to a model without tool calling, structured output or image input) and hands back
the employee's citations, refusals and hand-offs in ``response_metadata``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from agent import Answerer
from agent.langchain_chat import EmployeeChatModel
from agent.records.audit import AuditLog


class _OnTheDemoKnowledgeBase:
    """The real answerer over the demo knowledge base and the packaged LLM (set per test by a fixture)."""

    answerer: Answerer

    @pytest.fixture(autouse=True)
    def _demo(self, demo_answerer) -> None:  # type: ignore[no-untyped-def]
        type(self).answerer = demo_answerer

    @property
    def chat_model_class(self) -> type[EmployeeChatModel]:
        return EmployeeChatModel

    @property
    def chat_model_params(self) -> dict:
        return {"answerer": self.answerer}

    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def supports_model_override(self) -> bool:
        return False  # one employee, one configured LLM: a per-call model name selects nothing

    @property
    def returns_usage_metadata(self) -> bool:
        return False  # answers from FAQ, calculators and dialogue use no tokens; generation counts are the LLM's


class TestEmployeeChatModelUnit(_OnTheDemoKnowledgeBase, ChatModelUnitTests):
    pass


class TestEmployeeChatModelIntegration(_OnTheDemoKnowledgeBase, ChatModelIntegrationTests):
    pass


class ScriptedLLM:
    backend = "scripted"

    def stream(self, system: str, user: str) -> Iterator[str]:
        yield "三年期定期存款的年利率为2.35%[1]。"


@pytest.fixture
def employee(settings, demo_answerer, tmp_path) -> EmployeeChatModel:
    answerer = Answerer(settings, demo_answerer.retriever.kb, ScriptedLLM())  # type: ignore[arg-type]
    return EmployeeChatModel(answerer=answerer, audit=AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}"))


def test_a_cited_answer_carries_its_citations_in_the_response_metadata(employee):
    message = employee.invoke("三年期定期存款利率是多少？")
    assert "2.35%" in message.content
    meta = message.response_metadata
    assert meta["intent"] == "question" and meta["refused"] is False and meta["answered_by"] == "generated"
    assert meta["citations"] and meta["citations"][0]["document_title"]
    assert employee.audit.transcript(meta["session_id"])[-1].text == message.content  # audited like the web


def test_a_complaint_opens_a_hand_off_that_the_metadata_reports(employee):
    meta = employee.invoke("帮我转人工").response_metadata
    assert meta["handoff"] is True and meta["intent"] == "human_request" and meta["ticket"]


def test_an_out_of_scope_question_is_refused_in_the_metadata(employee):
    meta = employee.invoke("明天股市会涨吗？").response_metadata
    assert meta["refused"] is True and meta["citations"] == []


def test_streamed_chunks_join_into_the_checked_reply_and_the_last_carries_the_metadata(employee):
    chunks = list(employee.stream("三年期定期存款利率是多少？"))
    assert "".join(c.content for c in chunks) == employee.invoke("三年期定期存款利率是多少？").content
    assert chunks[-1].response_metadata["citations"] and not chunks[0].response_metadata.get("citations")


def test_an_earlier_question_in_the_history_completes_a_follow_up(employee):
    history = [HumanMessage("三年期定期存款利率是多少？"), AIMessage("三年期为2.35%[1]。"),
               HumanMessage("那五年期呢？")]
    with_history = employee.invoke(history).response_metadata
    assert with_history["refused"] is False
    assert any("定期存款" in c["document_title"] for c in with_history["citations"])


def test_it_runs_inside_a_langchain_chain(employee):
    chain = ChatPromptTemplate.from_messages([("human", "{question}")]) | employee
    assert "2.35%" in chain.invoke({"question": "三年期定期存款利率是多少？"}).content


def test_a_stop_sequence_cuts_the_reply_where_it_first_appears(employee):
    assert employee.invoke("三年期定期存款利率是多少？", stop=["%"]).content == "三年期定期存款的年利率为2.35"


def test_messages_without_a_human_question_are_refused_with_a_clear_error(employee):
    with pytest.raises(ValueError, match="no question"):
        employee.invoke([AIMessage("hello")])
