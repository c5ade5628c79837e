"""Split a document along its own structure so every chunk can be cited by section.

Headings come from Markdown (``#`` .. ``######``), from Chinese legal structure (编/章/节/条), from
numbered clauses of policy wordings (``5.3 保险费自动垫交``) and from English legal units (Chapter,
Part, Section, Article, Clause), each at the start of a line. A chunk is one section's text; a section
longer than ``max_chars`` is split between sentences, never inside one, unless a single sentence is
itself over twice the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.documents import Chunk

DEFAULT_MAX_CHARS = 500

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_CN_NUMERAL = r"[一二三四五六七八九十百千零〇两\d]+"
_LEGAL_HEADING = re.compile(rf"^\s*(第{_CN_NUMERAL}(编|章|节|条))(?:[\s　]+(.*))?$")
# Below any Markdown level a document is likely to use for titles, in the order of legal structure.
_LEGAL_LEVEL = {"编": 2, "章": 3, "节": 4, "条": 5}
# "5.3 保险费自动垫交 您可以…": two to four small numbers, then a space and a word (not "2.35 %").
_NUMBERED_CLAUSE = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){1,3})[\s　]+(?=[\u4e00-\u9fffA-Z])(.*)$")
_ENGLISH_UNIT = re.compile(r"^\s*(Chapter|Part|Section|Article|Clause)\s+(\d+|[IVXLC]+)\b[.:]?\s*(.*)$", re.IGNORECASE)
_ENGLISH_LEVEL = {"chapter": 3, "part": 3, "section": 4, "article": 5, "clause": 5}
_SHORT_TITLE = 16  # a leading phrase this short before a space reads as the clause's title
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.:：])(?=\s)|\n+")


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    text: str
    start: int
    end: int


def _heading(line: str) -> tuple[int, str, bool] | None:
    """(level, label for the path, whether the line's remainder is body text) or None."""
    md = _MARKDOWN_HEADING.match(line)
    if md:
        return len(md.group(1)), md.group(2).strip(), False
    legal = _LEGAL_HEADING.match(line)
    if legal:
        unit, rest = legal.group(2), (legal.group(3) or "").strip()
        if unit == "条":  # "第十六条 订立保险合同，..." : the remainder is the article's text
            return _LEGAL_LEVEL[unit], legal.group(1), bool(rest)
        label = f"{legal.group(1)} {rest}".strip()
        return _LEGAL_LEVEL[unit], label, False
    numbered = _NUMBERED_CLAUSE.match(line)
    if numbered:
        number, rest = numbered.group(1), numbered.group(2).strip()
        first = re.split(r"[\s　]", rest, maxsplit=1)
        title = first[0] if len(first) == 2 and len(first[0]) <= _SHORT_TITLE else ""
        return 5 + number.count("."), f"{number} {title}".strip(), bool(rest)
    english = _ENGLISH_UNIT.match(line)
    if english:
        unit, number, rest = english.group(1).lower(), english.group(2), english.group(3).strip()
        label = f"{english.group(1).title()} {number}"
        if unit in ("article", "clause"):
            return _ENGLISH_LEVEL[unit], label, bool(rest)
        return _ENGLISH_LEVEL[unit], f"{label} {rest}".strip(), False
    return None


def split_sections(text: str, title: str = "") -> list[Section]:
    """Sections in reading order, each with its heading path; text before any heading has an empty path."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body_start: int | None = None
    content_from = 0  # where text that is more than a bare heading begins
    path: tuple[str, ...] = ()

    def close(end: int) -> None:
        if body_start is not None and text[content_from:end].strip():
            raw = text[body_start:end]
            lead = len(raw) - len(raw.lstrip())
            sections.append(Section(path, raw.strip(), body_start + lead, body_start + lead + len(raw.strip())))

    offset = 0
    for line in text.splitlines(keepends=True):
        heading = _heading(line.rstrip("\n"))
        if heading is not None:
            close(offset)
            level, label, inline_body = heading
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, label))
            path = tuple(lbl for _, lbl in stack if lbl != title)
            body_start = offset
            content_from = offset if inline_body else offset + len(line)
        elif body_start is None:
            body_start = content_from = offset
        offset += len(line)
    close(offset)
    return sections


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end > start and text[start:end].strip():
            yield start, end
            start = end
        elif end > start:
            start = end
    if text[start:].strip():
        yield start, len(text)


def _pack(section: Section, max_chars: int) -> Iterator[tuple[int, int]]:
    """Greedy packing of whole sentences into windows of at most ``max_chars`` (offsets in the section)."""
    text = section.text
    if len(text) <= max_chars:
        yield 0, len(text)
        return
    window: tuple[int, int] | None = None
    for s, e in _sentences(text):
        if e - s > 2 * max_chars:  # a run-on "sentence" (a table, a list without stops): hard cut
            if window:
                yield window
                window = None
            for cut in range(s, e, max_chars):
                yield cut, min(cut + max_chars, e)
            continue
        if window and e - window[0] > max_chars:
            yield window
            window = None
        window = (window[0] if window else s, e)
    if window:
        yield window


def chunk_text(document_id: str, text: str, title: str = "", max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in split_sections(text, title):
        for s, e in _pack(section, max_chars):
            piece = section.text[s:e]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if not piece:
                continue
            start = section.start + s + lead
            chunks.append(
                Chunk(
                    id=f"{document_id}:{len(chunks):04d}",
                    document_id=document_id,
                    text=piece,
                    section_path=section.path,
                    start=start,
                    end=start + len(piece),
                )
            )
    return chunks
