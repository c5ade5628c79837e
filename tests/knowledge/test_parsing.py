"""A file becomes text plus metadata, or a DocumentError that names the file and says what is wrong."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from knowledge.documents import Audience, DocumentKind
from knowledge.metadata import build_document, detect_language, document_id
from knowledge.parsing import DocumentError, parse_file

FRONT_MATTER_DOC = """\
---
title: 海湾安享定期存款产品说明书
kind: product
language: zh
version: "2026.1"
effective_date: 2026-01-01
expiry_date: 2027-06-30
audience: staff
products: [time-deposit, savings]
---

# 海湾安享定期存款（整存整取）

## 三、存款利率

3年期年利率为2.35%。
"""

GBK_TEXT = (
    "海湾安享定期存款是示例海湾银行面向个人客户提供的人民币整存整取定期储蓄存款产品。"
    "客户一次性存入本金，约定存期，到期一次性支取本金和利息。\n"
    "三年期年利率为百分之二点三五，存期内利率不变。\n"
)


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _load(path: Path):
    (parsed,) = parse_file(path)
    return parsed, build_document(parsed, str(path))


# ---- what a good file gives ------------------------------------------------------------------


def test_front_matter_becomes_document_metadata(tmp_path):
    path = _write(tmp_path, "deposit.md", FRONT_MATTER_DOC)
    _, doc = _load(path)
    assert doc.title == "海湾安享定期存款产品说明书"
    assert doc.kind is DocumentKind.PRODUCT
    assert doc.language == "zh"
    assert doc.version == "2026.1"
    assert doc.effective_date == date(2026, 1, 1)
    assert doc.expiry_date == date(2027, 6, 30)
    assert doc.audience is Audience.STAFF
    assert doc.products == ("time-deposit", "savings")
    assert doc.source == str(path)


def test_front_matter_is_removed_from_the_text(tmp_path):
    parsed, _ = _load(_write(tmp_path, "deposit.md", FRONT_MATTER_DOC))
    assert "kind: product" not in parsed.text
    assert parsed.text.lstrip().startswith("# 海湾安享定期存款（整存整取）")
    assert parsed.metadata["products"] == ["time-deposit", "savings"]


def test_without_front_matter_the_first_h1_is_the_title_and_defaults_apply(tmp_path):
    path = _write(tmp_path, "card.md", "Intro line.\n\n# Harbour Journey Credit Card\n\nAnnual fee CNY 200.\n")
    _, doc = _load(path)
    assert doc.title == "Harbour Journey Credit Card"
    assert doc.kind is DocumentKind.PRODUCT
    assert doc.audience is Audience.CUSTOMER
    assert doc.language == "en"
    assert doc.products == ()
    assert doc.effective_date is None and doc.expiry_date is None
    assert doc.id == document_id(str(path))


def test_without_front_matter_or_heading_the_file_name_is_the_title(tmp_path):
    _, doc = _load(_write(tmp_path, "branch_hours.txt", "Branches open 9:00 to 17:00.\n"))
    assert doc.title == "branch_hours"


def test_a_single_product_string_becomes_a_one_item_tuple(tmp_path):
    _, doc = _load(_write(tmp_path, "a.md", "---\nproducts: credit-card\n---\nText.\n"))
    assert doc.products == ("credit-card",)


def test_an_explicit_id_in_front_matter_is_used(tmp_path):
    _, doc = _load(_write(tmp_path, "a.md", "---\nid: td-2026\n---\nText.\n"))
    assert doc.id == "td-2026"


def test_kind_and_audience_are_case_insensitive(tmp_path):
    _, doc = _load(_write(tmp_path, "a.md", "---\nkind: FAQ\naudience: Staff\n---\nText.\n"))
    assert doc.kind is DocumentKind.FAQ
    assert doc.audience is Audience.STAFF


def test_language_is_detected_when_not_given(tmp_path):
    _, zh = _load(_write(tmp_path, "zh.md", "# 定期存款\n\n三年期年利率为2.35%，存期内利率不变。\n"))
    _, en = _load(_write(tmp_path, "en.md", "# Time deposit\n\nThe 3-year rate is 2.35%.\n"))
    assert (zh.language, en.language) == ("zh", "en")
    assert detect_language("Card 信用卡年费说明") == "zh"


def test_content_hash_is_the_sha256_of_the_raw_bytes(tmp_path):
    path = _write(tmp_path, "deposit.md", FRONT_MATTER_DOC)
    (parsed,) = parse_file(path)
    assert parsed.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_windows_line_endings_are_normalised(tmp_path):
    path = _write(tmp_path, "crlf.md", b"---\r\ntitle: CRLF doc\r\n---\r\n# CRLF doc\r\n\r\nLine one.\r\nLine two.\r\n")
    parsed, doc = _load(path)
    assert "\r" not in parsed.text
    assert "Line one.\nLine two." in parsed.text
    assert doc.title == "CRLF doc"


def test_utf8_with_bom_is_read_without_the_bom(tmp_path):
    path = _write(tmp_path, "bom.md", "\ufeff---\ntitle: 带BOM的文件\n---\n正文。\n".encode())
    parsed, doc = _load(path)
    assert doc.title == "带BOM的文件"
    assert not parsed.text.startswith("\ufeff")


def test_gbk_encoded_chinese_text_file_is_decoded_correctly(tmp_path):
    path = _write(tmp_path, "legacy.txt", GBK_TEXT.encode("gbk"))
    parsed, doc = _load(path)
    assert parsed.text == GBK_TEXT
    assert doc.language == "zh"


def test_a_short_gbk_encoded_line_is_decoded_correctly(tmp_path):
    path = _write(tmp_path, "short.txt", "三年期利率为百分之二点三五。".encode("gbk"))
    assert parse_file(path)[0].text == "三年期利率为百分之二点三五。"


def test_front_matter_is_only_read_from_markdown(tmp_path):
    (parsed,) = parse_file(_write(tmp_path, "notes.txt", "---\ntitle: not metadata\n---\nBody.\n"))
    assert parsed.metadata == {}
    assert "title: not metadata" in parsed.text


# ---- what a bad file gives --------------------------------------------------------------------


BAD_FILES = {
    "empty": ("empty.md", b"", "no text"),
    "whitespace only": ("blank.txt", b"  \n\n\t\n", "no text"),
    "front matter only": ("meta_only.md", b"---\ntitle: x\n---\n\n", "no text"),
    "binary junk": ("junk.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "unknown extension": ("rates.xlsx", b"PK\x03\x04 zip", "unsupported file type .xlsx"),
    "no extension": ("README", b"plain text", "unsupported file type (none)"),
    "invalid front matter": ("bad_yaml.md", b"---\ntitle: [unclosed\n---\nBody.\n", "not valid YAML"),
    "front matter not a mapping": ("list.md", b"---\n- a\n- b\n---\nBody.\n", "YAML mapping"),
    "bad date": ("bad_date.md", b"---\neffective_date: next tuesday\n---\nBody.\n", "effective_date"),
    "bad expiry date": ("bad_expiry.md", b"---\nexpiry_date: 31/12/2026\n---\nBody.\n", "expiry_date"),
    "unknown kind": ("bad_kind.md", b"---\nkind: brochure\n---\nBody.\n", "unknown document kind 'brochure'"),
    "unknown audience": ("bad_aud.md", b"---\naudience: public\n---\nBody.\n", "unknown audience 'public'"),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_raises_document_error_naming_the_file(tmp_path, case):
    name, content, reason = case
    path = _write(tmp_path, name, content)
    with pytest.raises(DocumentError) as err:
        _load(path)
    message = str(err.value)
    assert str(path) in message
    assert reason in message


def test_an_impossible_calendar_date_raises_document_error_naming_the_file(tmp_path):
    path = _write(tmp_path, "bad_month.md", "---\neffective_date: 2026-13-45\n---\nBody.\n")
    with pytest.raises(DocumentError, match="bad_month.md"):
        _load(path)


def test_products_that_are_not_a_list_raise_document_error(tmp_path):
    path = _write(tmp_path, "bad_products.md", "---\nproducts: 5\n---\nBody.\n")
    with pytest.raises(DocumentError, match="bad_products.md"):
        _load(path)


def test_a_date_in_the_file_name_is_the_version_and_effective_date_when_front_matter_is_silent(tmp_path):
    path = _write(tmp_path, "经济法_反洗钱法(2024-11-08).md", "# 中华人民共和国反洗钱法\n\n第一条 为了预防洗钱活动……\n")
    _, doc = _load(path)
    assert doc.effective_date == date(2024, 11, 8) and doc.version == "2024-11-08"
    assert doc.title == "中华人民共和国反洗钱法"


def test_front_matter_dates_win_over_the_file_name(tmp_path):
    path = _write(tmp_path, "aml(2024-11-08).md", "---\neffective_date: 2025-01-01\n---\n# AML\n\nText.\n")
    assert _load(path)[1].effective_date == date(2025, 1, 1)
