"""The answerer: cited answers from the documents, or a polite refusal; never the model's own knowledge."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agent import Answerer, Delta, Final, Intent, Speakable
from agent.answering.grounding import sentence_key


class ScriptedLLM:
    """Stands in for the model where a test needs one exact output; counts calls."""

    backend = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def stream(self, system: str, user: str) -> Iterator[str]:
        self.calls += 1
        for i in range(0, len(self.text), 4):
            yield self.text[i : i + 4]


def _answerer(settings, demo_answerer, text: str) -> tuple[Answerer, ScriptedLLM]:
    llm = ScriptedLLM(text)
    return Answerer(settings, demo_answerer.retriever.kb, llm), llm  # type: ignore[arg-type]


def test_out_of_scope_questions_are_refused_without_calling_the_model(settings, demo_answerer):
    answerer, llm = _answerer(settings, demo_answerer, "明天会涨[1]。")
    reply = answerer.run("明天股市会涨吗？")
    assert reply.refused and reply.intent is Intent.OUT_OF_SCOPE
    assert llm.calls == 0
    assert "人工" in reply.text  # offers a human


def test_the_no_answer_marker_becomes_the_fixed_refusal_and_is_never_streamed(settings, demo_answerer):
    answerer, _ = _answerer(settings, demo_answerer, "NO_ANSWER")
    events = list(answerer.stream("三年期定期存款利率是多少？"))
    assert not [e for e in events if isinstance(e, Delta)]
    reply = events[-1].reply  # type: ignore[union-attr]
    assert reply.refused and reply.refusal_reason == "model_found_no_answer"
    assert "NO_ANSWER" not in reply.text


def test_an_answer_the_evidence_does_not_support_is_refused(settings, demo_answerer):
    answerer, _ = _answerer(settings, demo_answerer, "三年期定期存款年利率为4.5%，保证收益[1]。")
    reply = answerer.run("三年期定期存款利率是多少？")
    assert reply.refused and reply.refusal_reason == "unsupported"
    assert "4.5%" not in reply.text


def test_a_supported_answer_streams_and_ends_with_resolved_citations(settings, demo_answerer):
    answerer, _ = _answerer(settings, demo_answerer, "三年期定期存款的年利率为2.35%[1]。")
    events = list(answerer.stream("三年期定期存款利率是多少？"))
    assert any(isinstance(e, Delta) for e in events)
    final = events[-1]
    assert isinstance(final, Final)
    reply = final.reply
    assert not reply.refused and "2.35%" in reply.text
    assert reply.citations and "定期存款" in reply.citations[0].document_title
    assert {"retrieve", "first_token", "generate", "total"} <= set(reply.timings)


def test_a_voice_gets_each_checked_sentence_while_the_answer_streams_and_nothing_the_reply_drops(
        settings, demo_answerer):
    answerer, _ = _answerer(settings, demo_answerer, "三年期定期存款的年利率为2.35%[1]。火星分行承诺年利率翻倍[1]。"
                                                     "提前支取的，按活期存款利率计息[1]。")
    events = list(answerer.stream("三年期定期存款利率是多少？"))
    spoken = [e.text for e in events if isinstance(e, Speakable)]
    first_spoken = next(i for i, e in enumerate(events) if isinstance(e, Speakable))
    last_delta = max(i for i, e in enumerate(events) if isinstance(e, Delta))
    assert first_spoken < last_delta, "the first sentence is spoken before generation ends"
    reply = events[-1].reply  # type: ignore[union-attr]
    assert not reply.refused and "火星" not in reply.text and not any("火星" in s for s in spoken)
    final_text = sentence_key(reply.text)
    assert all(sentence_key(s) in final_text for s in spoken), (spoken, reply.text)
    assert spoken[0].startswith("三年期定期存款的年利率为2.35%")
    assert reply.disclosures and sentence_key(reply.disclosures[0]) == sentence_key(spoken[-1]), \
        "the required disclosure is said too"
    assert 0 < reply.timings["first_sentence"] <= reply.timings["total"]


def test_an_empty_question_gets_a_clear_refusal(settings, demo_answerer):
    answerer, llm = _answerer(settings, demo_answerer, "x")
    reply = answerer.run("   ")
    assert reply.refused and reply.refusal_reason == "empty" and llm.calls == 0


class RecordingLLM(ScriptedLLM):
    """A scripted model that keeps the user message it was sent: the evidence the answer was given."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.users: list[str] = []

    def stream(self, system: str, user: str) -> Iterator[str]:
        self.users.append(user)
        yield from super().stream(system, user)


