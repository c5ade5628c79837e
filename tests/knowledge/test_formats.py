"""PDF, Word and HTML files become text with Markdown headings and page offsets, or a DocumentError that
names the file and says what to do. Every fixture is generated here: reportlab PDFs (with a built-in
Chinese CID font, so no font file), python-docx documents and hand-written HTML."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from docx import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from knowledge.formats import pdf as pdf_format
from knowledge.formats.pdf import clean_page_text
from knowledge.metadata import build_document
from knowledge.parsing import DocumentError, ParsedFile, parse_file

CJK_FONT = "STSong-Light"

# A clause document whose articles run across a page break. The lines of 第一条 are broken at the
# margin as a PDF producer breaks them; the page numbers at the bottom are extraction noise.
CLAUSE_PAGES = [
    [
        "第一章 总则",
        "第一条 本合同由保险单或其他保险凭证、投保单、与本合同有关的投保文件、合",
        "法有效的声明、批注、附贴批单及其他书面协议构成。",
        "第二条 投保人在签收本合同次日起十五日内享有犹豫期，可以书面申请解除合同。",
        "- 1 -",
    ],
    [
        "第三条 在本合同保险期间内，被保险人身故的，本公司按基本保险金额给付身故保险金。",
        "第 2 页",
    ],
]

ENGLISH_PAGES = [
    [
        "Harbour Journey Credit Card - Terms",
        "The primary card annual fee is CNY 200.",
        "The fee is waived after six purchases in a card year.",
    ]
]


# ---- fixture builders --------------------------------------------------------------------------


def _pdf(pages: list[list[str]], *, title: str | None = None, font: str = CJK_FONT) -> bytes:
    if font == CJK_FONT:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        pdf.setFont(font, 11)
        for n, line in enumerate(lines):
            pdf.drawString(50, 790 - 18 * n, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _scanned_pdf(pages: int = 2) -> bytes:
    """What a scanner produces: every page one picture, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    scan = Image.new("L", (400, 560), 255)
    draw = ImageDraw.Draw(scan)
    for y in range(40, 520, 24):
        draw.rectangle((30, y, 370, y + 10), fill=40)  # lines of "print"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for _ in range(pages):
        pdf.rect(20, 20, 555, 800)
        pdf.drawImage(ImageReader(scan), 50, 100, width=400, height=560)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _encrypt(raw: bytes, user_password: str, owner_password: str, algorithm: str = "RC4-128") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _docx(*, title: str | None = "海湾守护定期寿险条款") -> bytes:
    doc = WordDocument()
    if title is not None:
        doc.core_properties.title = title
    doc.add_heading("海湾守护定期寿险条款", 0)  # level 0 is the Title style
    doc.add_heading("第一章 总则", 1)
    doc.add_paragraph("本合同由保险单、投保单及其他书面协议构成。")
    doc.add_heading("第二条 犹豫期", 2)
    doc.add_paragraph("自您签收本合同次日起，有15日的犹豫期。")
    table = doc.add_table(rows=2, cols=3)
    for col, text in enumerate(("险种", "保险期间", "犹豫期")):
        table.cell(0, col).text = text
    for col, text in enumerate(("定期寿险", "20年", "15日")):
        table.cell(1, col).text = text
    doc.add_paragraph("以上期间均自合同生效日起算。")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


