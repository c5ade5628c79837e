"""Chunking follows the document's own structure so that every chunk can be cited by section."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from knowledge.chunking import chunk_text, split_sections

LAW = """\
# 中华人民共和国保险法

第二章 保险合同
第一节 一般规定
第十六条 订立保险合同，保险人就保险标的或者被保险人的有关情况提出询问的，投保人应当如实告知。
投保人故意或者因重大过失未履行前款规定的如实告知义务的，保险人有权解除合同。
第十七条 订立保险合同，采用保险人提供的格式条款的，保险人向投保人提供的投保单应当附格式条款。
第二节 人身保险合同
第三十一条 投保人对下列人员具有保险利益。
"""

LAW_TITLE = "中华人民共和国保险法"


def _paths(chunks):
    return [c.section_path for c in chunks]


# ---- section paths ---------------------------------------------------------------------------


def test_markdown_headings_nest_into_a_section_path():
    text = "# Product Sheet\n\n## 3. Interest Rates\n\n### Table\n\nThree years: 2.35%.\n\n## 4. Fees\n\nNone.\n"
    chunks = chunk_text("doc", text, title="Product Sheet")
    assert _paths(chunks) == [("3. Interest Rates", "Table"), ("4. Fees",)]


def test_a_heading_at_the_same_level_replaces_its_sibling_in_the_path():
    text = "## A\n\nalpha.\n\n### A1\n\nalpha one.\n\n## B\n\nbeta.\n"
    chunks = chunk_text("doc", text)
    assert _paths(chunks) == [("A",), ("A", "A1"), ("B",)]


def test_chinese_legal_headings_give_chapter_section_and_article_in_the_path():
    chunks = chunk_text("law", LAW, title=LAW_TITLE)
    assert _paths(chunks) == [
        ("第二章 保险合同", "第一节 一般规定", "第十六条"),
        ("第二章 保险合同", "第一节 一般规定", "第十七条"),
        ("第二章 保险合同", "第二节 人身保险合同", "第三十一条"),
    ]


def test_a_new_section_heading_closes_the_previous_section_and_its_articles():
    chunks = chunk_text("law", LAW, title=LAW_TITLE)
    last = chunks[-1]
    assert "第一节 一般规定" not in last.section_path
    assert "第十七条" not in last.section_path


def test_part_heading_bian_sits_above_chapters():
    text = "第一编 总则\n第一章 基本规定\n第一条 为了规范保险活动，制定本法。\n第二编 分则\n第一条 本编另行编号。\n"
    chunks = chunk_text("law", text)
    assert _paths(chunks) == [
        ("第一编 总则", "第一章 基本规定", "第一条"),
        ("第二编 分则", "第一条"),
    ]


def test_legal_headings_with_arabic_numerals_and_full_width_space_are_recognised():
    text = "第3章　附则\n第12条　本办法自发布之日起施行。\n"
    chunks = chunk_text("rule", text)
    assert _paths(chunks) == [("第3章 附则", "第12条")]


def test_article_heading_keeps_the_text_on_its_line_as_body():
    chunks = chunk_text("law", LAW, title=LAW_TITLE)
    article = chunks[0]
    assert article.text.startswith("第十六条 订立保险合同，保险人就保险标的")
    # the article's following paragraph belongs to the same chunk
    assert article.text.endswith("保险人有权解除合同。")


def test_a_sentence_that_merely_mentions_an_article_is_not_a_heading():
    text = "## 说明\n\n第十六条规定了如实告知义务。\n第二章所列事项另有约定的除外。\n"
    chunks = chunk_text("doc", text)
    assert _paths(chunks) == [("说明",)]
    assert "第十六条规定了如实告知义务" in chunks[0].text


def test_text_before_any_heading_has_an_empty_path():
    chunks = chunk_text("doc", "Preamble text.\n\n## Body\n\nBody text.\n")
    assert _paths(chunks) == [(), ("Body",)]
    assert chunks[0].text == "Preamble text."


def test_document_title_heading_is_not_repeated_in_the_path():
    text = "# 海湾安享定期存款\n\n开篇说明。\n\n## 三、存款利率\n\n3年期年利率2.35%。\n"
    chunks = chunk_text("doc", text, title="海湾安享定期存款")
    assert _paths(chunks) == [(), ("三、存款利率",)]


def test_a_top_heading_that_is_not_the_title_stays_in_the_path():
    text = "# Appendix\n\n## Rates\n\nThree years: 2.35%.\n"
    chunks = chunk_text("doc", text, title="Product Sheet")
    assert _paths(chunks) == [("Appendix", "Rates")]


def test_split_sections_reports_the_heading_path_of_each_section():
    sections = split_sections(LAW, LAW_TITLE)
    assert [s.path[-1] for s in sections] == ["第十六条", "第十七条", "第三十一条"]


# ---- heading-only sections --------------------------------------------------------------------


def test_heading_only_sections_make_no_chunk():
    text = "# Title\n\n## Empty\n\n## Also empty\n### Still empty\n\n## Full\n\nSome text.\n"
    chunks = chunk_text("doc", text, title="Title")
    assert _paths(chunks) == [("Full",)]


def test_chapter_and_section_lines_alone_make_no_chunk():
    chunks = chunk_text("law", LAW, title=LAW_TITLE)
    assert all(c.section_path[-1].startswith("第") and c.section_path[-1].endswith("条") for c in chunks)
    assert not any(c.text.strip() in {"第二章 保险合同", "第一节 一般规定", "第二节 人身保险合同"} for c in chunks)


def test_a_bare_article_line_with_no_text_makes_no_chunk():
    text = "第一章 总则\n第一条 本条款适用于个人客户。\n第二条\n第三条 本条款自发布之日起施行。\n"
    chunks = chunk_text("law", text)
    assert [c.section_path[-1] for c in chunks] == ["第一条", "第三条"]


def test_a_bare_article_line_followed_by_its_text_keeps_that_text():
    text = "第二条\n本条款自发布之日起施行。\n"
    chunks = chunk_text("law", text)
    assert len(chunks) == 1
    assert chunks[0].section_path == ("第二条",)
    assert "本条款自发布之日起施行。" in chunks[0].text


# ---- splitting long sections ----------------------------------------------------------------


def _long_chinese_section() -> tuple[str, list[str]]:
    enders = "。！？"
    sentences = [
        f"第{i}句说明存款利率按照存入日挂牌利率执行" + "并且存期内不变" * (i % 4) + enders[i % 3] for i in range(1, 41)
    ]
    return "# 说明书\n\n## 三、存款利率\n\n" + "".join(sentences) + "\n", sentences


def test_a_long_section_is_split_into_several_chunks_within_max_chars():
    text, _ = _long_chinese_section()
    chunks = chunk_text("doc", text, title="说明书", max_chars=120)
    assert len(chunks) > 3
    assert all(len(c.text) <= 120 for c in chunks)
    assert all(c.section_path == ("三、存款利率",) for c in chunks)


def test_long_sections_split_between_sentences_never_inside_one():
    text, sentences = _long_chinese_section()
    chunks = chunk_text("doc", text, title="说明书", max_chars=120)
    last = len(chunks) - 1
    for n, chunk in enumerate(chunks):
        assert chunk.text[-1] in "。！？" or n == last, chunk.text
    # every sentence lies whole inside exactly one chunk
    for sentence in sentences:
        holders = [c for c in chunks if sentence in c.text]
        assert len(holders) == 1, sentence


def test_split_chunks_cover_the_section_in_reading_order_without_overlap():
    text, sentences = _long_chinese_section()
    chunks = chunk_text("doc", text, title="说明书", max_chars=120)
    assert all(a.end <= b.start for a, b in pairwise(chunks))
    joined = "".join(c.text for c in chunks)
    assert "".join(sentences) in joined


def test_english_sentences_split_at_full_stops():
    body = " ".join(f"Sentence {i} explains how the posted deposit rate applies." for i in range(30))
    chunks = chunk_text("doc", "## Rates\n\n" + body + "\n", max_chars=200)
    assert len(chunks) > 1
    assert all(len(c.text) <= 200 for c in chunks)
    assert all(c.text.endswith("applies.") for c in chunks)


def test_a_short_section_stays_one_chunk():
    chunks = chunk_text("doc", "## A\n\nOne. Two. Three.\n", max_chars=500)
    assert len(chunks) == 1


def test_a_run_on_sentence_over_twice_the_limit_is_cut_hard_at_max_chars():
    run_on = "利率" * 300  # 600 characters, no stop at all
    chunks = chunk_text("doc", "## 表\n\n" + run_on + "\n", max_chars=100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks).endswith(run_on)


# ---- offsets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("max_chars", [60, 120, 500])
def test_chunk_offsets_map_back_to_the_exact_source_text(max_chars):
    text, _ = _long_chinese_section()
    text = LAW + "\n" + text + "\n## Notes\n\n  Indented first line. Second line!\n"
    chunks = chunk_text("doc", text, title=LAW_TITLE, max_chars=max_chars)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()


def test_chunk_ids_are_numbered_per_document_in_order():
    chunks = chunk_text("abc123", LAW, title=LAW_TITLE)
    assert [c.id for c in chunks] == [f"abc123:{n:04d}" for n in range(len(chunks))]
    assert {c.document_id for c in chunks} == {"abc123"}


def test_section_label_joins_the_path_for_citations():
    chunk = chunk_text("law", LAW, title=LAW_TITLE)[0]
    assert chunk.section() == "第二章 保险合同 > 第一节 一般规定 > 第十六条"


def test_whitespace_only_text_makes_no_chunks():
    assert chunk_text("doc", "  \n\n\t\n") == []


def test_no_chunk_is_empty_or_padded():
    text = "## A\n\n\n   \n\nText A.\n\n\n## B\n\n   Text B.   \n"
    chunks = chunk_text("doc", text)
    assert [c.section_path for c in chunks] == [("A",), ("B",)]
    assert [c.text.split()[-2:] for c in chunks] == [["Text", "A."], ["Text", "B."]]
    assert all(re.fullmatch(r"\S(.|\n)*\S", c.text) for c in chunks)


def test_numbered_policy_clauses_are_headings_that_keep_their_line_as_body():
    text = "5.3 保险费自动垫交 您可以选择保险费自动垫交功能。\n5.4 宽限期 您应按时交纳保险费。\n"
    chunks = chunk_text("d", text)
    assert [c.section_path for c in chunks] == [("5.3 保险费自动垫交",), ("5.4 宽限期",)]
    assert chunks[0].text.startswith("5.3 保险费自动垫交 您可以选择")


def test_deeper_clause_numbers_nest_under_their_parent():
    text = "5 保单贷款\n5.1 贷款条件 您可以申请贷款。\n5.1.1 贷款金额 不超过现金价值的80%。\n"
    paths = [c.section_path for c in chunk_text("d", text)]
    assert ("5.1 贷款条件", "5.1.1 贷款金额") in paths


def test_a_decimal_number_starting_a_line_is_not_a_clause_heading():
    text = "## 利率\n年利率为\n2.35 % 按年计息。\n"
    assert [c.section_path for c in chunk_text("d", text)] == [("利率",)]


def test_english_chapters_sections_and_articles_make_a_section_path():
    text = "Chapter 2 Claims\nSection 3 Deadlines\nArticle 12. The insurer pays within 10 days.\n"
    (chunk,) = chunk_text("d", text)
    assert chunk.section_path == ("Chapter 2 Claims", "Section 3 Deadlines", "Article 12")
    assert "pays within 10 days" in chunk.text


# ---- real layouts: Word exports, Traditional Chinese PDFs ------------------------------------


def test_an_article_number_glued_to_its_text_is_a_heading_as_a_word_export_writes_it():
    text = "第五条投保人应当如实告知被保险人的健康状况。\n第六条本公司应当及时支付保险金。\n"
    chunks = chunk_text("clause", text)
    assert _paths(chunks) == [("第五条",), ("第六条",)]
    assert chunks[0].text.startswith("第五条投保人") and "本公司" not in chunks[0].text


def test_traditional_articles_with_spaced_numerals_and_names_in_brackets_are_headings():
    text = ("第三條【貨幣單位與匯率風險】\n本契約保險費之收取以美元為貨幣單位。\n"
            "【除外責任（二）】\n第二十二 條 被保險人因下列原因所致之疾病，本公司不負給付責任。\n"
            "一、被保險人之故意行為。\n"
            "【受益人之受益權】\n第 二 十 三 條 受益人故意致被保險人於死者，喪失其受益權。\n")
    chunks = chunk_text("policy", text)
    assert _paths(chunks) == [("第三條【貨幣單位與匯率風險】",), ("第二十二條【除外責任（二）】",),
                              ("第二十三條【受益人之受益權】",)]
    # the name line before an article opens that article's chunk; the item stays inside its article
    assert chunks[1].text.startswith("【除外責任（二）】") and chunks[1].text.endswith("一、被保險人之故意行為。")
    assert "【受益人之受益權】" not in chunks[1].text


def test_a_line_that_refers_to_an_article_or_item_by_number_stays_body():
    text = ("第八條【保險範圍】\n被保險人於本契約有效期間內身故者，本公司依\n"
            "第十九條、第二十條之約定給付保險金。\n第三十五條第二項約定為退還。\n第二款所列情形除外。\n")
    chunks = chunk_text("policy", text)
    assert _paths(chunks) == [("第八條【保險範圍】",)]
    assert chunks[0].text.endswith("第二款所列情形除外。")


def test_traditional_chapters_and_sections_nest_above_articles():
    text = "第一章 總則\n第一節 通則\n第一條 本辦法依保險法訂定之。\n第二章 契約\n第二條 契約自同意承保時生效。\n"
    assert _paths(chunk_text("rule", text)) == [("第一章 總則", "第一節 通則", "第一條"), ("第二章 契約", "第二條")]


def test_a_title_like_ordinal_line_outside_articles_is_a_section_but_an_item_inside_one_is_not():
    text = ("一、投保范围\n本保险接受十八至六十周岁的投保人。\n二、保险责任\n"
            "第一条 本公司承担下列保险责任：\n一、身故保险金\n二、全残保险金\n")
    chunks = chunk_text("sheet", text)
    assert _paths(chunks) == [("一、投保范围",), ("二、保险责任", "第一条")]
    assert chunks[1].text.endswith("二、全残保险金")


RATE_TABLE = ("第五条 保险费\n保险费按下表交纳：\n| 投保年龄 | 男性（元） | 女性（元） |\n| --- | --- | --- |\n"
              + "\n".join(f"| {age}岁 | {age * 11}。 | {age * 9} |" for age in range(18, 66))
              + "\n上表为每千元基本保险金额的年交保险费。")


def test_a_long_table_is_split_between_rows_and_every_chunk_of_rows_starts_with_its_header():
    chunks = chunk_text("doc", RATE_TABLE, max_chars=300)
    assert len(chunks) >= 3
    header = "| 投保年龄 | 男性（元） | 女性（元） |\n| --- | --- | --- |\n"
    assert header in chunks[0].text
    for chunk in chunks[1:]:
        assert chunk.text.startswith(header), chunk.text[:60]
        body = chunk.text[len(header):]
        assert RATE_TABLE[chunk.start:chunk.end] == body  # offsets are the rows' own
    for chunk in chunks:  # a row's "。" inside a cell never splits it
        for line in chunk.text.splitlines():
            assert not line.startswith("|") or line.endswith("|"), line
    assert all(c.section_path == ("第五条",) for c in chunks)
    assert "| 40岁 | 440。 | 360 |" in "".join(c.text for c in chunks)


def test_a_table_that_fits_keeps_one_header_and_text_after_a_table_gets_none():
    short = "| 存期 | 年利率 |\n| --- | --- |\n| 三年 | 2.35% |"
    (chunk,) = chunk_text("doc", short)
    assert chunk.text == short
    after = chunk_text("doc", RATE_TABLE + "\n" + "本公司按约定给付保险金，" * 30, max_chars=300)
    assert not after[-1].text.startswith("|")
