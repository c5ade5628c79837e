"""Word's automatic numbering: article and clause numbers that live only in numbering.xml come back into
the text, so the chunker sees 第一条 and a citation can name it. The documents are built here with
python-docx, their numbering definitions written as Word writes them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document as WordDocument
from docx.oxml import parse_xml

from knowledge.chunking import chunk_text
from knowledge.formats.docx_numbering import format_number
from knowledge.parsing import parse_file

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ARTICLES = f"""<w:abstractNum {W} w:abstractNumId="90">
  <w:multiLevelType w:val="multilevel"/>
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="第%1条"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:isLgl/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2.%3"/></w:lvl>
  <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
</w:abstractNum>"""


def _numbered_docx(paragraphs: list[tuple[str, int | None]], start_override: int | None = None) -> bytes:
    doc = WordDocument()
    numbering = doc.part.numbering_part.element
    numbering.insert(0, parse_xml(ARTICLES))  # abstract definitions come before the w:num elements
    override = (f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start_override}"/></w:lvlOverride>'
                if start_override else "")
    numbering.append(parse_xml(f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/>{override}</w:num>'))
    doc.add_paragraph("个人意外伤害保险条款", style="Title")
    for text, level in paragraphs:
        paragraph = doc.add_paragraph(text)
        if level is not None:
            ppr = paragraph._p.get_or_add_pPr()
            ppr.append(parse_xml(f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _text(tmp_path: Path, raw: bytes) -> list[str]:
    path = tmp_path / "policy.docx"
    path.write_bytes(raw)
    (parsed,) = parse_file(path)
    return parsed.text.split("\n")


POLICY = [
    ("投保范围 凡年满18周岁的人士，可作为被保险人。", 0),
    ("本合同由保险单及其他书面协议构成。", None),
    ("保险责任 在本合同保险期间内，本公司承担下列保险责任：", 0),
    ("身故保险金", 1),
    ("伤残保险金", 1),
    ("伤残等级按《人身保险伤残评定标准》确定。", 2),
    ("列明的医院", 3),
    ("责任免除 因下列情形之一导致被保险人身故的，本公司不承担给付保险金的责任：", 0),
    ("故意犯罪", 1),
]


def test_article_and_clause_numbers_from_word_numbering_come_back_into_the_text(tmp_path):
    lines = _text(tmp_path, _numbered_docx(POLICY))
    assert lines == [
        "# 个人意外伤害保险条款",
        "第一条 投保范围 凡年满18周岁的人士，可作为被保险人。",
        "本合同由保险单及其他书面协议构成。",
        "第二条 保险责任 在本合同保险期间内，本公司承担下列保险责任：",
        "（一） 身故保险金",
        "（二） 伤残保险金",
        "2.2.1 伤残等级按《人身保险伤残评定标准》确定。",  # isLgl: Arabic digits for every level
        "列明的医院",  # a bullet level draws no number
        "第三条 责任免除 因下列情形之一导致被保险人身故的，本公司不承担给付保险金的责任：",
        "（一） 故意犯罪",  # a new article restarts its clauses
    ]


def test_numbered_articles_become_the_sections_citations_name(tmp_path):
    text = "\n".join(_text(tmp_path, _numbered_docx(POLICY)))
    paths = {c.section_path for c in chunk_text("policy", text, title="个人意外伤害保险条款")}
    assert {("第一条",), ("第二条",), ("第三条",)} <= {p[:1] for p in paths}


def test_a_start_override_restarts_the_list_where_the_document_says(tmp_path):
    lines = _text(tmp_path, _numbered_docx([("犹豫期", 0), ("保险期间", 0)], start_override=5))
    assert lines[1:] == ["第五条 犹豫期", "第六条 保险期间"]


def test_the_built_in_list_number_style_numbers_its_paragraphs(tmp_path):
    doc = WordDocument()
    for text in ("携带有效身份证件", "填写挂失申请书"):
        doc.add_paragraph(text, style="List Number")
    buffer = io.BytesIO()
    doc.save(buffer)
    assert _text(tmp_path, buffer.getvalue()) == ["1. 携带有效身份证件", "2. 填写挂失申请书"]


@pytest.mark.parametrize(("n", "fmt", "expected"), [
    (23, "chineseCounting", "二十三"), (11, "chineseCountingThousand", "十一"), (3, "chineseLegalSimplified", "叁"),
    (2, "ideographTraditional", "乙"), (4, "decimalEnclosedCircle", "④"), (28, "lowerLetter", "bb"),
    (14, "upperRoman", "XIV"), (7, "decimalZero", "07"), (12, "decimalFullWidth", "１２"), (9, "decimal", "9"),
])
def test_number_formats_render_as_word_draws_them(n, fmt, expected):
    assert format_number(n, fmt) == expected