GBK_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="gbk"><title>个人存款管理办法</title>
<script>var tracking = "不应出现的脚本";</script><style>p { color: red }</style></head>
<body>
<nav><a href="/">首页</a> <a href="/news">新闻中心</a></nav>
<h1>个人存款管理办法</h1>
<h2>第一章 总则</h2>
<p>为规范个人存款业务，保护存款人合法权益，
根据有关法律法规，制定本办法。</p>
<ul><li>存款自愿</li><li>取款自由</li></ul>
<table><tr><th>存期</th><th>年利率</th></tr><tr><td>三年</td><td>2.35%</td></tr></table>
<footer>版权所有 示例海湾银行</footer>
</body></html>
"""


def _write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def _parse(folder: Path, name: str, content: bytes) -> ParsedFile:
    (parsed,) = parse_file(_write(folder, name, content))
    return parsed


def _lines(text: str) -> list[str]:
    return text.split("\n")


# ---- PDF ---------------------------------------------------------------------------------------


def test_a_chinese_clause_pdf_gives_its_articles_with_the_offset_of_each_page(tmp_path):
    parsed = _parse(tmp_path, "clauses.pdf", _pdf(CLAUSE_PAGES))
    text = parsed.text
    for article in ("第一条", "第二条", "第三条"):
        assert article in text
    assert len(parsed.page_starts) == 2 and parsed.page_starts[0] == 0
    assert text.index("第二条") < parsed.page_starts[1] <= text.index("第三条")
    assert parsed.page_at(text.index("第三条")) == 2
    assert parsed.page_at(text.index("第一条")) == 1
    assert text[parsed.page_starts[1]:].startswith("第三条")


def test_pdf_page_number_lines_are_removed_and_margin_broken_chinese_lines_joined(tmp_path):
    lines = _lines(_parse(tmp_path, "clauses.pdf", _pdf(CLAUSE_PAGES)).text)
    assert lines == [
        "第一章 总则",
        "第一条 本合同由保险单或其他保险凭证、投保单、与本合同有关的投保文件、合"
        "法有效的声明、批注、附贴批单及其他书面协议构成。",
        "第二条 投保人在签收本合同次日起十五日内享有犹豫期，可以书面申请解除合同。",
        "第三条 在本合同保险期间内，被保险人身故的，本公司按基本保险金额给付身故保险金。",
    ]


def test_an_english_pdf_keeps_its_lines_and_is_detected_as_english(tmp_path):
    path = _write(tmp_path, "card.pdf", _pdf(ENGLISH_PAGES, font="Helvetica"))
    (parsed,) = parse_file(path)
    assert _lines(parsed.text) == ENGLISH_PAGES[0]
    assert parsed.page_starts == (0,)
    assert build_document(parsed, str(path)).language == "en"


def test_pdf_content_hash_is_the_sha256_of_the_file(tmp_path):
    raw = _pdf(CLAUSE_PAGES)
    assert _parse(tmp_path, "clauses.pdf", raw).content_hash == hashlib.sha256(raw).hexdigest()


def test_the_pdf_info_title_becomes_the_title(tmp_path):
    parsed = _parse(tmp_path, "clauses.pdf", _pdf(CLAUSE_PAGES, title="海湾守护定期寿险条款"))
    assert parsed.metadata["title"] == "海湾守护定期寿险条款"


TRADITIONAL_FONT = "MSung-Light"  # Adobe-CNS1: Traditional Chinese, built into reportlab
# Two pages of a Taiwanese policy as its publisher prints them: the product's name and the page number on
# top of every page, the article's name in 【】 on the line before it, the article number spaced out.
TAIWAN_PAGES = [
    ["南山人壽海灣終身保險（定期給付型）_2BTL", "第 7 頁，共 18 頁",
     "第三條【契約撤銷權】",
     "要保人於保險單送達的翌日起算十日內，得以書面檢同保險單向本公司撤銷本契約。",
     "【寬限期間】",
     "第 四 條 分期繳納的第二期以後保險費，自催告到達翌日起三十日內為寬限期間。"],
    ["南山人壽海灣終身保險（定期給付型）_2BTL", "第 8 頁，共 18 頁",
     "第五條【保險單借款】",
     "要保人繳足保險費累積達有保單價值準備金時，得申請保險單借款。"],
]
CODE_HEADER_PAGES = [
    ["第 3 頁，共 20 頁         銷售日期：113 年 7 月 1 日", "【APKTPL】-8/19",
     "第八條【保險範圍】", "被保險人於本契約有效期間內身故者，本公司給付身故保險金。"],
    ["第 4 頁，共 20 頁         銷售日期：113 年 7 月 1 日", "【APKTPL】-9/19",
     "第九條【寬限期間】", "逾寬限期間仍未交付者，本契約自寬限期間終了翌日起停止效力。"],
]


def _traditional_pdf(pages: list[list[str]]) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont(TRADITIONAL_FONT))
    return _pdf(pages, font=TRADITIONAL_FONT)


def test_a_running_product_name_and_page_numbers_leave_the_text_and_the_name_becomes_the_title(tmp_path):
    from knowledge.chunking import chunk_text

    parsed = _parse(tmp_path, "618.pdf", _traditional_pdf(TAIWAN_PAGES))
    assert "頁" not in parsed.text and "南山人壽" not in parsed.text, parsed.text
    assert parsed.metadata == {"title": "南山人壽海灣終身保險（定期給付型）", "product_code": "2BTL"}
    document = build_document(parsed, "618.pdf")
    assert document.title == "南山人壽海灣終身保險（定期給付型）" and document.products == ("2BTL",)
    paths = [c.section_path for c in chunk_text(document.id, parsed.text, document.title)]
    assert paths == [("第三條【契約撤銷權】",), ("第四條【寬限期間】",), ("第五條【保險單借款】",)]


def test_a_product_code_header_with_the_page_and_a_sales_date_header_are_dropped(tmp_path):
    parsed = _parse(tmp_path, "110.pdf", _traditional_pdf(CODE_HEADER_PAGES))
    assert _lines(parsed.text) == ["第八條【保險範圍】", "被保險人於本契約有效期間內身故者，本公司給付身故保險金。",
                                   "第九條【寬限期間】", "逾寬限期間仍未交付者，本契約自寬限期間終了翌日起停止效力。"]
    document = build_document(parsed, "110.pdf")
    assert document.title == "【APKTPL】" and document.products == ("APKTPL",)  # no better name on these pages


JUNK_TITLES = {
    "word export": "Microsoft Word - 条款2026.doc",
    "reportlab default": "untitled",
    "file name": "scan_0042.pdf",
    "blank": "   ",
}


@pytest.mark.parametrize("title", JUNK_TITLES.values(), ids=JUNK_TITLES.keys())
def test_a_junk_pdf_title_is_left_out(tmp_path, title):
    parsed = _parse(tmp_path, "clauses.pdf", _pdf(CLAUSE_PAGES, title=title))
    assert "title" not in parsed.metadata


PAGE_REPAIRS = {
    "dash page number": ("正文第一行。\n- 3 -", "正文第一行。"),
    "chinese page number": ("第 3 页\n正文第一行。", "正文第一行。"),
    "page x of y": ("正文第一行。\n第3页 共12页", "正文第一行。"),
    "bare number at the bottom": ("正文第一行。\n12", "正文第一行。"),
    "bare number inside the page is content": ("年利率（%）\n3\n正文。", "年利率（%）\n3\n正文。"),
    "margin break is joined": ("投保人应当如实告知被保险人的健康状况及其他重要事\n项，否则本公司有权解除合同。",
                               "投保人应当如实告知被保险人的健康状况及其他重要事项，否则本公司有权解除合同。"),
    "break after a comma is joined": ("本公司按基本保险金额给付身故保险金，\n本合同随即终止。",
                                      "本公司按基本保险金额给付身故保险金，本合同随即终止。"),
    "sentence end is kept": ("本合同自本公司同意承保时成立。\n投保人应当按时交纳保险费。",
                             "本合同自本公司同意承保时成立。\n投保人应当按时交纳保险费。"),
    "article heading is never joined": ("投保人应当如实告知被保险人的健康状况及其他重要事\n第五条 犹豫期",
                                        "投保人应当如实告知被保险人的健康状况及其他重要事\n第五条 犹豫期"),
    "numbered heading is never joined": ("投保人应当如实告知被保险人的健康状况及其他重要事\n一、保险责任",
                                         "投保人应当如实告知被保险人的健康状况及其他重要事\n一、保险责任"),
    "decimal heading is never joined": ("投保人应当如实告知被保险人的健康状况及其他重要事\n5.3 犹豫期",
                                        "投保人应当如实告知被保险人的健康状况及其他重要事\n5.3 犹豫期"),
    "a chapter line keeps its own line": ("第二章 保险责任和保险期间的约定事项\n在本合同保险期间内本公司承担",
                                          "第二章 保险责任和保险期间的约定事项\n在本合同保险期间内本公司承担"),
    "a short title line is not glued to the body": ("示例海湾银行\n个人定期存款产品说明书的全部内容如下所述",
                                                    "示例海湾银行\n个人定期存款产品说明书的全部内容如下所述"),
    "english lines are left alone": ("The fee is waived after six\npurchases a year.",
                                     "The fee is waived after six\npurchases a year."),
}


@pytest.mark.parametrize("case", PAGE_REPAIRS.values(), ids=PAGE_REPAIRS.keys())
def test_pdf_page_text_is_repaired_conservatively(case):
    extracted, repaired = case
    assert clean_page_text(extracted) == repaired


def test_a_pdf_with_only_an_owner_password_opens_like_in_any_viewer(tmp_path):
    parsed = _parse(tmp_path, "protected.pdf", _encrypt(_pdf(CLAUSE_PAGES), "", "owner-secret"))
    assert "第三条" in parsed.text and len(parsed.page_starts) == 2


def test_an_aes_pdf_with_only_an_owner_password_opens_when_cryptography_is_installed(tmp_path):
    pytest.importorskip("cryptography")
    parsed = _parse(tmp_path, "aes.pdf", _encrypt(_pdf(CLAUSE_PAGES), "", "owner", algorithm="AES-256"))
    assert "第三条" in parsed.text


def test_the_page_limit_stops_a_huge_pdf_before_extracting_it(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_format, "MAX_PDF_PAGES", 1)
    path = _write(tmp_path, "huge.pdf", _pdf(CLAUSE_PAGES))
    with pytest.raises(DocumentError, match=r"2 pages is over the 1-page limit.*split it"):
        parse_file(path)


BAD_PDFS = {
    "user password": ("locked.pdf", lambda: _encrypt(_pdf(CLAUSE_PAGES), "user-secret", "owner-secret"),
                      "password-protected"),
    "scanned images": ("scanned.pdf", _scanned_pdf, "scanned image PDF without a text layer"),
    "truncated": ("truncated.pdf", lambda: _pdf(CLAUSE_PAGES)[:1500], "not a readable PDF"),
    "corrupt body": ("corrupt.pdf", lambda: b"%PDF-1.4\n" + os.urandom(4000), "not a readable PDF"),
    "random junk": ("junk.pdf", lambda: os.urandom(4000), "not a readable PDF"),
    "zero pages": ("blank.pdf", lambda: _pdf([]), "no pages"),
}


@pytest.mark.parametrize("case", BAD_PDFS.values(), ids=BAD_PDFS.keys())
def test_an_unusable_pdf_raises_document_error_naming_the_file(tmp_path, case):
    name, build, reason = case
    path = _write(tmp_path, name, build())
    with pytest.raises(DocumentError) as err:
        parse_file(path)
    assert str(path) in str(err.value)
    assert reason in str(err.value)


def test_a_scan_ocr_reads_nothing_on_is_refused_with_what_to_do(tmp_path):
    """Bars of "print" with no letters: OCR runs on both pages and finds no text."""
    with pytest.raises(DocumentError, match="OCR read no text either.*clearer scan"):
        parse_file(_write(tmp_path, "scanned.pdf", _scanned_pdf()))


def test_an_aes_pdf_without_the_cryptography_package_says_what_to_install(tmp_path, monkeypatch):
    from pypdf.errors import DependencyError

    def decrypt_without_cryptography(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", decrypt_without_cryptography)
    path = _write(tmp_path, "aes.pdf", _encrypt(_pdf(CLAUSE_PAGES), "", "owner-secret"))
    with pytest.raises(DocumentError, match="pip install cryptography"):
        parse_file(path)


# ---- Word --------------------------------------------------------------------------------------


def test_a_docx_gives_headings_as_markdown_in_body_order_with_its_table(tmp_path):
    parsed = _parse(tmp_path, "clauses.docx", _docx())
    assert _lines(parsed.text) == [
        "# 海湾守护定期寿险条款",
        "# 第一章 总则",
        "本合同由保险单、投保单及其他书面协议构成。",
        "## 第二条 犹豫期",
        "自您签收本合同次日起，有15日的犹豫期。",
        "| 险种 | 保险期间 | 犹豫期 |",
        "| --- | --- | --- |",
        "| 定期寿险 | 20年 | 15日 |",
        "以上期间均自合同生效日起算。",
    ]
    assert parsed.metadata == {"title": "海湾守护定期寿险条款"}


def test_a_docx_without_a_title_property_leaves_the_title_to_its_first_heading(tmp_path):
    path = _write(tmp_path, "untitled.docx", _docx(title=None))
    (parsed,) = parse_file(path)
    assert "title" not in parsed.metadata
    assert build_document(parsed, str(path)).title == "海湾守护定期寿险条款"


def test_a_custom_style_based_on_a_heading_is_a_heading_and_a_table_of_contents_is_skipped(tmp_path):
    doc = WordDocument()
    clause_style = doc.styles.add_style("条款标题", WD_STYLE_TYPE.PARAGRAPH)
    clause_style.base_style = doc.styles["Heading 2"]
    toc_style = doc.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    doc.add_paragraph("第一章 总则\t3", style=toc_style)
    doc.add_paragraph("第五条 犹豫期", style=clause_style)
    doc.add_paragraph("犹豫期为15日。")
    buffer = io.BytesIO()
    doc.save(buffer)
    assert _lines(_parse(tmp_path, "custom.docx", buffer.getvalue()).text) == ["## 第五条 犹豫期", "犹豫期为15日。"]


def test_a_horizontally_merged_table_cell_appears_once_and_the_short_row_is_padded(tmp_path):
    doc = WordDocument()
    table = doc.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "保险期间"
    table.cell(0, 2).text = "20年"
    for col, text in enumerate(("定期寿险", "终身寿险", "A|B")):
        table.cell(1, col).text = text
    buffer = io.BytesIO()
    doc.save(buffer)
    assert _lines(_parse(tmp_path, "merged.docx", buffer.getvalue()).text) == [
        "| 保险期间 | 20年 |  |", "| --- | --- | --- |", "| 定期寿险 | 终身寿险 | A\\|B |"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the start of an old binary Word .doc


def _empty_docx() -> bytes:
    buffer = io.BytesIO()
    WordDocument().save(buffer)
    return buffer.getvalue()


BAD_DOCX = {
    "corrupt zip": ("corrupt.docx", lambda: b"PK\x03\x04" + os.urandom(2000), "not a readable .docx"),
    "truncated": ("truncated.docx", lambda: _docx()[:3000], "not a readable .docx"),
    "old binary doc renamed": ("old.docx", lambda: OLE_MAGIC + bytes(600), "save it as .docx"),
    "a zip that is no document": ("photos.docx", lambda: _zip({"a.txt": b"hello"}), "not a readable .docx"),
    "no text": ("empty.docx", _empty_docx, "no text"),
}


@pytest.mark.parametrize("case", BAD_DOCX.values(), ids=BAD_DOCX.keys())
def test_an_unusable_docx_raises_document_error_naming_the_file(tmp_path, case):
    name, build, reason = case
    path = _write(tmp_path, name, build())
    with pytest.raises(DocumentError) as err:
        parse_file(path)
    assert str(path) in str(err.value)
    assert reason in str(err.value)


# ---- HTML --------------------------------------------------------------------------------------


# A policy page as Word's "Save as web page" writes it: no <title>, no <h*>, bold runs for headings.
WORD_EXPORT = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8"><style>p.MsoNormal {margin:0}</style></head>
<body lang=ZH-CN><div class=WordSection1>
<p class=MsoNormal align=center><b><span style='font-size:16pt'>海湾个人重大疾病保险（A款）条款</span></b></p>
<p class=MsoNormal><b><span>保险责任</span></b></p>
<p class=MsoNormal><b><span>第五条</span></b><span>在本合同保险期间内，本公司承担下列保险责任：</span></p>
<p class=MsoNormal><span>一、重大疾病保险金</span></p>
<p class=MsoNormal><b><span>第六条</span></b><span lang=EN-US>&nbsp;</span><span>因下列情形之一导致被保险人发生重大疾病的，
本公司不承担给付保险金的责任。</span></p>
<p class=MsoNormal><span>本公司<b>不承担</b>给付责任的情形以本条为准。</span></p>
</div></body></html>"""


