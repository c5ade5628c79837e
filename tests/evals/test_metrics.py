"""Eval metrics judge retrieved text against gold evidence spans by text, never by chunk id."""

from __future__ import annotations

import pytest

from evals.metrics import (
    OVERLAP_SHARE,
    first_relevant_rank,
    is_relevant,
    key_fact_recall,
    key_numbers,
    normalise,
    overlaps,
)

RATE_SPAN = "本产品执行存入日本行挂牌公布的利率，存期内利率不变"  # 25 characters


# ---- normalise ------------------------------------------------------------------------------


def test_normalise_drops_whitespace_markdown_emphasis_and_table_bars_and_lowercases():
    assert normalise("| **3年** | _2.35%_ |\n`Rate`  ") == "3年2.35%rate"


# ---- overlaps: substring ----------------------------------------------------------------------


def test_a_text_containing_the_span_overlaps_it():
    chunk = "## 三、存款利率\n\n" + RATE_SPAN + "。自2026年1月1日起执行的挂牌利率如下"
    assert overlaps(chunk, RATE_SPAN)


def test_the_span_matches_across_markdown_table_formatting_and_line_breaks():
    chunk = "| 存期 | 年利率 |\n| --- | --- |\n|   3年   |   **2.35%**   |\n"
    assert overlaps(chunk, "| 3年 | 2.35% |")
    assert overlaps("The 3-year\nrate is 2.35%.", "the 3-year rate   is 2.35%")


def test_matching_is_case_insensitive():
    assert overlaps("CALL 95000-0000 FOR HELP", "call 95000-0000")


# ---- overlaps: partial -------------------------------------------------------------------------


def test_a_span_cut_across_two_chunks_counts_for_the_part_holding_at_least_the_threshold_share():
    cut = 15  # 15 of 25 characters = 60 % in the first chunk, 40 % in the second
    first_chunk = "上一段落结束。" + RATE_SPAN[:cut]
    second_chunk = RATE_SPAN[cut:] + "。下一段落开始。"
    assert cut / len(RATE_SPAN) >= OVERLAP_SHARE
    assert overlaps(first_chunk, RATE_SPAN)
    assert not overlaps(second_chunk, RATE_SPAN)


def test_a_shared_run_just_under_the_threshold_does_not_count():
    run = int(OVERLAP_SHARE * len(RATE_SPAN)) - 1  # 14 of 25 characters
    assert not overlaps("无关内容。" + RATE_SPAN[:run] + "。其他无关内容。", RATE_SPAN)


def test_the_shared_run_must_be_contiguous():
    # every character of the span's first 20 is present, but never more than 5 in a row
    scattered = "，".join(RATE_SPAN[i : i + 5] for i in range(0, 20, 5))
    assert not overlaps(scattered, RATE_SPAN)


def test_short_spans_need_at_least_four_shared_characters():
    assert overlaps("xx2.35yy", "2.35%")  # 4 of 5
    assert not overlaps("xx2.3yy", "2.35%")  # 3 of 5
    assert not overlaps("xxabcyy", "abcz")  # 3 of 4


def test_texts_with_nothing_in_common_do_not_overlap():
    assert not overlaps("The annual fee is CNY 200.", RATE_SPAN)
    assert not overlaps("", RATE_SPAN)


def test_an_empty_or_formatting_only_span_never_matches():
    assert not overlaps("anything at all", "")
    assert not overlaps("anything at all", " ** | ` ")


# ---- relevance and rank ------------------------------------------------------------------------


def test_a_text_is_relevant_when_any_evidence_span_overlaps():
    evidence = ("| 3年 | 2.35% |", RATE_SPAN)
    assert is_relevant("挂牌利率表：| 3年 | 2.35% |", evidence)
    assert not is_relevant("信用卡年费200元", evidence)
    assert not is_relevant("anything", ())


def test_first_relevant_rank_is_one_based():
    texts = ["信用卡年费200元", "保险期间为20年", "| 3年 | 2.35% |"]
    assert first_relevant_rank(texts, ("| 3年 | 2.35% |",)) == 3
    assert first_relevant_rank(list(reversed(texts)), ("| 3年 | 2.35% |",)) == 1


def test_first_relevant_rank_picks_the_earliest_of_several_relevant_texts():
    texts = ["无关", RATE_SPAN, "| 3年 | 2.35% |"]
    assert first_relevant_rank(texts, ("| 3年 | 2.35% |", RATE_SPAN)) == 2


def test_first_relevant_rank_is_none_when_nothing_is_relevant():
    assert first_relevant_rank(["信用卡年费200元"], (RATE_SPAN,)) is None
    assert first_relevant_rank([], (RATE_SPAN,)) is None


# ---- key facts -------------------------------------------------------------------------------


def test_key_numbers_keep_decimals_and_percent_and_drop_thousands_separators():
    assert key_numbers("10,000 × 2.35% × 3 = 705.00元") == {"10000", "2.35%", "3", "705.00"}


def test_key_fact_recall_is_the_share_of_reference_numbers_the_answer_states():
    reference = "3年期年利率为2.35%，存入10,000元到期利息705.00元。"
    assert key_fact_recall("年利率2.35%，10000元存3年，利息705.00元。", reference) == 1.0
    assert key_fact_recall("年利率2.35%，存3年。", reference) == pytest.approx(0.5)
    assert key_fact_recall("请咨询客服。", reference) == 0.0


def test_a_rate_without_its_percent_sign_is_a_different_fact():
    assert key_fact_recall("利率是2.35", "利率是2.35%") == 0.0


def test_key_fact_recall_is_undefined_for_a_reference_without_numbers():
    assert key_fact_recall("任何回答 42", "请携带有效身份证件办理。") is None


# ---- overlaps: a chunk inside a long span ----------------------------------------------------

LONG_CLAUSE = "第四部分 保险金申请。" + "被保险人应在保险事故发生后十日内通知我们，并提供相关证明和资料。" * 40


def test_a_chunk_lying_inside_a_long_span_counts():
    chunk = LONG_CLAUSE[300:800]  # 500 characters of a clause ten times as long
    assert overlaps(chunk, LONG_CLAUSE)


def test_a_short_common_phrase_with_a_long_span_does_not_count():
    chunk = "本合同另有约定的除外。" + "与本条款无关的其他内容，讲的是信用卡年费与积分规则。" * 3
    assert not overlaps(chunk, "但本合同另有约定的除外。" + LONG_CLAUSE)


# ---- nDCG ----------------------------------------------------------------------------------------


def test_ndcg_is_one_when_the_gold_chunk_is_first_and_lower_the_later_it_comes():
    from evals.metrics import ndcg

    assert ndcg([1], gold_spans=1) == pytest.approx(1.0)
    assert ndcg([3], gold_spans=1) == pytest.approx(0.5)
    assert ndcg([11], gold_spans=1) == 0.0
    assert ndcg([], gold_spans=1) == 0.0


def test_ndcg_counts_every_relevant_chunk_in_the_top_k():
    from evals.metrics import ndcg

    assert ndcg([1, 2], gold_spans=1) == pytest.approx(1.0)
    assert ndcg([2, 3], gold_spans=2) < ndcg([1, 2], gold_spans=2)
