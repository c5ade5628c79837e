"""Compliance on output: required disclosures appended with a citation by product kind, and sentences
promising returns removed unless the evidence itself says them word for word."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent import Answerer, Delta, Final
from agent.policy.compliance import disclosures, drop_forbidden_promises, promises_returns
from knowledge.products import load_products


class ScriptedLLM:
    backend = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, system: str, user: str) -> Iterator[str]:
        yield from (self.text[i : i + 5] for i in range(0, len(self.text), 5))


def _answerer(settings, demo_answerer, text: str) -> Answerer:
    return Answerer(settings, demo_answerer.retriever.kb, ScriptedLLM(text))  # type: ignore[arg-type]


@pytest.mark.parametrize("sentence", ["这款产品保本保息，请放心。", "存这个稳赚不赔。", "零风险，收益有保证。",
                                      "This plan has a guaranteed return of 5%.", "It is completely risk-free."])
def test_promises_of_returns_are_recognised(sentence):
    assert promises_returns(sentence)


@pytest.mark.parametrize("sentence", ["三年期定期存款年利率为2.35%。", "提前支取按活期利率计息。",
                                      "The cooling-off period is 15 days."])
def test_ordinary_product_facts_are_no_promises(sentence):
    assert not promises_returns(sentence)


def test_a_promise_is_removed_but_the_rest_of_the_answer_stays():
    text, removed = drop_forbidden_promises("年利率为2.35%[1]。这款存款稳赚不赔[1]。", ["年利率为2.35%"])
    assert text == "年利率为2.35%[1]。" and removed == ("这款存款稳赚不赔[1]。",)


def test_a_sentence_quoted_verbatim_from_the_evidence_is_kept():
    evidence = "本产品为存款产品，不涉及投资风险，零风险。"
    text, removed = drop_forbidden_promises("本产品为存款产品，不涉及投资风险，零风险[1]。", [evidence])
    assert removed == () and "零风险" in text


def test_the_deposit_disclosure_cites_the_deposit_insurance_clause(demo_answerer):
    snapshot = demo_answerer.retriever.kb.snapshot()
    (note,) = disclosures(["time-deposit"], load_products(), "zh", snapshot, first=4)
    assert "50万元" in note.text and "[4]" in note.text
    assert note.citations[0].n == 4 and note.citations[0].section.endswith("七、存款保险")
    assert "50万元" in note.citations[0].quote or "最高偿付限额" in note.citations[0].quote


def test_the_insurance_disclosure_points_at_exclusions_and_cooling_off(demo_answerer):
    snapshot = demo_answerer.retriever.kb.snapshot()
    (note,) = disclosures(["medical"], load_products(), "en", snapshot, first=1)
    assert "exclusions" in note.text and "cooling-off" in note.text
    assert [c.section.split(" > ")[-1] for c in note.citations] == ["Article 8 Exclusions",
                                                                     "Article 10 Cooling-off Period"]


def test_one_disclosure_per_kind_and_none_for_products_without_one(demo_answerer):
    snapshot = demo_answerer.retriever.kb.snapshot()
    notes = disclosures(["term-life", "medical", "credit-card"], load_products(), "zh", snapshot, first=1)
    assert [n.kind for n in notes] == ["insurance"]


def test_a_generated_deposit_answer_gets_the_disclosure_streamed_and_cited(settings, demo_answerer):
    answerer = _answerer(settings, demo_answerer, "三年期定期存款的年利率为2.35%[1]。")
    events = list(answerer.stream("三年期定期存款利率是多少？"))
    reply = events[-1].reply  # type: ignore[union-attr]
    assert isinstance(events[-1], Final) and not reply.refused
    assert reply.text.startswith("三年期定期存款的年利率为2.35%[1]。") and "50万元" in reply.text
    assert any(c.section.endswith("七、存款保险") for c in reply.citations)
    streamed = "".join(e.text for e in events if isinstance(e, Delta))
    assert "50万元" in streamed
    (note,) = reply.disclosures  # named apart, so a faithfulness scorer can leave the reminder out
    assert "50万元" in note and reply.text.endswith(note)


def test_a_generated_promise_of_returns_never_reaches_the_customer(settings, demo_answerer):
    from agent.answering.grounding import check_support

    promise = "本产品属于存款，本金和利息稳赚不赔[1]。"
    evidence = [e.chunk.text for e in demo_answerer.retriever.run("定期存款 存款保险", 5, demo_answerer.filters)]
    assert check_support(promise, evidence).text  # lexically supported: only the compliance check stops it
    answerer = _answerer(settings, demo_answerer, "三年期定期存款的年利率为2.35%[1]。" + promise)
    reply = answerer.run("三年期定期存款利率是多少？")
    assert not reply.refused and "2.35%" in reply.text
    assert "稳赚" not in reply.text
