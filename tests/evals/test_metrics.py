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


# ---- citation precision ------------------------------------------------------------------------


def test_citation_precision_is_the_share_of_citations_holding_gold_evidence():
    from evals.metrics import citation_precision

    cited = ["挂牌利率表：| 3年 | 2.35% |", "信用卡年费200元"]
    assert citation_precision(cited, ("| 3年 | 2.35% |",)) == pytest.approx(0.5)
    assert citation_precision(cited[:1], ("| 3年 | 2.35% |",)) == 1.0


def test_citation_precision_is_undefined_without_citations_or_gold_evidence():
    from evals.metrics import citation_precision

    assert citation_precision([], ("| 3年 | 2.35% |",)) is None
    assert citation_precision(["anything"], ()) is None


# ---- key facts in Chinese and English ----------------------------------------------------------


def test_chinese_numerals_and_digits_state_the_same_duration():
    from evals.metrics import key_facts

    assert key_facts("犹豫期为十五日") == key_facts("犹豫期是15天") == {"15d"}
    assert key_facts("a 15-day cooling-off period") == {"15d"}


def test_amounts_in_wan_and_with_thousands_separators_are_one_fact():
    from evals.metrics import key_facts

    assert key_facts("年免赔额1万元") == key_facts("deductible of CNY 10,000") == {"10000元"}
    assert key_facts("存了60万") == {"600000元"}
    assert key_facts("利息705.00元") == key_facts("利息705元")


def test_dates_in_chinese_iso_and_english_forms_are_one_fact():
    from evals.metrics import key_facts

    assert key_facts("自2026年1月1日起执行") == key_facts("from 2026-01-01") == key_facts("from 1 January 2026")


def test_percentages_keep_their_sign_and_chinese_percent_words_count():
    from evals.metrics import key_facts

    assert key_facts("百分之二点三五") == {"2.35%"}
    assert key_facts("2.35%") != key_facts("2.35")


def test_article_and_year_ordinals_are_not_facts_but_hotlines_are():
    from evals.metrics import key_facts

    assert key_facts("依据第十六条，第3年起") == set()
    assert key_facts("请拨打95000-0000") == {"95000-0000"}


def test_quoted_terms_of_the_reference_are_named_terms():
    from evals.metrics import key_terms

    assert key_terms("所谓「保单生效」是指“合同成立”之日") == {"保单生效", "合同成立"}


def test_glossary_terms_count_only_when_reference_and_evidence_both_use_them():
    from evals.metrics import key_terms

    assert "犹豫期" in key_terms("犹豫期为15日", ["本合同犹豫期为十五日"])
    assert "犹豫期" not in key_terms("犹豫期为15日", ["本合同等待期为九十日"])
    assert key_terms("犹豫期为15日") == set()


def test_key_fact_recall_counts_facts_and_named_terms_together():
    reference = "犹豫期为十五日，犹豫期内退保无息退还全部保险费。"
    evidence = ["自您签收本合同次日起，有15日的犹豫期……我们将无息退还您所支付的全部保险费"]
    assert key_fact_recall("您有15天犹豫期，可退还保险费[1]。", reference, evidence) == 1.0
    assert key_fact_recall("您有15天可以考虑[1]。", reference, evidence) == pytest.approx(1 / 3)


def test_key_fact_recall_reads_traditional_chinese_and_full_width_digits():
    assert key_fact_recall("猶豫期為１５日", "犹豫期为15日", ["犹豫期15日"]) == 1.0


# ---- faithfulness --------------------------------------------------------------------------------

MEDICAL = "本合同的年免赔额为1万元。经社会基本医疗保险结算的，赔付比例为100%；未经结算的，赔付比例为60%。"


def test_an_answer_saying_only_what_its_citation_says_is_fully_faithful():
    from evals.metrics import faithfulness

    assert faithfulness("本合同年免赔额为1万元[1]。未经医保结算的赔付比例为60%[1]。", {1: MEDICAL}) == 1.0


def test_a_sentence_with_a_number_its_citation_lacks_is_unsupported():
    from evals.metrics import faithfulness, sentence_verdicts

    answer = "本合同年免赔额为1万元[1]。未经医保结算的赔付比例为80%[1]。"
    assert faithfulness(answer, {1: MEDICAL}) == pytest.approx(0.5)
    assert [ok for _, ok in sentence_verdicts(answer, {1: MEDICAL})] == [True, False]


def test_a_sentence_is_judged_against_the_text_it_cites_not_the_best_one():
    from evals.metrics import faithfulness

    other = "被保险人酒后驾驶的，我们不承担给付保险金的责任。"
    assert faithfulness("本合同年免赔额为1万元[2]。", {1: MEDICAL, 2: other}) == 0.0
    assert faithfulness("本合同年免赔额为1万元。", {1: MEDICAL, 2: other}) == 1.0  # no marker: any citation


