"""Word .docx: body paragraphs and tables in reading order; heading styles become Markdown headings.

Headings are recognised by style (Title, Heading 1..9, including custom styles based on them) or by
a paragraph outline level, so the chunker cites sections by the document's own headings. Tables
become Markdown tables (``knowledge.formats.tables``); a table inside a cell is flattened into that cell's
text. Numbers Word draws from its list numbering ("第%1条", "%1.") are put back in front of their
paragraphs (``knowledge.formats.docx_numbering``). Tables of contents are skipped: their entries
("第一章 总则 ...... 3") would otherwise read as headings.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowledge.formats.docx_numbering import Numbering, paragraph_numbering
from knowledge.formats.tables import markdown_table
from knowledge.parsing import DocumentError, ParsedFile, ReadOptions, normalise_newlines, sha256

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|标题)$", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^(?:toc|目录)\s*\d*$|^toc heading$", re.IGNORECASE)
_BODY_OUTLINE_LEVEL = 9  # w:outlineLvl 0..8 are heading levels 1..9; 9 is body text


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


def _outline_level(element: Any) -> int | None:
    """Heading level (1-based) from a w:pPr/w:outlineLvl under ``element`` (a paragraph or a style)."""
    if element is None:
        return None
    ppr = element.find(_qn("w:pPr"))
    found = ppr.find(_qn("w:outlineLvl")) if ppr is not None else None
    if found is None:
        return None
    try:
        value = int(found.get(_qn("w:val")))
    except (TypeError, ValueError):
        return None
    return value + 1 if 0 <= value < _BODY_OUTLINE_LEVEL else None


def _style_level(style: Any) -> int | None:
    """Heading level of a paragraph style, following ``based on`` a few steps (custom heading styles)."""
    for _ in range(5):
        if style is None:
            return None
        name = (style.name or "").strip()
        if _TITLE_STYLE.match(name):
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        level = _outline_level(style.element)
        if level is not None:
            return level
        style = style.base_style
    return None


def _heading_level(paragraph: Any) -> int | None:
    level = _outline_level(paragraph._p)
    if level is None:
        level = _style_level(paragraph.style)
    return min(level, 6) if level is not None else None


def _blocks(container: Any, parent: Any) -> Iterator[Any]:
    """Paragraphs and tables in body order, looking inside content controls (w:sdt) as Word shows them."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == _qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == _qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == _qn("w:sdt"):
            content = child.find(_qn("w:sdtContent"))
            if content is not None:
                yield from _blocks(content, parent)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell_text(cell: Any) -> str:
    parts: list[str] = []
    for block in _blocks(cell._tc, cell):
        if hasattr(block, "rows"):
            parts.extend(" ".join(_cell_text(c) for c in row.cells) for row in block.rows)
        else:
            parts.append(block.text)
    return _one_line(" ".join(parts))


def _table_lines(table: Any) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells = row.cells  # a horizontally merged cell appears once per grid column it spans
        rows.append([_cell_text(cell) for i, cell in enumerate(cells) if i == 0 or cell._tc is not cells[i - 1]._tc])
    return markdown_table(rows)


def _paragraph_lines(paragraph: Any, numbering: Numbering) -> list[str]:
    style_name = (paragraph.style.name or "") if paragraph.style is not None else ""
    if _TOC_STYLE.match(style_name.strip()):
        return []
    numbered = paragraph_numbering(paragraph)
    label = numbering.label(*numbered) if numbered else None  # counted even on an empty line, as Word does
    text = normalise_newlines(paragraph.text).replace("\t", " ")
    if not text.strip():
        return []
    if label:
        text = f"{label} {text.lstrip()}"
    level = _heading_level(paragraph)
    if level is not None:
        return [f"{'#' * level} {_one_line(text)}"]
    return [line.strip() for line in text.split("\n") if line.strip()]


def _open(path: Path, raw: bytes) -> Any:
    import docx

    try:
        return docx.Document(io.BytesIO(raw))
    except zipfile.BadZipFile:
        hint = " (it looks like an old binary .doc; save it as .docx)" if raw[:4] == b"\xd0\xcf\x11\xe0" else ""
        raise DocumentError(f"{path}: not a readable .docx file, the zip container is broken{hint}") from None
    except Exception as err:  # python-docx and lxml raise many types on malformed packages
        raise DocumentError(
            f"{path}: not a readable .docx file ({type(err).__name__}: {err}); open it in Word and save "
            "it again as .docx"
        ) from None


def parse_docx(path: Path, raw: bytes, options: ReadOptions) -> list[ParsedFile]:
    document = _open(path, raw)
    lines: list[str] = []
    try:
        numbering = Numbering.of(document)
        for block in _blocks(document.element.body, document._body):
            lines.extend(_table_lines(block) if hasattr(block, "rows") else _paragraph_lines(block, numbering))
        title = _one_line(document.core_properties.title or "")
    except Exception as err:
        raise DocumentError(
            f"{path}: the .docx content cannot be read ({type(err).__name__}: {err}); open it in Word and "
            "save it again"
        ) from None
    text = "\n".join(lines)
    if not text.strip():
        raise DocumentError(f"{path}: the document has no text (is it only images or a scan?)")
    return [ParsedFile(path=path, text=text, content_hash=sha256(raw), metadata={"title": title} if title else {})]
