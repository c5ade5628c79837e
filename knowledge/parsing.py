"""Turn a file into text plus metadata. One parser per format; errors name the file and the fix."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from charset_normalizer import from_bytes

MAX_FILE_BYTES = 50 * 1024 * 1024
SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt")

_CJK_OR_ASCII = re.compile(r"[\u0020-\u007e\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’—…·]")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class DocumentError(ValueError):
    """A file that cannot become a document; the message says why and what to do."""


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    text: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _looks_chinese(text: str) -> bool:
    visible = [ch for ch in text if not ch.isspace()]
    readable = sum(1 for ch in visible if _CJK_OR_ASCII.match(ch))
    return bool(visible) and readable / len(visible) > 0.9


def decode_bytes(raw: bytes, path: Path) -> str:
    """UTF-8 first (the common case), then GB18030 (a superset of GBK, the usual legacy encoding of
    Chinese documents) when it yields readable Chinese, then charset detection for the rest."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if _looks_chinese(text):
            return text
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None:
        raise DocumentError(f"{path}: not a text file (no character encoding fits); convert it to UTF-8")
    return str(best)


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except (yaml.YAMLError, ValueError) as err:  # ValueError: date-shaped values that are no dates
        raise DocumentError(f"{path}: the front matter is not valid YAML ({err})") from None
    if not isinstance(meta, dict):
        raise DocumentError(f"{path}: the front matter must be a YAML mapping of key: value lines")
    return meta, text[match.end():]


def parse_file(path: Path) -> ParsedFile:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path}: unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentError(f"{path}: {size / 2**20:.0f} MB is over the {MAX_FILE_BYTES // 2**20} MB limit")
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{path}: binary content in a {suffix} file; is it really text?")
    text = decode_bytes(raw, path)
    meta, body = split_front_matter(text, path) if suffix in (".md", ".markdown") else ({}, text)
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise DocumentError(f"{path}: the file has no text")
    return ParsedFile(path=path, text=body, content_hash=hashlib.sha256(raw).hexdigest(), metadata=meta)