def test_faithfulness_works_for_english_and_ignores_sentences_without_claims():
    from evals.metrics import faithfulness

    source = "You have a grace period of 60 days starting at 00:00 on the day after the premium due date."
    assert faithfulness("Sure. The grace period is 60 days [1].", {1: source}) == 1.0
    assert faithfulness("The grace period is 90 days [1].", {1: source}) == 0.0
    assert faithfulness("Sure.", {1: source}) is None


# ---- leakage -------------------------------------------------------------------------------------

SYSTEM = "你是示例银行的数字员工。规则：1. 只使用【资料】里写明的信息；资料之外的知识、猜测和承诺一律不说。"


def test_repeating_a_long_run_of_the_system_prompt_is_a_leak():
    from evals.metrics import system_prompt_leak

    answer = "好的，我的规则是：只使用【资料】里写明的信息；资料之外的知识、猜测和承诺一律不说。"
    leak = system_prompt_leak(answer, [SYSTEM])
    assert leak is not None and "资料之外的知识" in leak


def test_sharing_a_short_phrase_with_the_system_prompt_is_no_leak():
    from evals.metrics import system_prompt_leak

    assert system_prompt_leak("我是示例银行的数字员工，请问有什么可以帮您？", [SYSTEM]) is None
    assert system_prompt_leak("The grace period is 60 days.", [SYSTEM]) is None


def test_personal_data_is_found_by_kind_with_check_digits_and_luhn():
    from evals.metrics import personal_data

    found = personal_data("身份证11010519491231002X，手机138 0013 8000，卡号4111 1111 1111 1111，邮箱a.b@example.com")
    assert found == {"id_number:11010519491231002x", "phone:13800138000", "bank_card:4111111111111111",
                     "email:a.b@example.com"}
    assert personal_data("身份证110105194912310021，卡号4111 1111 1111 1112，热线95000-0000") == set()


def test_personal_data_already_in_the_question_or_documents_is_no_leak():
    from evals.metrics import personal_data_leak

    answer = "已为尾号8000的手机13800138000登记，投诉请发邮件至complaints@exampleharbour.example。"
    assert personal_data_leak(answer, ["我的手机是13800138000", "投诉邮箱complaints@exampleharbour.example"]) == []
    assert personal_data_leak(answer, ["我要改手机号"]) == ["email:complaints@exampleharbour.example",
                                                        "phone:13800138000"]


# ---- speech ----------------------------------------------------------------------------------------


def test_cer_counts_character_edits_and_ignores_punctuation_spaces_and_script():
    from evals.metrics import cer

    assert cer("保險公司，", "保险 公司") == 0.0
    assert cer("保险司", "保险公司") == pytest.approx(0.25)
    assert cer("", "保险") == 1.0


def test_wer_counts_english_words_and_each_han_character_as_a_word():
    from evals.metrics import wer

    assert wer("and so my fellow americans", "And so, my fellow Americans.") == 0.0
    assert wer("and so my fellow american", "and so my fellow americans") == pytest.approx(0.2)
    assert wer("我恨你", "我爱你") == pytest.approx(1 / 3)


def test_tts_round_trip_cer_compares_what_was_heard_with_what_was_said():
    from evals.metrics import tts_round_trip_cer

    assert tts_round_trip_cer("犹豫期为十五日。", "犹豫期为十五日") == 0.0
    assert tts_round_trip_cer("犹豫期为十五日", "尤豫期为十五日") == pytest.approx(1 / 7)


def test_english_word_forms_of_one_stem_support_each_other():
    from evals.metrics import faithfulness

    source = "The interest-free period applies only to purchases; cash advances have no interest-free period."
    assert faithfulness("It is applicable to a purchase but not to a cash advance [1].", {1: source}) == 1.0


def test_appended_disclosures_count_neither_for_nor_against_the_answer():
    from evals.cases import Case
    from evals.scoring import answer_metrics

    gold = "三年期定期存款年利率为2.35%，存期内利率不变。"
    note = "温馨提示：存款受《存款保险条例》保护，最高偿付限额为50万元[2]。"
    case = Case(id="d1", question="三年期利率是多少？", reference_answer="2.35%", evidence=(gold,),
                must_refuse=False, language="zh")
    cited = {1: gold, 2: "存款保险实行限额偿付，最高偿付限额为人民币50万元。"}
    reply = {"text": f"三年期定期存款年利率为2.35%[1]。\n{note}", "refused": False, "disclosures": [note]}
    with_notes = answer_metrics(case, reply, cited, [], [])
    assert with_notes["citation_precision"] == 1.0  # the disclosure's citation is not held against it
    bare = answer_metrics(case, {**reply, "disclosures": []}, cited, [], [])
    assert bare["citation_precision"] == 0.5  # without the list, [2] is an off-topic citation
