"""Document metadata from front matter, with defaults a bank's documents can live with.

An upload for review (``infer``) also gets what the front matter does not say guessed from its content:
a title line, the kind, the audience, product tags and effective/expiry dates. Guesses only ever prefill
a draft a reviewer confirms; files ingested for publication keep the plain defaults.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from knowledge.documents import Audience, Document, DocumentKind
from knowledge.parsing import DocumentError, ParsedFile

_CJK = re.compile(r"[\u4e00-\u9fff]")
_H1 = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
# A version date in the file name, as law collections name them: 反洗钱法(2024-11-08).md
_NAME_DATE = re.compile(r"[(（_\-\s](\d{4}-\d{2}-\d{2})[)）]?$")


def detect_language(text: str) -> str:
    """'zh' when a meaningful share of letters are CJK ideographs, else 'en'."""
    sample = text[:4000]
    letters = sum(ch.isalpha() for ch in sample) or 1
    return "zh" if len(_CJK.findall(sample)) / letters > 0.2 else "en"


def _as_date(value: Any, key: str, parsed: ParsedFile) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DocumentError(f"{parsed.path}: {key} {value!r} is not a date like 2026-01-31") from None


def document_id(source: str, locator: str = "") -> str:
    key = f"{source}#{locator}" if locator else source
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def build_document(parsed: ParsedFile, source: str, infer: bool = False,
                   product_names: Mapping[str, tuple[str, ...]] | None = None) -> Document:
    """The document ``parsed`` is; with ``infer``, fields the file does not state are guessed from its text
    (``product_names``: product key -> names that tag a document mentioning them)."""
    meta = dict(parsed.metadata)
    if infer:
        meta = {**suggest_metadata(parsed.text, product_names or {}), **{k: v for k, v in meta.items() if v}}
    code = str(meta.get("product_code") or "")  # a product code the file prints (PDF running headers)
    # The file name is the last resort: "clause.html" names no policy.
    title = (str(meta.get("title") or "").strip() or suggest_title(parsed.text, named_only=True)
             or (code_title(code) if code else "") or parsed.path.stem)
    products = meta.get("products") or ([code] if code else ())
    if isinstance(products, str):
        products = [products]
    if not isinstance(products, (list, tuple)):
        raise DocumentError(f"{parsed.path}: products must be a list of tags like [term-life], not {products!r}")
    effective = _as_date(meta.get("effective_date"), "effective_date", parsed)
    version = str(meta.get("version") or "")
    named = _NAME_DATE.search(parsed.path.stem) if not parsed.locator else None
    if named and effective is None:  # the file name's date stands in for the version's effective date
        effective = date.fromisoformat(named.group(1))
        version = version or named.group(1)
    try:
        kind = DocumentKind.from_str(str(meta.get("kind", "product")))
        audience = Audience.from_str(str(meta.get("audience", "customer")))
    except ValueError as err:
        raise DocumentError(f"{parsed.path}: {err}") from None
    return Document(
        id=str(meta.get("id") or document_id(source, parsed.locator)),
        title=title,
        source=source,
        kind=kind,
        language=str(meta.get("language") or detect_language(parsed.text)),
        content_hash=parsed.content_hash,
        version=version,
        effective_date=effective,
        expiry_date=_as_date(meta.get("expiry_date"), "expiry_date", parsed),
        audience=audience,
        products=tuple(str(p) for p in products),
        locator=parsed.locator,
    )


def code_title(code: str) -> str:
    """The title of a document that names its product only by code: "【APMIPL】"."""
    return f"【{code}】"


def named_by_product_code(documents: Iterable[Document], among: Iterable[Document] | None = None) -> list[Document]:
    """Documents titled only by their product code, renamed after the product as another document with
    that code names it (one of ``among``, by default of ``documents``). Banks publish policies in parts
    (pages 3-4 of 11): the running header carries the code on every part, the name only the first."""
    documents = list(documents)
    names: dict[str, Counter[str]] = {}
    for document in documents if among is None else among:
        if len(document.products) == 1 and document.title != code_title(document.products[0]):
            names.setdefault(document.products[0], Counter())[document.title] += 1
    renamed = []
    for document in documents:
        code = document.products[0] if len(document.products) == 1 else ""
        if code and document.title == code_title(code) and code in names:
            # The most common name; among equals the first in order, so the choice does not depend on order.
            name = min(names[code].items(), key=lambda item: (-item[1], item[0]))[0]
            renamed.append(replace(document, title=name))
    return renamed


# ---- guesses from the content, for drafts ------------------------------------------------------------
_HEAD_LINES = 12
_MAX_TITLE = 60
_TITLE_WORD = re.compile(
    r"(条款|條款|说明书|說明書|办法|辦法|规定|規定|条例|條例|细则|細則|须知|須知|指引|章程|规则|規則|合同|契約|协议|協議"
    r"|收费标准|收費標準|费率|費率|保险|保險|寿险|壽險|险|險|法|Terms|Conditions|Policy|Schedule|Rules|Regulations?|Act"
    r"|Guide|Agreement)(?:[（(][^）)]*[）)]|\s*[－—\-]\s*\S{1,8}型)?$",  # "…終身壽險－定期給付型"
    re.IGNORECASE,
)
_PRODUCT_CODE = re.compile(r"\s*[_＿][A-Za-z0-9\-]+$")  # "…終身保險（定期給付型）_BYUPL7"
_NOT_A_TITLE = re.compile(
    r"[。．.;；:：,，!?！？、]$"  # a sentence
    r"|第\s*\d+\s*[页頁]|^(?:page|p\.)\s*\d+|\d+\s*/\s*\d+\s*$"  # a page header or footer
    r"|^(?:第[\s一二三四五六七八九十百千零〇两\d]+[编章节条條款編節]|\d+(?:\.\d+)*[.、\s]|[一二三四五六七八九十]+、|[（(]|【|>)",
    re.IGNORECASE,
)
_INNER_STOP = re.compile(r"[。；;「」]|[，,].*[，,]")  # a line holding a sentence, a quote or a list is no title
_GENERIC_TITLE = re.compile(r"^(?:保[单單]|保[险險]|合同|契約)?(?:条款|條款)$")
_REGULATION = re.compile(r"(法|条例|條例|办法|辦法|规定|規定|细则|細則|指引|通知|Regulations?|Act|Rules|Measures|"
                         r"Guidelines)$", re.IGNORECASE)
_TRAINING = re.compile(r"培训|培訓|话术|話術|教材|training", re.IGNORECASE)
_FAQ_LINE = re.compile(r"^\s*(?:#+\s*)?(?:问|問|Q)\s*[:：.、]", re.MULTILINE)
_STAFF_ONLY = re.compile(r"内部资料|內部資料|内部使用|內部使用|仅限内部|僅限內部|仅供内部|僅供內部"
                         r"|内部培训|內部培訓|内部文件|內部文件|员工专用|員工專用|机密|機密"
                         r"|staff only|internal use|internal only|confidential", re.IGNORECASE)
_DATE = (r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?"
         r"|(\d{1,2})\s+([A-Z][a-z]+)\s+(\d{4})|([A-Z][a-z]+)\s+(\d{1,2}),?\s+(\d{4})")
_EFFECTIVE = re.compile(
    rf"(?:生效日期|施行日期|实施日期|實施日期|生效日|effective date|effective from|effective on|in force from)"
    rf"\s*(?:[:：为為是]|is)?\s*(?:{_DATE})|(?:{_DATE})\s*起?\s*(?:施行|生效|实施|實施|执行|執行)", re.IGNORECASE)
_EXPIRY = re.compile(
    rf"(?:失效日期|到期日期|到期日|有效期至|截止日期|废止日期|廢止日期|expiry date|expires on|expires|valid until"
    rf"|valid through)\s*(?:[:：为為是]|is)?\s*(?:{_DATE})"
    rf"|(?:{_DATE})\s*(?:起)?\s*(?:失效|废止|廢止|停止施行|停止执行)", re.IGNORECASE)
_MONTHS = {m: n for n, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                         "september", "october", "november", "december"), 1)}


def suggest_title(text: str, named_only: bool = False) -> str | None:
    """The line near the top that reads as the document's name: a Markdown title, else a policy or rule name
    before any other short line (with ``named_only``, a line that names a policy or rule, or nothing: for
    ingest with no reviewer, where a stray body line would be a worse title than the file name)."""
    h1 = _H1.search(text)
    if h1:
        return h1.group(1).strip()
    lines = [" ".join(line.strip().lstrip("#").split()) for line in text.splitlines() if line.strip()][:_HEAD_LINES]
    candidates = [_PRODUCT_CODE.sub("", line) for line in lines
                  if 2 <= len(line) <= _MAX_TITLE and not _NOT_A_TITLE.search(line) and any(c.isalpha() for c in line)
                  and not _INNER_STOP.search(line)]
    named = [line for line in candidates if _TITLE_WORD.search(line)]
    specific = [line for line in named if not _GENERIC_TITLE.match(line)]  # "保單條款" names no product
    if named_only:
        candidates = []
    found = specific or named or candidates
    return found[0] if found else None


def _found_date(match: re.Match[str] | None) -> date | None:
    if match is None:
        return None
    groups = [g for g in match.groups() if g]
    try:
        if groups[0].isdigit() and len(groups[0]) == 4:
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        if groups[0].isdigit():  # 1 January 2026
            return date(int(groups[2]), _MONTHS[groups[1].lower()], int(groups[0]))
        return date(int(groups[2]), _MONTHS[groups[0].lower()], int(groups[1]))  # January 1, 2026
    except (KeyError, ValueError, IndexError):
        return None


def suggest_metadata(text: str, product_names: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """Front-matter-shaped guesses (title, kind, audience, products, effective/expiry dates) from a text."""
    head = text[:20_000]
    title = suggest_title(text) or ""
    if len(_FAQ_LINE.findall(head)) >= 2:
        kind = DocumentKind.FAQ
    elif _TRAINING.search(title):
        kind = DocumentKind.TRAINING
    elif _REGULATION.search(title):
        kind = DocumentKind.REGULATION
    else:
        kind = DocumentKind.PRODUCT
    staff = kind is DocumentKind.TRAINING or bool(_STAFF_ONLY.search(head[:3000]))
    lowered = head.lower()
    products = [key for key, names in product_names.items()
                if any(len(name) >= 2 and name.lower() in lowered for name in (key, *names))]
    found: dict[str, Any] = {"title": title, "kind": kind.value,
                             "audience": (Audience.STAFF if staff else Audience.CUSTOMER).value, "products": products}
    effective, expiry = _found_date(_EFFECTIVE.search(head)), _found_date(_EXPIRY.search(head))
    if effective:
        found["effective_date"] = effective
    if expiry and (effective is None or expiry > effective):
        found["expiry_date"] = expiry
    return {k: v for k, v in found.items() if v}


EDITABLE = ("title", "kind", "audience", "products", "effective_date", "expiry_date", "language", "version")


def metadata_changes(fields: Mapping[str, str | None]) -> dict[str, Any]:
    """Typed document fields from a reviewer's form, API body or command line (strings; None = unchanged);
    ValueError says which value is wrong and what is expected."""
    changes: dict[str, Any] = {}
    for key, raw in fields.items():
        if raw is None:
            continue
        if key not in EDITABLE:
            raise ValueError(f"{key!r} cannot be edited; editable: {', '.join(EDITABLE)}")
        value = raw.strip()
        if key == "title":
            if not value:
                raise ValueError("the title is empty: give the document the name a customer would look for")
            changes[key] = value
        elif key == "kind":
            changes[key] = DocumentKind.from_str(value)
        elif key == "audience":
            changes[key] = Audience.from_str(value)
        elif key == "products":
            changes[key] = tuple(p for p in re.split(r"[,，;；\s]+", value) if p)
        elif key in ("effective_date", "expiry_date"):
            try:
                changes[key] = date.fromisoformat(value) if value else None
            except ValueError:
                raise ValueError(f"{key} {value!r} is not a date like 2026-01-31 (leave it empty for none)") from None
        elif key == "language":
            if value not in ("zh", "en"):
                raise ValueError(f"language {value!r}: use 'zh' or 'en'")
            changes[key] = value
        else:
            changes[key] = value
    return changes
