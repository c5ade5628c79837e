"""Citations resolve to real evidence; sentences the evidence does not support are removed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agent.answering.citations import resolve_citations
from agent.answering.grounding import (
    MIN_SUPPORT,
    Quantity,
    attribute,
    check_support,
    quantities,
    split_sentences,
    support,
    supporting_passage,
)
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
    from agent.answering.grounding import check_support

    evidence = ["宽限期为60日，自保险费约定支付日的次日起计算。"]
    checked = check_support("宽限期为60日[1]。宽限期为60日[1]。宽限期为 60 日[1]。", evidence)
    assert checked.text == "宽限期为60日[1]。" and len(checked.dropped) == 2


def test_citations_are_numbered_in_the_order_the_answer_uses_them():
    from agent.answering.citations import renumber
    from agent.reply import Citation

    def cite(n: int) -> Citation:
        return Citation(n=n, chunk_id=f"c{n}", document_id="d", document_title="T", section=f"S{n}", quote="q")

    text, citations = renumber("利率为2.35%[3]。提前支取按活期计息[2][3]。", (cite(2), cite(3)))
    assert text == "利率为2.35%[1]。提前支取按活期计息[2][1]。"
    assert [(c.n, c.chunk_id) for c in citations] == [(1, "c3"), (2, "c2")]


# ---- numbers compare by value, whatever the notation ----------------------------------------------

@pytest.mark.parametrize(("said", "written"), [
    ("保单借款最多可借保单价值准备金的80%。", "保单借款最多可借保单价值准备金的百分之八十。"),
    ("保单借款最多可借保单价值准备金的80%。", "保单借款最多可借保单价值准备金的八成。"),
    ("保单借款最多可借保单价值准备金的80%。", "保单借款最多可借保单价值准备金的0.8倍。"),
    ("保单借款最多可借保单价值准备金的百分之八十。", "保单借款最多可借保单价值准备金的80%。"),
    ("The loan is at most 80% of the policy value.", "The loan is at most 80 percent of the policy value."),
    ("宽限期为三十日。", "宽限期为30天。"),
    ("宽限期为30天。", "宽限期为三十日。"),
    ("The grace period is 30 days.", "宽限期为三十日。The grace period"),
    ("年免赔额为一万元。", "年免赔额为10,000元。"),
    ("年免赔额为1万元。", "年免赔额为一万元。"),
    ("The deductible is CNY 10,000.", "The deductible is 1万元."),
    ("诉讼时效为两年。", "诉讼时效为2年。"),
    ("宽限期为６０日。", "宽限期为60日。"),
    ("年利率为2.35%。", "年利率为百分之二点三五。"),
    ("年度保险金额为三百万元。", "年度保险金额为300万元。"),
])
def test_a_number_matches_the_same_value_in_any_notation(said, written):
    assert support(said, written) >= MIN_SUPPORT, (said, written)


@pytest.mark.parametrize(("said", "written"), [
    ("保单借款最多可借保单价值准备金的80%。", "保单借款最多可借保单价值准备金的80元。"),  # percent is not plain money
    ("保单借款最多可借保单价值准备金的80%。", "保单借款最多可借保单价值准备金的七成。"),
    ("宽限期为三十日。", "宽限期为三十个月。"),  # days are not months
    ("年免赔额为一万元。", "年免赔额为1,000元。"),
    ("诉讼时效为两年。", "诉讼时效为3年。"),
])
def test_a_different_value_or_unit_is_no_match(said, written):
    assert support(said, written) == 0.0


def test_a_correct_answer_stays_when_the_policy_writes_its_figure_in_chinese_numerals():
    policy = "第十八条 保单借款 在本合同有效期内，您可以申请保单借款，借款金额最高不超过保单价值准备金的百分之八十。"
    checked = check_support("保单借款最多可以借80%的保单价值准备金。[1]", [policy])
    assert checked.text == "保单借款最多可以借80%的保单价值准备金[1]。" and not checked.dropped


def test_quantities_leave_words_that_only_contain_a_numeral_alone():
    assert quantities("一般情况下统一一次性支付，同一日内办理。") == frozenset()
    assert quantities("第八条") == {Quantity(Decimal(8))}


def test_a_numbered_list_keeps_its_numbers():
    evidence = ["（一）下列情形我们不承担给付保险金的责任：\n1. 既往症及其并发症；\n2. 投保人对被保险人的故意伤害；"]
    items = "1. 既往症及其并发症[1]；\n2. 投保人对被保险人的故意伤害[1]；"
    checked = check_support(f"以下情形不承担给付保险金的责任：\n{items}", evidence)
    assert items in checked.text and not checked.dropped


# ---- which evidence a sentence is cited to, and what the citation quotes --------------------------

RATES = ("《海湾安享定期存款产品说明书》 三、存款利率\n## 三、存款利率\n\n"
         "本产品执行存入日本行挂牌公布的利率，存期内利率不变。自2026年1月1日起执行的挂牌利率如下：\n\n"
         "| 存期 | 年利率 |\n| --- | --- |\n| 1年 | 1.45% |\n| 2年 | 1.65% |\n"
         "| 3年 | 2.35% |\n| 5年 | 2.45% |\n| 活期存款（适用于提前支取部分） | 0.20% |")
EARLY = ("《海湾安享定期存款产品说明书》 五、提前支取\n## 五、提前支取\n\n"
         "（一）存期内，客户可以办理全部提前支取，也可以办理部分提前支取。每笔定期存款只能办理一次部分提前支取。\n\n（五）计算示例：客户存入3年期定期存款10,000元，存满200天时部分提前支取4,000元。"
         "该4,000元的利息为4,000 × 0.20% ÷ 360 × 200 = 4.44元；剩余6,000元继续按年利率2.35%计息至原到期日，"
         "到期利息为6,000 × 2.35% × 3 = 423.00元。")


def test_a_figure_is_cited_to_the_clause_that_states_it_not_to_an_example_that_uses_it():
    assert attribute("三年期定期存款利率为2.35%。", [RATES, EARLY], cited=[2]) == [1]
    assert check_support("三年期定期存款利率为2.35%[2]。", [RATES, EARLY]).text == "三年期定期存款利率为2.35%[1]。"


def test_a_figure_two_clauses_state_equally_keeps_the_citation_the_model_wrote():
    both = "《海湾安享定期存款产品说明书》 二、产品要素\n| 存期 | 年利率 |\n| --- | --- |\n| 3年 | 2.35% |"
    assert attribute("三年期定期存款利率为2.35%。", [RATES, both], cited=[2]) == [2]


def test_a_quote_holds_the_figure_it_supports_not_the_chunks_opening():
    chunk = RATES.split("\n", 1)[1]
    assert len(chunk) > 160 and chunk.index("2.35%") > 100
    evidence = [Evidence(chunk=Chunk("d:3", "d", chunk, ("三、存款利率",), 0, len(chunk)), document=_evidence(
        ["x"])[0].document, score=1.0, rank=1)]
    _, cites = resolve_citations("三年期定期存款利率为2.35%[1]。", evidence)
    assert cites[0].quote == "| 存期 | 年利率 |\n| 3年 | 2.35% |"


def test_a_quote_of_a_long_line_is_the_sentence_holding_the_figure():
    figure = "剩余6,000元继续按年利率2.35%计息至原到期日。"
    line = "（五）" + "客户可以办理部分提前支取，剩余金额不得低于起存金额。" * 8 + figure
    assert len(line) > 160
    assert supporting_passage(["剩余部分按年利率2.35%计息。"], line, limit=160) == figure
