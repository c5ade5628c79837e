"""The answerer: cited answers from the documents, or a polite refusal; never the model's own knowledge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent import Answerer, Delta, Final, Intent, Speakable
from agent.support import sentence_key


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