@pytest.mark.parametrize(("question", "clause"), [
    ("What does the medical insurance not cover?", "Article 8 Exclusions"),
    ("What isn't covered by the medical insurance?", "Article 8 Exclusions"),
    ("医疗保险不保什么？", "第八条 责任免除"),
    ("医疗保险哪些情况不赔？", "第八条 责任免除"),
])
def test_a_question_about_what_is_not_covered_is_answered_from_the_exclusions(settings, demo_answerer, question,
                                                                                 clause):
    llm = RecordingLLM("NO_ANSWER")
    Answerer(settings, demo_answerer.retriever.kb, llm).run(question)  # type: ignore[arg-type]
    assert clause in llm.users[0], "keyword search alone ranked Articles 4 and 5 above the exclusions"


def test_a_figure_is_cited_to_the_rate_table_whichever_deposit_clause_the_model_cites(settings, demo_answerer):
    question = "三年期定期存款利率是多少？"
    evidence = demo_answerer.retriever.run(question, settings.answer_evidence, demo_answerer.filters)
    sections = [e.chunk.section() for e in evidence]
    assert any(s.endswith("三、存款利率") for s in sections), sections
    for n, section in enumerate(sections, 1):
        if section.endswith("三、存款利率"):
            continue
        answerer, _ = _answerer(settings, demo_answerer, f"三年期定期存款利率为2.35%[{n}]。")
        reply = answerer.run(question)
        assert not reply.refused and reply.citations[0].section.endswith("三、存款利率"), (section, reply)
        assert "2.35%" in reply.citations[0].quote and "3年" in reply.citations[0].quote


def test_every_quote_holds_the_figure_its_sentence_states(settings, demo_answerer):
    answer = "三年期定期存款利率为2.35%[1]。提前支取的部分按活期存款利率0.20%计息[3]。部分提前支取后，剩余金额不得低于50元[3]。"
    reply = _answerer(settings, demo_answerer, answer)[0].run("三年期定期存款利率是多少？")
    body = reply.text.replace(reply.disclosures[0], "") if reply.disclosures else reply.text
    figures = {"2.35%", "0.20%", "50元"}
    assert figures <= set(re.findall(r"[\d.]+[%元]", body)), reply
    for citation in (c for c in reply.citations if f"[{c.n}]" in body):
        stated = {f for f in figures if f in citation.quote}
        assert stated, citation
        figures -= stated
    assert not figures, reply


POLICY_LOAN = """---
title: 海湾福享终身寿险条款
kind: product
language: zh
effective_date: 2026-01-01
audience: customer
products: [whole-life]
---

# 海湾福享终身寿险条款

## 第十八条 保单借款

在本合同有效期内，经我们审核同意后，您可以申请保单借款。借款金额最高不超过您申请借款时本合同保单价值准备金的百分之八十扣除各项欠款后的余额，每次借款期限最长不超过六个月。

## 第十九条 合同解除

您可以申请解除本合同，我们自收到解除合同申请书之日起三十日内向您退还本合同的现金价值。
"""


def test_a_correct_answer_is_not_taken_back_when_the_policy_writes_the_figure_another_way(settings, demo_answerer,
                                                                                           tmp_path):
    from knowledge import KnowledgeBase

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "whole_life.md").write_text(POLICY_LOAN, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", embedder=demo_answerer.retriever.kb.embedder)
    kb.ingest([tmp_path / "docs"])
    llm = ScriptedLLM("保单借款最多可以借80%的保单价值准备金。[1]每次借款期限最长为6个月[1]。")
    events = list(Answerer(settings, kb, llm).stream("保单借款最多可以借多少？"))  # type: ignore[arg-type]
    reply = events[-1].reply  # type: ignore[union-attr]
    assert not reply.refused, reply
    assert "80%的保单价值准备金" in reply.text and "6个月" in reply.text
    assert reply.citations[0].section.endswith("第十八条 保单借款") and "百分之八十" in reply.citations[0].quote
    spoken = [e.text for e in events if isinstance(e, Speakable)]
    assert spoken[:2] == ["保单借款最多可以借80%的保单价值准备金。", "每次借款期限最长为6个月。"]


# ---- the real packaged LLM ------------------------------------------------------------------------
@pytest.mark.slow
def test_the_packaged_llm_answers_the_deposit_rate_citing_the_deposit_product_sheet(demo_answerer):
    reply = demo_answerer.run("三年期定期存款利率是多少？")
    assert not reply.refused, reply
    assert "2.35%" in reply.text
    assert any("定期存款" in c.document_title for c in reply.citations)
    assert reply.language == "zh"


@pytest.mark.slow
def test_the_packaged_llm_answers_in_english_from_the_english_document(demo_answerer):
    reply = demo_answerer.run("What is the waiting period of the medical insurance?")
    assert not reply.refused, reply
    assert "30 days" in reply.text
    assert any("Medical" in c.document_title for c in reply.citations)


@pytest.mark.slow
def test_a_question_the_documents_do_not_cover_is_declined(demo_answerer):
    reply = demo_answerer.run("火星有几颗天然卫星？")
    assert reply.refused
    assert not reply.citations