def test_a_word_export_gives_its_bold_headings_its_title_and_one_section_per_article(tmp_path):
    from knowledge.chunking import chunk_text

    parsed = _parse(tmp_path, "clause.html", WORD_EXPORT.encode("utf-8"))
    assert _lines(parsed.text)[:3] == ["## 海湾个人重大疾病保险（A款）条款", "## 保险责任",
                                       "第五条在本合同保险期间内，本公司承担下列保险责任："]
    document = build_document(parsed, "clause.html")
    assert document.title == "海湾个人重大疾病保险（A款）条款"  # from the content, not "clause"
    chunks = chunk_text(document.id, parsed.text, document.title)
    assert [c.section_path for c in chunks] == [("保险责任", "第五条"), ("保险责任", "第六条")]
    assert chunks[0].text.endswith("一、重大疾病保险金") and "第六条" not in chunks[0].text
    assert "以本条为准" in chunks[1].text  # a paragraph with a bold word in it is body text


def test_a_gbk_page_is_decoded_and_only_its_content_kept(tmp_path):
    parsed = _parse(tmp_path, "rules.html", GBK_PAGE.encode("gbk"))
    assert _lines(parsed.text) == [
        "# 个人存款管理办法",
        "## 第一章 总则",
        "为规范个人存款业务，保护存款人合法权益，根据有关法律法规，制定本办法。",
        "存款自愿",
        "取款自由",
        "| 存期 | 年利率 |",
        "| --- | --- |",
        "| 三年 | 2.35% |",
    ]
    assert parsed.metadata == {"title": "个人存款管理办法"}
    for chrome in ("不应出现的脚本", "color", "首页", "新闻中心", "版权所有"):
        assert chrome not in parsed.text


