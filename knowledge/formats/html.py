"""HTML: the readable text of a saved web page, with h1..h6 as Markdown headings.

Word's "Save as web page" writes no ``<h*>``: its headings are paragraphs set in bold
(``<p><b><span>保险责任</span></b></p>``), and an article's number is a bold run glued to its text
(``<b><span>第五条</span></b><span>投保人…</span>``). A short paragraph wholly in bold becomes a ``##``
heading; a numbered one (第五条, 一、, 5.3) stays a line, for the chunker to read its number.

Pages from Chinese regulators and banks are often GBK/GB2312, declared in ``<meta charset>``; the
declaration is honoured (GB encodings are read as GB18030, their superset) unless the bytes are valid
UTF-8, the usual case of a page re-saved without fixing its declaration. Scripts, styles and the
site's navigation, header and footer are dropped; paragraphs and list items each get a line, tables
become Markdown tables (``knowledge.formats.tables``), and whitespace is collapsed the way a browser
collapses it.
"""

from __future__ import annotations

import codecs
import logging
import re
import warnings
from pathlib import Path
from typing import Any

from knowledge.formats.tables import markdown_table
from knowledge.parsing import DocumentError, ParsedFile, ReadOptions, decode_bytes, normalise_newlines, sha256

log = logging.getLogger(__name__)

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_GB_CODECS = {"gbk", "gb2312", "cp936", "gb18030", "hz"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

# Not content: code, and the site's chrome around the page's own text.
_DROPPED = ("script", "style", "noscript", "template", "nav", "iframe", "svg", "head")
# A <header>/<footer> inside an article or section is that article's own header (often its h1), not the site's.
_SITE_CHROME = ("header", "footer")
_SECTIONING = ("article", "main", "section")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption "
    "figure form hr html li main ol p section summary table tbody tfoot thead ul".split()
)
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_BOLD_TAGS = ("b", "strong")
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)
_MAX_BOLD_HEADING = 40
# Numbered lines keep their number for the chunker (knowledge.chunking), which knows its level.
_NUMBERED = re.compile(r"^(?:第\s*[一二三四五六七八九十百千零〇两兩\d]|[一二三四五六七八九十]+、|[（(]"
                       r"|\d+(?:\.\d+)*[.、\s]|(?:chapter|part|section|article|clause)\s)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。.;；:：,，!?！？]$")
# CSS Text 3: a line break in the source between two Chinese characters is removed, not shown as a space.
_CJK_SEGMENT_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")


def _codec(name: bytes) -> str | None:
    try:
        codec = codecs.lookup(name.decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return "gb18030" if codec in _GB_CODECS else codec


def decode_html(raw: bytes, path: Path) -> str:
    """The page's text: BOM, then valid UTF-8, then the declared charset, then detection."""
    for bom, bom_codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(bom_codec, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _DECLARED_CHARSET.search(raw[:8192])
    codec = _codec(declared.group(1) or declared.group(2)) if declared else None
    if codec and codec != "utf-8":
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            log.warning("%s: declares charset %s but does not decode as it; detecting instead", path, codec)
    return decode_bytes(raw, path)


def _collapse(text: str) -> str:
    return " ".join(_CJK_SEGMENT_BREAK.sub("", text).split())


class _Lines:
    """Text gathered into lines: inline text accumulates, block boundaries end the line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._inline: list[str] = []

    def add_inline(self, text: str) -> None:
        self._inline.append(text)

    def end_line(self) -> None:
        line = _collapse("".join(self._inline))
        self._inline = []
        if line:
            self.lines.append(line)

    def add_line(self, line: str) -> None:
        self.end_line()
        if line.strip():
            self.lines.append(line)


def _inline_text(tag: Any) -> str:
    """An element's text on one line (a heading, a table cell)."""
    inner = _Lines()
    _walk(tag, inner)
    inner.end_line()
    return " ".join(inner.lines)


def _walk(node: Any, out: _Lines) -> None:
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                out.add_inline(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in _HEADINGS:
            text = _inline_text(child)
            out.add_line(f"{'#' * _HEADINGS[name]} {text}" if text else "")
        elif name == "table":
            out.end_line()
            rows = [[_inline_text(cell) for cell in tr.find_all(("td", "th"), recursive=False)]
                    for tr in child.find_all("tr") if tr.find_parent("table") is child]
            for line in markdown_table(rows):
                out.add_line(line)
        elif name == "pre":
            out.end_line()
            for line in normalise_newlines(child.get_text()).split("\n"):
                out.add_line(line.rstrip())
        elif name == "p" and _bold_heading(child):
            out.add_line(f"## {_inline_text(child)}")
        elif name == "br":
            out.end_line()
        elif name in _BLOCKS:
            out.end_line()
            _walk(child, out)
            out.end_line()
        else:
            _walk(child, out)


def _is_bold(tag: Any) -> bool:
    return any(t.name in _BOLD_TAGS or _BOLD_STYLE.search(str(t.get("style", "")))
               for t in (tag, *tag.parents) if getattr(t, "name", None) and t.name != "[document]")


def _bold_heading(paragraph: Any) -> bool:
    """A short paragraph all of whose text is bold, and that is neither a sentence nor numbered."""
    from bs4 import NavigableString
    from bs4.element import PreformattedString

    runs = [t for t in paragraph.descendants
            if isinstance(t, NavigableString) and not isinstance(t, PreformattedString) and t.strip()]
    text = _collapse("".join(runs))
    if not runs or not text or len(text) > _MAX_BOLD_HEADING or _NUMBERED.match(text) or _SENTENCE_END.search(text):
        return False
    return all(_is_bold(t.parent) for t in runs)


def _drop_non_content(soup: Any) -> None:
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    for tag in soup.find_all(_SITE_CHROME):
        if tag.find_parent(_SECTIONING) is None:
            tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        if tag.has_attr("hidden") or _HIDDEN_STYLE.search(str(tag.get("style", ""))):
            tag.decompose()


def parse_html(path: Path, raw: bytes, options: ReadOptions) -> list[ParsedFile]:
    from bs4 import BeautifulSoup

    markup = decode_html(raw, path)
    try:
        with warnings.catch_warnings():  # bs4 warns about XHTML and about markup that looks like a file name
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(markup, "lxml")
        title = _collapse(soup.title.get_text()) if soup.title is not None else ""
        _drop_non_content(soup)
        out = _Lines()
        _walk(soup.body or soup, out)
        out.end_line()
    except Exception as err:  # bs4/lxml on pathological markup; the message says which file
        raise DocumentError(f"{path}: the HTML cannot be parsed ({type(err).__name__}: {err})") from None
    text = "\n".join(out.lines)
    if not text.strip():
        raise DocumentError(
            f"{path}: the page has no readable text once scripts, styles and navigation are removed; "
            "save the page after it has loaded, or its printable version"
        )
    if not title:
        first_h1 = next((line[2:] for line in out.lines if line.startswith("# ")), "")
        title = first_h1
    return [ParsedFile(path=path, text=text, content_hash=sha256(raw), metadata={"title": title} if title else {})]
