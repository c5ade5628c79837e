"""Numbers by tools: figures come from calculators over the product parameters (Decimal, to the fen),
with the formula in words and a citation of the clause that states the rate; missing arguments are
asked for, and the model is never asked to do arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from agent import Answerer
from agent.tools import CalculationTool, calculation_kind
from agent.tools.arguments import extract_args
from agent.tools.arithmetic import cash_advance_fee, deposit_interest, early_withdrawal_interest, period_last_day
from knowledge.demo import demo_documents
from knowledge.products import ProductDataError, load_products

TODAY = date(2026, 11, 22)


class NoLLM:
    """Fails the test if the answerer calls the model: calculations never need it."""

    backend = "none"

    def stream(self, system: str, user: str) -> Iterator[str]:
        raise AssertionError("a calculation question reached the language model")


@pytest.fixture(scope="module")
def snapshot(demo_answerer):
    return demo_answerer.retriever.kb.snapshot()


@pytest.fixture(scope="module")
def tool():
    return CalculationTool(load_products())


# ---- the calculators reproduce the documents' own worked examples --------------------------------


def test_deposit_interest_matches_the_product_sheet_example():
    # time_deposit_zh.md 四（四）: 10,000 × 2.35% × 3 = 705.00元
    assert deposit_interest(Decimal(10000), Decimal("2.35"), 36) == Decimal("705.00")


def test_a_three_month_term_counts_as_a_quarter_year():
    assert deposit_interest(Decimal(10000), Decimal("1.05"), 3) == Decimal("26.25")


def test_early_withdrawal_interest_matches_the_product_sheet_example_rounded_to_the_fen():
    # time_deposit_zh.md 五（五）: 4,000 × 0.20% ÷ 360 × 200 = 4.44元
    assert early_withdrawal_interest(Decimal(4000), Decimal("0.20"), 200) == Decimal("4.44")


def test_cash_advance_fee_is_never_below_the_minimum():
    assert cash_advance_fee(Decimal(500), Decimal(3), Decimal(30)) == Decimal("30.00")
    assert cash_advance_fee(Decimal(3000), Decimal(3), Decimal(30)) == Decimal("90.00")


def test_a_period_counts_from_the_day_after_its_start():
    assert period_last_day(date(2026, 11, 1), 15) == date(2026, 11, 16)


# ---- the parameters agree with the documents that state them -------------------------------------


def test_every_parameter_source_names_a_section_of_a_demo_document():
    catalog = load_products()
    for product in catalog.products.values():
        for parameter, by_language in product.sources.items():
            for language, ref in by_language.items():
                text = (demo_documents() / ref.document).read_text(encoding="utf-8")
                assert f"## {ref.section}\n" in text, f"{product.key}.{parameter}.{language}: {ref}"


def test_every_deposit_rate_is_the_one_the_rate_table_states():
    text = (demo_documents() / "time_deposit_zh.md").read_text(encoding="utf-8")
    for months, rate in load_products().deposit_rates().items():
        term = f"{months // 12}年" if months % 12 == 0 else f"{months}个月"
        assert f"| {term} | {rate}% |" in text


def test_a_malformed_parameters_file_gets_a_message_naming_the_problem(tmp_path: Path):
    bad = tmp_path / "products.yaml"
    bad.write_text("time-deposit: {rates: {36: '2.35'}}\n", encoding="utf-8")
    with pytest.raises(ProductDataError, match="needs a 'kind'"):
        load_products(bad)
    with pytest.raises(ProductDataError, match="not found"):
        load_products(tmp_path / "missing.yaml")


def test_ingesting_the_demo_documents_never_meets_the_parameters_file():
    assert not list(demo_documents().glob("*.yaml"))


# ---- arguments are read from the customer's words, never guessed ---------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "months"),
    [
        ("存10万三年定期到期利息多少？", Decimal(100000), 36),
        ("存十万元三年定期，利息多少", Decimal(100000), 36),
        ("两万五存五年期利息", Decimal(25000), 60),
        ("存1.5万元两年", Decimal(15000), 24),
        ("存一万块半年", Decimal(10000), 6),
        ("I deposit 50,000 for 2 years, how much interest?", Decimal(50000), 24),
        ("deposit 20k for three years", Decimal(20000), 36),
        ("帮我算一下存两年利息", None, 24),
    ],
)
def test_amounts_and_terms_are_read_in_chinese_and_english(text, amount, months):
    args = extract_args(text, TODAY)
    assert (args.amount, args.months) == (amount, months)


def test_a_date_is_not_taken_for_a_term_or_an_amount():
    args = extract_args("2026年11月1日签收的保单犹豫期到哪天", TODAY)
    assert args.start == date(2026, 11, 1) and args.amount is None and args.months is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("存10万三年定期到期利息多少？", "deposit_interest"),
        ("存了200天提前支取5万，利息多少", "early_withdrawal"),
        ("境外取现3000元手续费多少？", "cash_advance_fee"),
        ("11月1日签收的保单犹豫期到哪天", "cooling_off_end"),
        ("三年期定期存款利率是多少？", None),
        ("信用卡年费多少？", None),
    ],
)
def test_calculation_questions_are_told_from_questions_about_the_rules(text, kind):
    assert calculation_kind(text) == kind


# ---- answers: the figure, the formula in words, the clause cited ---------------------------------


def test_deposit_interest_is_answered_with_formula_and_rate_clause(tool, snapshot):
    answer = tool.answer("存10万三年定期到期利息多少？", "zh", snapshot, TODAY)
    assert answer is not None and answer.missing is None
    assert "7,050.00元" in answer.text and "本金 × 年利率 × 存期" in answer.text
    rate_clause = answer.citations[0]
    assert rate_clause.section.endswith("三、存款利率") and "2.35%" in rate_clause.quote


def test_an_english_deposit_question_is_answered_in_english(tool, snapshot):
    answer = tool.answer("I deposit 50,000 for 2 years, how much interest?", "en", snapshot, TODAY)
    assert answer is not None and "CNY 1,650.00" in answer.text
    assert answer.citations[0].section.endswith("3. Interest Rates") and "1.65%" in answer.citations[0].quote


def test_a_missing_amount_is_asked_for(tool, snapshot):
    answer = tool.answer("存三年定期利息多少？", "zh", snapshot, TODAY)
    assert answer is not None and answer.missing == "amount" and not answer.citations


def test_a_term_the_product_does_not_offer_lists_the_terms_it_does(tool, snapshot):
    answer = tool.answer("存10万四年定期利息多少？", "zh", snapshot, TODAY)
    assert answer is not None and answer.missing == "unknown_term" and "5年" in answer.text


def test_a_cash_advance_abroad_uses_the_abroad_fee_and_its_minimum(tool, snapshot):
    answer = tool.answer("境外取现500元手续费多少？", "zh", snapshot, TODAY)
    assert answer is not None and "30.00元" in answer.text
    assert answer.citations[0].section.endswith("九、预借现金")


def test_a_waiting_period_without_a_product_asks_which_product(tool, snapshot):
    answer = tool.answer("等待期从2026年11月1日算到哪天？", "zh", snapshot, TODAY)
    assert answer is not None and answer.missing == "product"
    medical = tool.answer("百万医疗险2026年11月1日生效，等待期到哪天？", "zh", snapshot, TODAY)
    assert medical is not None and "2026年12月1日" in medical.text


def test_a_question_about_the_rule_itself_goes_to_the_documents(tool, snapshot):
    assert tool.answer("定期存款利息怎么算？", "zh", snapshot, TODAY) is None


def test_a_follow_up_fills_the_missing_argument_from_the_earlier_question(tool, snapshot):
    answer = tool.answer("10万", "zh", snapshot, TODAY, context="存三年定期利息多少？")
    assert answer is not None and "7,050.00元" in answer.text
    five = tool.answer("那五年期呢？", "zh", snapshot, TODAY, context="存10万三年定期利息多少？")
    assert five is not None and "12,250.00元" in five.text  # 100,000 × 2.45% × 5


def test_the_answerer_answers_calculations_without_the_model_and_adds_the_deposit_disclosure(
        settings, demo_answerer):
    answerer = Answerer(settings, demo_answerer.retriever.kb, NoLLM())  # type: ignore[arg-type]
    reply = answerer.run("存10万三年定期到期利息多少？")
    assert reply.answered_by == "tool" and not reply.refused and "7,050.00元" in reply.text
    assert "50万元" in reply.text
    assert any(c.section.endswith("七、存款保险") for c in reply.citations)
    assert "tool" in reply.timings and "retrieve" not in reply.timings


# ---- term-life premium for an age ----------------------------------------------------------------


def test_every_premium_rate_is_the_one_the_rate_table_states():
    text = (demo_documents() / "term_life_premiums_zh.md").read_text(encoding="utf-8")
    for low, high, rate in load_products().get("term-life").params["premium_rates"]:
        assert f"| {low}-{high} | {rate}元 |" in text


def test_the_age_is_read_and_never_taken_for_an_amount():
    args = extract_args("我30岁，买50万保额的定期寿险每年保费多少？", TODAY)
    assert (args.age, args.amount) == (30, Decimal(500000))


def test_a_premium_is_computed_from_the_band_of_the_age(tool, snapshot):
    answer = tool.answer("我30岁，买50万保额的定期寿险每年保费多少？", "zh", snapshot, TODAY)
    assert answer is not None and "475.00元" in answer.text  # 500,000 ÷ 100,000 × 95
    assert "26-30" in answer.citations[0].quote and answer.citations[1].section.endswith("三、保险费计算")
    english = tool.answer("What is the annual premium of term life insurance for CNY 200,000 at age 42?", "en",
                          snapshot, TODAY)
    assert english is not None and "CNY 460.00" in english.text and "41-45" in english.citations[0].quote


def test_an_age_outside_the_table_or_a_sum_below_the_minimum_is_explained(tool, snapshot):
    old = tool.answer("65岁买20万定期寿险保费多少？", "zh", snapshot, TODAY)
    assert old is not None and old.missing == "unknown_age" and "18至60周岁" in old.text
    small = tool.answer("30岁买5万定期寿险保费多少？", "zh", snapshot, TODAY)
    assert small is not None and small.missing == "sum_insured"


def test_a_fee_question_without_an_amount_gets_the_fee_rule_from_the_parameters(tool, snapshot):
    both = tool.answer("信用卡取现手续费怎么收？", "zh", snapshot, TODAY)
    assert both is not None and both.missing is None
    assert "境内预借现金按取现金额的1%" in both.text and "境外预借现金按取现金额的3%" in both.text
    abroad = tool.answer("How much does it cost to withdraw cash with my credit card when I'm travelling abroad?",
                         "en", snapshot, TODAY)
    assert abroad is not None and abroad.text.startswith("For cash advances outside China, the fee is 3%")
    assert "1%" not in abroad.text and abroad.citations[0].section.endswith("9. Cash Advances")
