"""Answer text as the voice should say it: numbers, dates, money, percentages; markup gone; sentences."""

from __future__ import annotations

import pytest

from voice.speech_text import SentenceSplitter, detect_language, normalize, split_sentences, strip_markup


@pytest.mark.parametrize(("text", "spoken"), [
    ("年化利率为2.35%", "年化利率为百分之二点三五"),
    ("2026年3月5日起生效", "二零二六年三月五日起生效"),
    ("2026-03-05到期", "二零二六年三月五日到期"),
    ("保额¥50,000", "保额五万元"),
    ("保额￥1.5万", "保额一点五万元"),
    ("保费1,200元/年", "保费一千二百元每年"),
    ("等待期为90天", "等待期为九十天"),
    ("利率在2%-3%之间", "利率在百分之二至百分之三之间"),
    ("3~5年", "三至五年"),
    ("依据第16条", "依据第十六条"),
    ("见5.3条", "见五点三条"),
    ("请拨打95588", "请拨打九五五八八"),
    ("热线400-820-8820", "热线四零零，八二零，八八二零"),
    ("费率0.5%", "费率百分之零点五"),
    ("共10000元", "共一万元"),
])
def test_reads_chinese_numbers_as_a_customer_expects(text: str, spoken: str) -> None:
    assert normalize(text, "zh") == spoken


@pytest.mark.parametrize(("text", "spoken"), [
    ("3.5%", "three point five percent"),
    ("The rate is 2.35% a year.", "The rate is two point three five percent a year."),
    ("From 2026-03-05.", "From March fifth, twenty twenty six."),
    ("A fee of $1,200.50.", "A fee of one thousand two hundred dollars and fifty cents."),
    ("Up to RMB 50,000.", "Up to fifty thousand yuan."),
    ("¥300 a month", "three hundred yuan a month"),
    ("3-5 years", "three to five years"),
    ("2%-3% a year", "two to three percent a year"),
    ("Article 16 and clause 5.3", "Article sixteen and clause five point three"),
    ("on the 1st of May", "on the first of May"),
    ("Call 95588.", "Call nine five five eight eight."),
    ("In 2026 we opened 12 branches.", "In twenty twenty six we opened twelve branches."),
])
def test_reads_english_numbers_as_a_customer_expects(text: str, spoken: str) -> None:
    assert normalize(text, "en") == spoken


def test_drops_citation_markers_and_markdown() -> None:
    text = "## 犹豫期\n**犹豫期**为15日[1]，详见[条款](http://x/y)[2, 3]。\n- 退还保费[4]"
    assert normalize(text, "zh") == "犹豫期 犹豫期为十五日，详见条款。 退还保费"
    assert strip_markup("The rate is 3.5% [1].") == "The rate is 3.5%."


def test_detects_chinese_by_han_characters() -> None:
    assert detect_language("请问犹豫期多长？") == "zh"
    assert detect_language("What is the waiting period?") == "en"


def test_yields_each_sentence_as_soon_as_the_stream_completes_it() -> None:
    splitter = SentenceSplitter()
    tokens = ["三年期", "利率为2", ".", "35%[1]", "。犹豫", "期为15日", "；The rate", " is 2.", "35", "%. Done"]
    emitted: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        emitted += [(i, s) for s in splitter.push(token)]
    emitted += [(len(tokens), s) for s in splitter.flush()]
    assert emitted == [(4, "三年期利率为2.35%[1]。"), (6, "犹豫期为15日；"), (9, "The rate is 2.35%."),
                       (10, "Done")]


def test_never_splits_inside_a_decimal_number() -> None:
    assert split_sentences("The rate is 2.35 percent. It is fixed.") == ["The rate is 2.35 percent.", "It is fixed."]


def test_holds_tiny_fragments_until_the_sentence_is_worth_speaking() -> None:
    assert split_sentences("注：好。犹豫期为十五日。") == ["注：好。犹豫期为十五日。"]


def test_has_nothing_to_say_for_markup_only_text() -> None:
    assert split_sentences("[1] **") == []
