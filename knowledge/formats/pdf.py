"""PDF: the text layer, page by page, with the artefacts of PDF extraction repaired conservatively.

A PDF stores positioned glyphs, not paragraphs, so extracted text carries page furniture and breaks
every sentence at the right margin. This parser drops page numbers ("第 5 頁，共 11 頁", "4 / 17") and
the running headers and footers a publisher prints on every page ("【APKTPL】-8/19", the product's name,
a sales date), found as the lines at a page's edges that repeat across pages once their digits are set
aside; a running product name becomes the title when the PDF names none. It joins Chinese lines the
margin broke, but never into a heading (第X条, 5.3, 一、), so the chunker still sees the document's
structure. Page offsets go into ``ParsedFile.page_starts`` for citations. A page without a text layer
(a scan) is read by OCR (``knowledge.formats.ocr``) and listed in ``ParsedFile.ocr_pages``; with OCR off,
or when OCR reads nothing, a scanned PDF is refused with a message that says what to do.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.parsing import DocumentError, ParsedFile, ReadOptions, normalise_newlines, sha256

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 2000
# Below this many visible characters per page on average, the "text layer" is stray marks on images.
MIN_CHARS_PER_PAGE = 20

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NUMERAL = r"[一二三四五六七八九十百千零〇两\d]+"
_PAGE_OF = rf"第\s*{_NUMERAL}\s*[页頁](?:\s*[,，/]?\s*共\s*{_NUMERAL}\s*[页頁])?"
# Lines that are nothing but a page number: "3", "- 3 -", "— 3 —", "第 3 页", "第3頁，共12頁", "Page 3 of 12",
# "3/12", or a product code with one: "【APKTPL】-8/19".
_PAGE_NUMBER_LINE = re.compile(
    rf"""^\s*(?:
        [-–—]\s*\d+\s*[-–—]
      | {_PAGE_OF}
      | (?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?
      | \d+\s*/\s*\d+
      | 【[A-Za-z0-9\-]{{2,20}}】\s*[-–—]?\s*\d+\s*/\s*\d+
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# A page number that leads a header line with more on it: "第 3 頁，共 20 頁   銷售日期：113 年 7 月 1 日".
_PAGE_NUMBER_HEADER = re.compile(rf"^\s*{_PAGE_OF}\s+\S")
_EDGE_LINES = 2  # running headers and footers sit in the first and last lines of a page
_PRODUCT_CODE = re.compile(r"【([A-Za-z0-9\-]{2,20})】|[_＿]([A-Za-z0-9]{2,12})\s*$")
_RUNNING_TITLE = re.compile(r"(?:保險|保险|壽險|寿险|條款|条款|Policy|Insurance)")
_BARE_NUMBER_LINE = re.compile(r"^\s*\d{1,4}\s*$")  # only dropped at the top or bottom of a page
# Lines that start a new unit and must never be glued onto the line before.
_HEADING_START = re.compile(
    rf"^\s*(?:第{_NUMERAL}[编章节条款]|\d+(?:\.\d+)*\.?\s|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[)）]|#)"
)
_STRUCTURE_HEADING = re.compile(rf"^\s*第{_NUMERAL}[编章节]")  # a chapter line is a heading, never body
_ENDS_MID_SENTENCE = re.compile(rf"[{_CJK}，、]$")
_STARTS_WITH_CJK = re.compile(rf"^[{_CJK}，。、；：」』）》]")  # a line the margin broke may start with a comma
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
    kept = [line for i, line in enumerate(lines) if not (
        _PAGE_NUMBER_LINE.match(line) or (_is_edge(i, len(lines)) and _PAGE_NUMBER_HEADER.match(line)))]
    edges = {i for i in (0, len(kept) - 1) if 0 <= i < len(kept)}
    return [line for i, line in enumerate(kept) if not (i in edges and _BARE_NUMBER_LINE.match(line))]


def _is_edge(index: int, count: int) -> bool:
    return index < _EDGE_LINES or index >= count - _EDGE_LINES


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", "".join(line.split()))


@dataclass(frozen=True)
class PageFurniture:
    """What a publisher prints on every page rather than once: the lines to drop, and what they tell."""

    repeated: frozenset[str]  # edge lines (digits set aside) that recur on most pages
    title: str | None  # a running product name, "南山人壽…終身保險（定期給付型）_2BTL"
    product_code: str | None  # "APKTPL", "2BTL"

    @classmethod
    def of(cls, pages: list[list[str]]) -> PageFurniture:
        seen: dict[str, int] = {}
        for lines in pages:
            for key in {_furniture_key(line) for i, line in enumerate(lines) if _is_edge(i, len(lines))}:
                seen[key] = seen.get(key, 0) + 1
        repeated = frozenset(k for k, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2))
        edge = [line.strip() for lines in pages[:1] for i, line in enumerate(lines) if _is_edge(i, len(lines))]
        # A page-number header names the page; the line beside it that names a product names the document.
        title = next((line for line in edge if (_furniture_key(line) in repeated or _PRODUCT_CODE.search(line))
                      and _RUNNING_TITLE.search(line) and not _PAGE_NUMBER_LINE.match(line)), None)
        codes = [m.group(1) or m.group(2) for line in edge for m in [_PRODUCT_CODE.search(line)] if m]
        return cls(repeated, title, codes[0] if codes else None)

    def clean(self, lines: list[str]) -> list[str]:
        return [line for i, line in enumerate(lines) if not (
            _is_edge(i, len(lines)) and (_furniture_key(line) in self.repeated or line.strip() == self.title))]


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


# Fonts map some glyphs to CJK compatibility ideographs or Kangxi radicals (U+F98E for 年, U+2F08 for 人):
# they look the same and match nothing a customer types. Only these are normalised; full-width
# punctuation stays as the document wrote it.
_LOOKALIKE = re.compile("[\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


def page_lines(text: str) -> list[str]:
    """A page's extracted text as its non-empty lines."""
    text = normalise_newlines(text).replace("\x00", "")
    text = _LOOKALIKE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def clean_page_text(text: str, furniture: PageFurniture | None = None) -> str:
    """One page's extracted text with page numbers and running headers removed and margin-broken Chinese
    lines joined."""
    lines = page_lines(text)
    if furniture is not None:
        lines = furniture.clean(lines)
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


def _visible(lines: list[str]) -> int:
    return sum(len("".join(line.split())) for line in lines)


def _read_scanned_pages(path: Path, raw: bytes, extracted: list[list[str]],
                        engine: str) -> tuple[list[list[str]], frozenset[int]]:
    """The pages' lines with OCR's in place of every (nearly) empty text layer, and the 1-based pages OCR
    read text on."""
    from knowledge.formats.ocr import OcrError, read_pdf_page

    read: set[int] = set()
    extracted = list(extracted)
    for index, lines in enumerate(extracted):
        if _visible(lines) >= MIN_CHARS_PER_PAGE:
            continue
        try:
            found = page_lines("\n".join(read_pdf_page(raw, index, engine)))
        except OcrError as err:
            raise DocumentError(f"{path}: page {index + 1} is a scanned image and OCR cannot run: {err}") from None
        except Exception as err:  # a page PDFium cannot render: the rest of the document still counts
            log.warning("%s: page %d could not be OCR'd (%s: %s)", path, index + 1, type(err).__name__, err)
            continue
        if _visible(found) > _visible(lines):
            extracted[index] = found
            read.add(index + 1)
    return extracted, frozenset(read)


def parse_pdf(path: Path, raw: bytes, options: ReadOptions) -> list[ParsedFile]:
    from pypdf.errors import DependencyError

    reader = _open(path, raw)
    extracted: list[list[str]] = []
    for number, page in enumerate(reader.pages, 1):
        try:
            extracted.append(page_lines(page.extract_text()))
        except DependencyError as err:  # AES-128 opens without cryptography; its page streams do not
            raise _needs_cryptography(path, err) from None
        except Exception as err:
            raise DocumentError(
                f"{path}: page {number} of the PDF cannot be read ({type(err).__name__}: {err}); "
                "the file may be corrupt, so export it again"
            ) from None
    ocr_pages = frozenset[int]()
    if options.ocr != "off":
        extracted, ocr_pages = _read_scanned_pages(path, raw, extracted, options.ocr)
    furniture = PageFurniture.of(extracted)
    pages = [clean_page_text("\n".join(lines), furniture) for lines in extracted]
    visible = sum(len("".join(page.split())) for page in pages)
    if visible < MIN_CHARS_PER_PAGE * len(pages):
        advice = ("OCR is off (DE_OCR=off): turn it on, or ingest a searchable PDF or its text"
                  if options.ocr == "off" else
                  "OCR read no text either: the scan may be blank, faint or a picture; ingest a clearer scan, "
                  "a searchable PDF or its text")
        raise DocumentError(
            f"{path}: a scanned image PDF without a text layer ({visible} characters of text on "
            f"{len(pages)} pages); {advice}"
        )
    page_starts: list[int] = []
    offset = 0
    for text in pages:
        page_starts.append(offset)
        offset += len(text) + 1  # pages are joined with "\n"
    title = _title(reader) or (_PRODUCT_CODE.sub("", furniture.title).strip() if furniture.title else None)
    metadata: dict[str, Any] = {"title": title} if title else {}
    if furniture.product_code:
        metadata["product_code"] = furniture.product_code
    return [
        ParsedFile(
            path=path,
            text="\n".join(pages),
            content_hash=sha256(raw),
            metadata=metadata,
            page_starts=tuple(page_starts),
            ocr_pages=ocr_pages,
        )
    ]
