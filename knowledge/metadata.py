"""Document metadata from front matter, with defaults a bank's documents can live with."""

from __future__ import annotations

import hashlib
import re
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


def build_document(parsed: ParsedFile, source: str) -> Document:
    meta = parsed.metadata
    title = str(meta.get("title") or "").strip()
    if not title:
        h1 = _H1.search(parsed.text)
        title = h1.group(1).strip() if h1 else parsed.path.stem
    products = meta.get("products") or ()
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