def test_a_gb2312_http_equiv_declaration_is_honoured(tmp_path):
    declaration = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    page = GBK_PAGE.replace('<meta charset="gbk">', declaration)
    assert "## 第一章 总则" in _parse(tmp_path, "rules.htm", page.encode("gb2312")).text


def test_a_utf8_page_that_still_declares_gbk_is_read_as_utf8(tmp_path):
    assert "## 第一章 总则" in _parse(tmp_path, "resaved.html", GBK_PAGE.encode("utf-8")).text


def test_without_a_title_element_the_first_h1_is_the_title(tmp_path):
    page = "<html><body><h1>Fee schedule</h1><p>Annual fee CNY 200.</p></body></html>"
    parsed = _parse(tmp_path, "fees.html", page.encode())
    assert parsed.metadata == {"title": "Fee schedule"}
    assert parsed.text == "# Fee schedule\nAnnual fee CNY 200."


def test_an_article_header_is_kept_but_hidden_elements_are_not(tmp_path):
    page = (
        "<body><header>Site banner</header><article><header><h1>Card terms</h1></header>"
        "<p>Fee CNY 200.</p><div hidden>draft text</div><p style='display: none'>old rate</p></article></body>"
    )
    assert _parse(tmp_path, "terms.html", page.encode()).text == "# Card terms\nFee CNY 200."


