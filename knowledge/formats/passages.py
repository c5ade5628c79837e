"""Passages JSONL: ``{"id", "title", "text"}`` a line, each passage its own document (a corpus that
someone else already cut into passages, such as ../shared/datasets/insurance_clauses)."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.parsing import DocumentError, ParsedFile, ReadOptions, _read_text, normalise_newlines, sha256

# Keys a passage line may carry besides id/title/text; they become document metadata.
_METADATA_KEYS = ("kind", "language", "version", "effective_date", "expiry_date", "audience", "products")


def parse_passages(path: Path, raw: bytes, options: ReadOptions) -> list[ParsedFile]:
    parsed: list[ParsedFile] = []
    seen: set[str] = set()
    for number, line in enumerate(normalise_newlines(_read_text(path, raw)).split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DocumentError(f"{path}: line {number} is not JSON ({err.msg}); one passage object a line") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DocumentError(f"{path}: line {number} needs an object with a \"text\" string")
        text = normalise_newlines(record["text"]).strip()
        if not text:
            continue
        passage_id = str(record.get("id") or f"line{number}")
        if passage_id in seen:
            raise DocumentError(f"{path}: line {number} repeats passage id {passage_id!r}; ids must be unique")
        seen.add(passage_id)
        title = str(record.get("title") or "").strip() or passage_id
        metadata = {"title": title, **{k: record[k] for k in _METADATA_KEYS if k in record}}
        digest = sha256(json.dumps([passage_id, title, text, metadata], ensure_ascii=False).encode("utf-8"))
        parsed.append(ParsedFile(path=path, text=text, content_hash=digest, metadata=metadata, locator=passage_id))
    if not parsed:
        raise DocumentError(f"{path}: no passages with text in this JSONL file")
    return parsed
