"""Split a document along its own structure so every chunk can be cited by section.

Headings come from Markdown (``#`` .. ``######``), from Chinese legal structure in Simplified and
Traditional characters (编/章/节/条/款/项, 編/章/節/條/款/項), from numbered clauses of policy wordings
(``5.3 保险费自动垫交``, a title-like ``一、投保范围`` outside any article) and from English legal units
(Chapter, Part, Section, Article, Clause), each at the start of a line. Real documents glue the number
to its text (``第五条投保人…`` from a Word export), space its characters out (``第 二 十 三 條`` from a
PDF) and put the article's name in 【】 on its line or the line before; all of these are one heading,
labelled as written (``第二十三條【受益人之受益權】``). A line that only refers to an article
(``第十六条规定了…``) is not one. A chunk is one section's text, so it never spans two articles; a
section longer than ``max_chars`` is split between sentences, never inside one, unless a single
sentence is itself over twice the limit. A Markdown table is split between rows, and a chunk that starts
below its header gets the header (and its ``| --- |`` rule) put back in front, so a row of a premium
table is found and read with its column names; such a chunk's ``start``/``end`` are those of its rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.documents import Chunk
from knowledge.formats.tables import is_rule_line, is_table_line

DEFAULT_MAX_CHARS = 500

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_CN_DIGIT = r"[一二三四五六七八九十百千零〇两兩\d]"
_CN_NUMERAL = rf"{_CN_DIGIT}+"
# "第十六条", "第 二 十 三 條", "第二十二 條": PDFs space the characters of a heading out.
_LEGAL_HEADING = re.compile(
    rf"^\s*(第[\s　]*{_CN_DIGIT}(?:[\s　]*{_CN_DIGIT})*[\s　]*(编|編|章|节|節|条|條|款|项|項))(.*)$")
# Below any Markdown level a document is likely to use for titles, in the order of legal structure.
_LEGAL_LEVEL = {"编": 2, "編": 2, "章": 3, "节": 4, "節": 4, "条": 5, "條": 5, "款": 6, "项": 7, "項": 7}
_ARTICLE_UNITS = frozenset("条條")
# What follows a number glued to its text when the line only refers to that unit: "第十六条规定了…",
# "第二章所列事项", "第三十五条第二项约定…".
_REFERENCE = re.compile(r"^(?:规定|規定|约定|約定|所|的|之|及|和|与|與|或|至|中|第|项|項|款|以|内|內|[、，,。；;)）])")
_BRACKET_NAME = re.compile(r"^[\s　]*([【〔\[][^】〕\]]{1,30}[】〕\]])[\s　]*(.*)$")
_NAME_LINE = re.compile(r"^\s*[【〔][^】〕]{1,30}[】〕]\s*$")  # "【除外責任（二）】" alone: the next article's name
# "一、投保范围": a section of a policy wording, when it reads as a title and no article is open.
_ORDINAL_SECTION = re.compile(r"^\s*([一二三四五六七八九十]{1,3})、[\s　]*([^。；;，,：:]{1,24})$")
_ORDINAL_LEVEL = 4
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


def _legal_heading(line: str) -> tuple[int, str, bool] | None:
    legal = _LEGAL_HEADING.match(line)
    if not legal:
        return None
    unit = legal.group(2)
    number = re.sub(r"[\s　]", "", legal.group(1))
    spaced, rest = legal.group(3)[:1].isspace(), legal.group(3).strip()
    named = _BRACKET_NAME.match(legal.group(3))
    if named:  # "第三條【貨幣單位與匯率風險】": the name is part of the label
        number, rest = number + named.group(1), named.group(2).strip()
    elif rest and not spaced and (_REFERENCE.match(rest) or unit in "款项項"):
        return None  # glued to words that refer to it, or an item number inside a sentence
    if unit in _ARTICLE_UNITS:  # "第十六条 订立保险合同，..." : the remainder is the article's text
        return _LEGAL_LEVEL[unit], number, bool(rest)
    if rest and not spaced and (len(rest) > 20 or re.search(r"[。；;，,]", rest)):
        return None  # "第二章规定…" runs on as a sentence: not a chapter heading
    return _LEGAL_LEVEL[unit], f"{number} {rest}".strip(), False


def _heading(line: str, in_article: bool = False) -> tuple[int, str, bool] | None:
    """(level, label for the path, whether the line's remainder is body text) or None."""
    md = _MARKDOWN_HEADING.match(line)
    if md:
        return len(md.group(1)), md.group(2).strip(), False
    legal = _legal_heading(line)
    if legal:
        return legal
    ordinal = None if in_article else _ORDINAL_SECTION.match(line)
    if ordinal:
        return _ORDINAL_LEVEL, f"{ordinal.group(1)}、{ordinal.group(2).strip()}", False
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

    lines = text.splitlines(keepends=True)
    offset = 0
    name: tuple[int, str] | None = None  # a 【name】 line (its offset, text) waiting for its article
    for i, line in enumerate(lines):
        in_article = any(level >= _LEGAL_LEVEL["条"] for level, _ in stack)
        heading = _heading(line.rstrip("\n"), in_article)
        if heading is None and _NAME_LINE.match(line) and i + 1 < len(lines):
            following = _heading(lines[i + 1].rstrip("\n"), in_article)
            if following is not None and following[0] == _LEGAL_LEVEL["条"]:
                name = (offset, line.strip())
                offset += len(line)
                continue
        if heading is not None:
            level, label, inline_body = heading
            start = offset
            if name is not None and level == _LEGAL_LEVEL["条"] and "【" not in label:
                start, label = name[0], label + name[1]
            name = None
            close(start)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, label))
            path = tuple(lbl for _, lbl in stack if lbl != title)
            body_start = start
            content_from = start if inline_body else offset + len(line)
        elif body_start is None:
            body_start = content_from = offset
        offset += len(line)
    close(offset)
    return sections


