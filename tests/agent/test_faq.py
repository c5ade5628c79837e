"""Curated FAQ: a close paraphrase of an approved FAQ question gets the approved wording, cited, with no
generation; anything else goes to the model as usual."""

from __future__ import annotations

from collections.abc import Iterator

from agent import Answerer, Delta, Final
from agent.answering.faq import faq_answer, faq_question
from knowledge.documents import Chunk, Document, DocumentKind, Evidence


class NoLLM:
    """A model that must not be asked: the FAQ path never generates."""

    backend = "none"

    def __init__(self) -> None:
        self.calls = 0

    def stream(self, system: str, user: str) -> Iterator[str]:
        self.calls += 1
        yield "NO_ANSWER"


def _evidence(heading: str, text: str, kind: DocumentKind = DocumentKind.FAQ) -> Evidence:
    doc = Document(id="faq", title="常见问题", source="/faq.md", kind=kind, language="zh", content_hash="x")
    chunk = Chunk(id="faq:0001", document_id="faq", text=text, section_path=(heading,), start=0, end=len(text))
    return Evidence(chunk=chunk, document=doc, score=1.0, rank=1)


def test_a_question_heading_in_an_faq_document_is_an_faq_entry():
    assert faq_question(_evidence("问：信用卡丢了怎么挂失？", "## 问：信用卡丢了怎么挂失？\n\n答：请立即致电。")) \
        == "信用卡丢了怎么挂失？"
    assert faq_question(_evidence("Q: How do I report a lost card?", "text")) == "How do I report a lost card?"


def test_question_headings_outside_faq_documents_or_without_the_prefix_are_not_entries():
    assert faq_question(_evidence("问：信用卡丢了怎么挂失？", "text", kind=DocumentKind.PRODUCT)) is None
    assert faq_question(_evidence("三、存款利率", "text")) is None


def test_the_approved_answer_drops_the_heading_and_the_answer_lead_and_joins_split_chunks():
    first = _evidence("问：如何修改手机号码？", "## 问：如何修改手机号码？\n\n答：须由投保人本人申请。").chunk
    second = Chunk(id="faq:0002", document_id="faq", text="可通过App办理。", section_path=first.section_path,
                   start=0, end=8)
    assert faq_answer([first, second]) == "须由投保人本人申请。\n可通过App办理。"


def test_a_paraphrase_of_an_faq_question_gets_the_approved_wording_without_the_model(settings, demo_answerer):
    llm = NoLLM()
    answerer = Answerer(settings, demo_answerer.retriever.kb, llm)  # type: ignore[arg-type]
    events = list(answerer.stream("信用卡丢了怎么办"))
    reply = events[-1].reply  # type: ignore[union-attr]
    assert isinstance(events[-1], Final) and isinstance(events[0], Delta)
    assert llm.calls == 0
    assert reply.answered_by == "faq" and not reply.refused
    assert reply.text.startswith("请立即拨打24小时客服热线95000-0000") and reply.text.endswith("[1]")
    assert reply.citations[0].section == "问：信用卡丢了怎么挂失？"
    assert "挂失手续费免收" in reply.citations[0].quote


def test_a_different_question_near_an_faq_entry_still_goes_to_the_model(settings, demo_answerer):
    llm = NoLLM()
    answerer = Answerer(settings, demo_answerer.retriever.kb, llm)  # type: ignore[arg-type]
    reply = answerer.run("信用卡年费多少")
    assert llm.calls == 1 and reply.answered_by != "faq"
