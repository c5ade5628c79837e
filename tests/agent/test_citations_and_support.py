"""Citations resolve to real evidence; sentences the evidence does not support are removed."""

from __future__ import annotations

from datetime import date

from agent.citations import resolve_citations
from agent.support import check_support, split_sentences, support
from knowledge import Chunk, Document, Evidence
from knowledge.documents import DocumentKind


def _evidence(texts: list[str]) -> list[Evidence]:
    doc = Document(id="d1", title="海湾百万医疗保险条款", source="/x.md", kind=DocumentKind.PRODUCT,
                   language="zh", content_hash="h", effective_date=date(2026, 1, 1))
    return [
        Evidence(chunk=Chunk(f"d1:{i}", "d1", t, ("第四条",), 0, len(t)), document=doc, score=1.0, rank=i + 1)
        for i, t in enumerate(texts)
    ]


MEDICAL = "本合同的年免赔额为1万元。经社会基本医疗保险结算的，赔付比例为100%；未经结算的，赔付比例为60%。"
DRUNK = "被保险人酒后驾驶、无合法有效驾驶证驾驶的，我们不承担给付保险金的责任。"


def test_markers_in_every_common_form_resolve_to_numbered_citations():
    text, cites = resolve_citations("免赔额为1万元【1】。比例为60%[1，2]。", _evidence([MEDICAL, DRUNK]))
    assert text == "免赔额为1万元[1]。比例为60%[1][2]。"
    assert [c.n for c in cites] == [1, 2]
    assert cites[0].document_title == "海湾百万医疗保险条款" and cites[0].section == "第四条"
    assert cites[0].quote.startswith("本合同的年免赔额")


def test_markers_pointing_at_no_evidence_are_dropped():
    text, cites = resolve_citations("免赔额为1万元[7]。", _evidence([MEDICAL]))
    assert text == "免赔额为1万元。"
    assert cites == ()


def test_a_sentence_citing_the_wrong_source_is_reattributed_to_the_one_that_supports_it():
    checked = check_support("年免赔额为1万元[2]。", [MEDICAL, DRUNK])
    assert checked.text == "年免赔额为1万元[1]。"


def test_an_uncited_supported_sentence_gains_its_citation():
    checked = check_support("被保险人酒后驾驶的，我们不承担给付保险金的责任。", [MEDICAL, DRUNK])
    assert checked.text.endswith("[2]。")


def test_a_sentence_with_a_number_the_evidence_lacks_is_removed():
    checked = check_support("年免赔额为1万元[1]。未经结算的赔付比例为80%[1]。", [MEDICAL, DRUNK])
    assert "80%" not in checked.text
    assert checked.dropped and "80%" in checked.dropped[0]


def test_a_sentence_about_something_else_entirely_is_removed():
    checked = check_support("明天上海会下大雨，请带伞出门[1]。", [MEDICAL])
    assert checked.text == ""


def test_support_is_measured_in_english_words_too():
    evidence = "The waiting period is 30 days from the effective date; there is none for accidents."
    assert support("The waiting period is 30 days", evidence) == 1.0
    assert support("The waiting period is 90 days", evidence) == 0.0


def test_sentences_split_after_chinese_and_english_stops_keeping_their_markers():
    assert split_sentences("甲为1万元[1]。乙为60%。 The fee is 3% [2]. Done") == [
        "甲为1万元[1]。", "乙为60%。", " The fee is 3% [2].", " Done"
    ]


def test_a_sentence_the_model_repeats_is_kept_once():
    from agent.support import check_support

    evidence = ["宽限期为60日，自保险费约定支付日的次日起计算。"]
    checked = check_support("宽限期为60日[1]。宽限期为60日[1]。宽限期为 60 日[1]。", evidence)
    assert checked.text == "宽限期为60日[1]。" and len(checked.dropped) == 2


def test_citations_are_numbered_in_the_order_the_answer_uses_them():
    from agent.citations import renumber
    from agent.reply import Citation

    def cite(n: int) -> Citation:
        return Citation(n=n, chunk_id=f"c{n}", document_id="d", document_title="T", section=f"S{n}", quote="q")

    text, citations = renumber("利率为2.35%[3]。提前支取按活期计息[2][3]。", (cite(2), cite(3)))
    assert text == "利率为2.35%[1]。提前支取按活期计息[2][1]。"
    assert [(c.n, c.chunk_id) for c in citations] == [(1, "c3"), (2, "c2")]
