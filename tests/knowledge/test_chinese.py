"""Chinese normalisation for matching: one script, digits for counted numerals, units kept with numbers."""

from __future__ import annotations

import pytest

from knowledge.chinese import dominant_script, han_bigrams, normalise_numbers, quantities, to_script, to_simplified
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


# A Traditional page as Tesseract reads it: a few characters come out in Simplified (险, 条, 为).
MIXED_TRADITIONAL = "本公司依本契約條款負給付保险金之責任，第五条所稱之受益人為被保險人本人"


def test_a_page_is_in_the_script_most_of_its_one_script_characters_are_in():
    assert dominant_script(MIXED_TRADITIONAL) == "traditional"
    assert dominant_script("本公司按照本合同约定承担保险责任，給付保险金") == "simplified"
    assert dominant_script("里 后 台 Annual fee") == ""  # characters both scripts use decide nothing


def test_characters_of_the_other_script_are_put_in_the_pages_script():
    assert to_script(MIXED_TRADITIONAL, "traditional") == (
        "本公司依本契約條款負給付保險金之責任，第五條所稱之受益人為被保險人本人")
    assert to_script("本合同約定的保险责任", "simplified") == "本合同约定的保险责任"


def test_characters_both_scripts_use_are_never_converted():
    # 里 (公里), 后 (皇后), 台 (台灣) are Traditional too: a character-level s2t would turn them into 裏, 後, 臺.
    assert to_script("距台北市区五公里，皇后保险条款", "traditional") == "距台北市區五公里，皇后保險條款"
    assert to_script("no Chinese at all", "traditional") == "no Chinese at all"
    assert to_script("保险条款", "") == "保险条款"