BAD_HTML = {
    "empty body": ("empty.html", b"<html><head><title>Empty</title></head><body>  </body></html>"),
    "only scripts and navigation": ("app.html", b"<body><nav>Home</nav><script>render()</script></body>"),
}


@pytest.mark.parametrize("case", BAD_HTML.values(), ids=BAD_HTML.keys())
def test_a_page_without_text_raises_document_error_naming_the_file(tmp_path, case):
    name, content = case
    path = _write(tmp_path, name, content)
    with pytest.raises(DocumentError) as err:
        parse_file(path)
    assert str(path) in str(err.value)
    assert "no readable text" in str(err.value)


# ---- end to end: a folder of mixed files into a knowledge base ---------------------------------


@pytest.fixture(scope="module")
def embedder():
    from knowledge.embedding import E5Embeddings

    return E5Embeddings()


def test_a_mixed_folder_ingests_the_good_files_and_reports_each_bad_one(tmp_path, embedder):
    from knowledge.store import KnowledgeBase

    folder = tmp_path / "docs"
    folder.mkdir()
    _write(folder, "clauses.pdf", _pdf(CLAUSE_PAGES, title="海湾守护定期寿险条款"))
    _write(folder, "clauses.docx", _docx())
    _write(folder, "rules.html", GBK_PAGE.encode("gbk"))
    _write(folder, "corrupt.pdf", _pdf(CLAUSE_PAGES)[:1500])
    _write(folder, "locked.pdf", _encrypt(_pdf(CLAUSE_PAGES), "user-secret", "owner-secret"))
    _write(folder, "scanned.pdf", _scanned_pdf())

    kb = KnowledgeBase(tmp_path / "kb", embedder=embedder)
    report = kb.ingest([folder])

    assert sorted(Path(p).name for p in report.added) == ["clauses.docx", "clauses.pdf", "rules.html"]
    failed = {Path(p).name: reason for p, reason in report.failed}
    assert set(failed) == {"corrupt.pdf", "locked.pdf", "scanned.pdf"}
    assert "not a readable PDF" in failed["corrupt.pdf"]
    assert "password-protected" in failed["locked.pdf"]
    assert "OCR" in failed["scanned.pdf"]

    snapshot = kb.snapshot()
    by_file = {Path(d.source).name: d for d in snapshot.documents.values()}
    assert by_file["clauses.pdf"].title == "海湾守护定期寿险条款"
    assert by_file["rules.html"].title == "个人存款管理办法"
    pdf_chunks = [c for c in snapshot.chunks if c.document_id == by_file["clauses.pdf"].id]
    pages = {c.page for c in pdf_chunks}
    assert pages == {1, 2}
    assert all(c.page == 2 for c in pdf_chunks if "被保险人身故" in c.text)
    assert all(c.page is None for c in snapshot.chunks if c.document_id != by_file["clauses.pdf"].id)
    docx_paths = {c.section_path for c in snapshot.chunks if c.document_id == by_file["clauses.docx"].id}
    assert ("第一章 总则", "第二条 犹豫期") in docx_paths
