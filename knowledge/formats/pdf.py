"""PDF: the text layer, page by page, with the artefacts of PDF extraction repaired conservatively.

A PDF stores positioned glyphs, not paragraphs, so extracted text carries page numbers as lines of
their own and breaks every sentence at the right margin. This parser drops page-number-only lines and
joins Chinese lines the margin broke, but never into a heading (第X条, 5.3, 一、), so the chunker still
sees the document's structure. Page offsets go into ``ParsedFile.page_starts`` for citations.
Scanned PDFs have no text layer and are refused with a message that says to OCR them first.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any

from knowledge.parsing import DocumentError, ParsedFile, normalise_newlines, sha256

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 2000
# Below this many visible characters per page on average, the "text layer" is stray marks on images.
MIN_CHARS_PER_PAGE = 20

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NUMERAL = r"[一二三四五六七八九十百千零〇两\d]+"
# Lines that are nothing but a page number: "3", "- 3 -", "— 3 —", "第 3 页", "第3页 共12页", "Page 3 of 12", "3/12".
_PAGE_NUMBER_LINE = re.compile(
    rf"""^\s*(?:
        [-–—]\s*\d+\s*[-–—]
      | 第\s*{_NUMERAL}\s*页(?:\s*[,，/]?\s*共\s*{_NUMERAL}\s*页)?
      | (?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?
      | \d+\s*/\s*\d+
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_BARE_NUMBER_LINE = re.compile(r"^\s*\d{1,4}\s*$")  # only dropped at the top or bottom of a page
# Lines that start a new unit and must never be glued onto the line before.
_HEADING_START = re.compile(
    rf"^\s*(?:第{_NUMERAL}[编章节条款]|\d+(?:\.\d+)*\.?\s|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[)）]|#)"
)
_STRUCTURE_HEADING = re.compile(rf"^\s*第{_NUMERAL}[编章节]")  # a chapter line is a heading, never body
_ENDS_MID_SENTENCE = re.compile(rf"[{_CJK}，、]$")
_STARTS_WITH_CJK = re.compile(rf"^[{_CJK}]")
# A line this close to the page's longest line reached the right margin rather than ending a paragraph.
_FULL_LINE_SHARE = 0.75

_JUNK_TITLE = re.compile(
    r"^(?:microsoft (?:word|excel|powerpoint) - .*|untitled.*|无标题.*|title|document\d*|文档\d*|"
    r".*\.(?:docx?|pdf|wps|rtf|txt|xlsx?|pptx?|indd|tmp))$",
    re.IGNORECASE,
)


def _width(line: str) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in line)


def _drop_page_numbers(lines: list[str]) -> list[str]:
    kept = [line for line in lines if not _PAGE_NUMBER_LINE.match(line)]
    edges = {i for i in (0, len(kept) - 1) if 0 <= i < len(kept)}
    return [line for i, line in enumerate(kept) if not (i in edges and _BARE_NUMBER_LINE.match(line))]


def _join_broken_lines(lines: list[str]) -> list[str]:
    """Join Chinese lines the right margin broke mid-sentence; leave anything that looks like structure."""
    if not lines:
        return lines
    full = _FULL_LINE_SHARE * max(_width(line) for line in lines)
    joined: list[str] = []
    previous_full = False  # whether the last source line (not the joined one) reached the margin
    for line in lines:
        if (
            joined
            and previous_full
            and _ENDS_MID_SENTENCE.search(joined[-1])
            and _STARTS_WITH_CJK.match(line)
            and not _HEADING_START.match(line)
            and not _STRUCTURE_HEADING.match(joined[-1])
        ):
            joined[-1] += line
        else:
            joined.append(line)
        previous_full = _width(line) >= full
    return joined


def clean_page_text(text: str) -> str:
    """One page's extracted text with page numbers removed and margin-broken Chinese lines joined."""
    text = normalise_newlines(text).replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    lines = [line for line in lines if line.strip()]
    return "\n".join(_join_broken_lines(_drop_page_numbers(lines)))


def _title(reader: Any) -> str | None:
    try:
        info = reader.metadata
        title = str(info.title or "") if info is not None else ""
    except Exception as err:  # a broken info dictionary costs the title, not the document
        log.warning("unreadable PDF info dictionary: %s", err)
        return None
    title = " ".join(title.replace("\x00", "").split())
    if not title or _JUNK_TITLE.match(title) or not any(ch.isalnum() for ch in title):
        return None
    return title


def _needs_cryptography(path: Path, err: Exception) -> DocumentError:
    return DocumentError(
        f"{path}: the PDF is AES-encrypted and opening it needs the 'cryptography' package ({err}); "
        "install it (pip install cryptography) or save an unprotected copy"
    )


def _open(path: Path, raw: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    if b"%PDF-" not in raw[:1024]:
        raise DocumentError(f"{path}: not a readable PDF (no %PDF header); is it really a PDF?")
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            # Many PDFs are "protected" only by an owner password that restricts printing or copying;
            # they open with an empty user password, as in any PDF viewer.
            if not reader.decrypt(""):
                raise DocumentError(
                    f"{path}: the PDF is password-protected; save an unprotected copy (or remove the "
                    "password) and ingest that"
                )
        pages = len(reader.pages)
    except DocumentError:
        raise
    except DependencyError as err:
        raise _needs_cryptography(path, err) from None
    except Exception as err:  # pypdf raises many types on malformed input; all mean the same here
        raise DocumentError(
            f"{path}: not a readable PDF ({type(err).__name__}: {err}); the file may be truncated or "
            "corrupt, so export or download it again"
        ) from None
    if pages == 0:
        raise DocumentError(f"{path}: the PDF has no pages")
    if pages > MAX_PDF_PAGES:
        raise DocumentError(
            f"{path}: {pages} pages is over the {MAX_PDF_PAGES}-page limit per PDF; split it into parts"
        )
    return reader


def parse_pdf(path: Path, raw: bytes) -> list[ParsedFile]:
    from pypdf.errors import DependencyError

    reader = _open(path, raw)
    pages: list[str] = []
    for number, page in enumerate(reader.pages, 1):
        try:
            pages.append(clean_page_text(page.extract_text()))
        except DependencyError as err:  # AES-128 opens without cryptography; its page streams do not
            raise _needs_cryptography(path, err) from None
        except Exception as err:
            raise DocumentError(
                f"{path}: page {number} of the PDF cannot be read ({type(err).__name__}: {err}); "
                "the file may be corrupt, so export it again"
            ) from None
    visible = sum(len("".join(page.split())) for page in pages)
    if visible < MIN_CHARS_PER_PAGE * len(pages):
        raise DocumentError(
            f"{path}: a scanned image PDF without a text layer ({visible} characters of text on "
            f"{len(pages)} pages); run it through OCR first and ingest the searchable PDF or its text"
        )
    page_starts: list[int] = []
    offset = 0
    for text in pages:
        page_starts.append(offset)
        offset += len(text) + 1  # pages are joined with "\n"
    title = _title(reader)
    metadata: dict[str, Any] = {"title": title} if title else {}
    return [
        ParsedFile(
            path=path,
            text="\n".join(pages),
            content_hash=sha256(raw),
            metadata=metadata,
            page_starts=tuple(page_starts),
        )
    ]
