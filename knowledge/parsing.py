"""Turn a file into text plus metadata. One parser per format (``knowledge.formats``); errors name the
file and say what to do, so one bad file in a batch never stops the others."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml
from charset_normalizer import from_bytes

MAX_FILE_BYTES = 100 * 1024 * 1024

# suffix -> "module:function"; each function takes (path, raw bytes, ReadOptions) and returns a list of
# ParsedFile.
# Imported on first use so a plain-text knowledge base never loads a PDF library.
_PARSERS = {
    ".md": "knowledge.parsing:parse_markdown",
    ".markdown": "knowledge.parsing:parse_markdown",
    ".txt": "knowledge.parsing:parse_plain_text",
    ".pdf": "knowledge.formats.pdf:parse_pdf",
    ".docx": "knowledge.formats.docx:parse_docx",
    ".html": "knowledge.formats.html:parse_html",
    ".htm": "knowledge.formats.html:parse_html",
    ".jsonl": "knowledge.formats.passages:parse_passages",
}
SUPPORTED_SUFFIXES = tuple(_PARSERS)

_CJK_OR_ASCII = re.compile(r"[\u0020-\u007e\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’—…·]")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class DocumentError(ValueError):
    """A file that cannot become a document; the message says why and what to do."""


@dataclass(frozen=True)
class ReadOptions:
    """What the settings say about reading files: the size limit, and how pages without text are read."""

    max_bytes: int = MAX_FILE_BYTES
    # "rapidocr", "tesseract", "auto" (Tesseract where it and its Chinese data are installed, else
    # RapidOCR) or "off" (scanned PDFs are refused); see knowledge/formats/ocr.py.
    ocr: str = "auto"
    # How a batch is read (knowledge/reading_pool.py): worker processes (0 reads in this process, with no
    # time limit), and the seconds a file may take per page before it is reported as unreadable.
    workers: int = 2
    seconds_per_page: float = 120.0


@dataclass(frozen=True)
class ParsedFile:
    """One document's text. A file usually gives one; a passages JSONL file gives one per passage."""

    path: Path
    text: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # Which part of the file this is ("" for the whole file; the passage id inside a JSONL file).
    locator: str = ""
    # Character offsets in ``text`` where page 1, 2, ... begin (paged formats such as PDF only).
    page_starts: tuple[int, ...] = ()
    # 1-based pages whose text OCR read from a picture rather than a text layer.
    ocr_pages: frozenset[int] = frozenset()

    def page_at(self, offset: int) -> int | None:
        """1-based page holding character ``offset``, or None for formats without pages."""
        if not self.page_starts:
            return None
        page = 0
        for n, start in enumerate(self.page_starts, 1):
            if start > offset:
                break
            page = n
        return max(page, 1)


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


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


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_text(path: Path, raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{path}: binary content in a {path.suffix} file; is it really text?")
    return decode_bytes(raw, path)


def _require_text(path: Path, body: str) -> str:
    if not body.strip():
        raise DocumentError(f"{path}: the file has no text")
    return body


def parse_markdown(path: Path, raw: bytes, options: ReadOptions) -> list[ParsedFile]:
    meta, body = split_front_matter(_read_text(path, raw), path)
    body = _require_text(path, normalise_newlines(body))
    return [ParsedFile(path=path, text=body, content_hash=sha256(raw), metadata=meta)]


def parse_plain_text(path: Path, raw: bytes, options: ReadOptions) -> list[ParsedFile]:
    body = _require_text(path, normalise_newlines(_read_text(path, raw)))
    return [ParsedFile(path=path, text=body, content_hash=sha256(raw))]


def _parser(suffix: str) -> Callable[[Path, bytes, ReadOptions], list[ParsedFile]]:
    module, name = _PARSERS[suffix].split(":")
    return getattr(import_module(module), name)  # type: ignore[no-any-return]


def parse_file(path: Path, options: ReadOptions | None = None) -> list[ParsedFile]:
    """The documents in ``path``; raises DocumentError for anything that cannot be ingested."""
    options = options or ReadOptions()
    max_bytes = options.max_bytes
    suffix = path.suffix.lower()
    if suffix not in _PARSERS:
        raise DocumentError(
            f"{path}: unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    size = path.stat().st_size  # checked before reading, so a huge file costs no memory
    if size > max_bytes:
        raise DocumentError(
            f"{path}: {size / 2**20:.0f} MB is over the {max_bytes / 2**20:.0f} MB limit per file; "
            "split it, or raise DE_MAX_FILE_MB"
        )
    if size == 0:
        raise DocumentError(f"{path}: the file is empty (no text)")
    return _parser(suffix)(path, path.read_bytes(), options)