@dataclass(frozen=True)
class _Table:
    start: int  # the header line's offset
    rows_start: int  # the first row's, after the rule line
    end: int
    header: str  # the header and rule lines
    rows: tuple[tuple[int, int], ...]  # each row line's span


def _tables(text: str) -> list[_Table]:
    """The Markdown tables in ``text``: a table line followed by a rule line, then the table lines after it."""
    found: list[_Table] = []
    lines = text.splitlines(keepends=True)
    offset, i = 0, 0
    while i < len(lines):
        if i + 1 < len(lines) and is_table_line(lines[i]) and is_rule_line(lines[i + 1]):
            start, header = offset, lines[i].strip() + "\n" + lines[i + 1].strip()
            rows_start = offset + len(lines[i]) + len(lines[i + 1])
            offset, i, rows = rows_start, i + 2, []
            while i < len(lines) and is_table_line(lines[i]):
                rows.append((offset, offset + len(lines[i].rstrip("\n"))))
                offset, i = offset + len(lines[i]), i + 1
            found.append(_Table(start, rows_start, offset, header, tuple(rows)))
            continue
        offset, i = offset + len(lines[i]), i + 1
    return found


def _with_header(text: str, start: int, tables: list[_Table]) -> str:
    for table in tables:
        if table.rows_start <= start < table.end:
            return f"{table.header}\n{text}"
    return text


def _units(text: str, tables: list[_Table]) -> Iterator[tuple[int, int]]:
    """Sentences, except that a table's header with its rule, and each of its rows, is one unit."""
    whole = sorted([(t.start, t.rows_start - 1) for t in tables] + [row for t in tables for row in t.rows])
    spans = iter(_sentences(text))
    for s, e in spans:
        inside = next(((a, b) for a, b in whole if a <= s < b or a < e < b), None)
        if inside is not None:
            while e < inside[1]:
                nxt = next(spans, None)
                if nxt is None:
                    break
                e = nxt[1]
        yield s, e


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


def _pack(section: Section, max_chars: int, tables: list[_Table]) -> Iterator[tuple[int, int]]:
    """Greedy packing of whole sentences (and table rows) into windows of at most ``max_chars`` (offsets
    in the section)."""
    text = section.text
    if len(text) <= max_chars:
        yield 0, len(text)
        return
    window: tuple[int, int] | None = None
    for s, e in _units(text, tables):
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
        tables = _tables(section.text)
        for s, e in _pack(section, max_chars, tables):
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
                    text=_with_header(piece, s + lead, tables),
                    section_path=section.path,
                    start=start,
                    end=start + len(piece),
                )
            )
    return chunks
