"""Chinese normalisation for matching: one script, digits for counted numerals, units kept with numbers."""

from __future__ import annotations

import pytest

from knowledge.chinese import han_bigrams, normalise_numbers, quantities, to_simplified
from knowledge.keyword import tokenize


def test_traditional_characters_become_simplified():
    assert to_simplified("保險人不負責的情況") == "保险人不负责的情况"


def test_text_without_han_characters_is_left_alone():
    assert to_simplified("Annual fee: USD 100") == "Annual fee: USD 100"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三十日内", "30日内"),
        ("三年期定期存款", "3年期定期存款"),
        ("十二个月", "12个月"),
        ("两年内自杀", "2年内自杀"),
        ("百分之二点三五", "2.35%"),
        ("保险金额的百分之一百五十", "保险金额的150%"),
        ("30天内", "30日内"),
    ],
)
def test_numerals_that_count_something_become_digits(text, expected):
    assert normalise_numbers(text) == expected


@pytest.mark.parametrize("text", ["一次性支付", "上一保险期间", "第一条", "统一规定"])
def test_numerals_inside_words_are_not_touched(text):
    assert normalise_numbers(text) == text


def test_quantities_keep_the_number_with_its_unit():
    assert quantities("3年 2.35% 30日 12个月") == ["3年", "2.35%", "30日", "12个月"]


def test_bigrams_cover_each_han_run():
    assert han_bigrams("等待期，犹豫期") == ["等待", "待期", "犹豫", "豫期"]


def test_a_question_in_days_and_a_clause_in_chinese_numerals_share_tokens():
    question = set(tokenize("超过30天才重新投保"))
    clause = set(tokenize("届满后三十日内申请重新投保"))
    assert "30日" in question & clause


def test_a_traditional_question_shares_tokens_with_a_simplified_clause():
    assert {"保险", "责任"} <= set(tokenize("保險人不負責任的情況")) & set(tokenize("保险人不承担责任"))
