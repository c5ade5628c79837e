"""Word's automatic numbering: the numbers Word draws in front of a paragraph but never stores in its text.

A policy written with a numbered-list style ("第%1条", "%1.", "（%1）") has article numbers that exist only
in ``numbering.xml``: the paragraph says ``<w:numPr><w:numId w:val="7"/><w:ilvl w:val="0"/></w:numPr>`` and
Word counts. Without them the chunker sees no 第五条, and a citation cannot name the article. This module
counts as Word does (a counter per list and level, deeper levels restart when a shallower one advances,
``w:start`` and ``w:startOverride`` honoured) and renders the level's text in its number format: decimal,
Chinese counting (一、二十三), financial capitals (壹贰叁), 甲乙丙, letters, Roman numerals, circled digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
_PLACEHOLDER = re.compile(r"%([1-9])")


def _val(element: Any, tag: str) -> str | None:
    found = element.find(f"{_W}{tag}") if element is not None else None
    return found.get(f"{_W}val") if found is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    """a..z, then aa, bb, ... as Word continues."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    from cn2an import an2cn

    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand",
               "japaneseCounting", "ideographDigital"):
        return str(an2cn(n)) if fmt != "ideographDigital" else "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return str(an2cn(n, "up"))
    if fmt in ("ideographTraditional", "ideographZodiac") and 1 <= n <= len(_STEMS):
        return _STEMS[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= len(_CIRCLED):
        return _CIRCLED[n - 1]
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "decimalFullWidth":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt in ("lowerLetter", "upperLetter"):
        return _letters(n) if fmt == "lowerLetter" else _letters(n).upper()
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n) if fmt == "lowerRoman" else _roman(n).upper()
    return str(n)  # decimal and the formats of other scripts


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str
    legal: bool = False  # w:isLgl: every number in this level's text in Arabic digits ("2.2.1", not "二.二.1")


@dataclass
class Numbering:
    """The document's list definitions and the counters, advanced paragraph by paragraph in body order."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)  # abstract id -> level -> definition
    lists: dict[str, str] = field(default_factory=dict)  # num id -> abstract id
    starts: dict[tuple[str, int], int] = field(default_factory=dict)  # (num id, level) -> startOverride
    counters: dict[str, dict[int, int]] = field(default_factory=dict)  # abstract id -> level -> count
    restarted: set[str] = field(default_factory=set)  # num ids whose startOverride has been applied

    @classmethod
    def of(cls, document: Any) -> Numbering:
        """The numbering of a python-docx Document (none when it has no numbering part)."""
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return cls()
        numbering = cls()
        for abstract in root.findall(f"{_W}abstractNum"):
            levels = {}
            for lvl in abstract.findall(f"{_W}lvl"):
                level = _int(lvl.get(f"{_W}ilvl"), 0)
                levels[level] = _Level(_int(_val(lvl, "start"), 1), _val(lvl, "numFmt") or "decimal",
                                       _val(lvl, "lvlText") or "", lvl.find(f"{_W}isLgl") is not None)
            numbering.levels[abstract.get(f"{_W}abstractNumId")] = levels
        for num in root.findall(f"{_W}num"):
            num_id = num.get(f"{_W}numId")
            numbering.lists[num_id] = _val(num, "abstractNumId") or ""
            for override in num.findall(f"{_W}lvlOverride"):
                start = _val(override, "startOverride")
                if start is not None:
                    numbering.starts[(num_id, _int(override.get(f"{_W}ilvl"), 0))] = _int(start, 1)
        return numbering

    def label(self, num_id: str, level: int) -> str | None:
        """Advance the list's counter at ``level`` and return the number Word draws, or None for a
        bullet, an unnumbered level or a list the document does not define."""
        abstract = self.lists.get(num_id)
        levels = self.levels.get(abstract or "")
        if not levels or level not in levels or num_id == "0":
            return None
        counts = self.counters.setdefault(abstract or "", {})
        if num_id not in self.restarted and any(key[0] == num_id for key in self.starts):
            self.restarted.add(num_id)
            counts.clear()
            for (nid, lvl), start in self.starts.items():
                if nid == num_id:
                    counts[lvl] = start - 1
        counts[level] = counts.get(level, levels[level].start - 1) + 1
        for deeper in [k for k in counts if k > level]:
            del counts[deeper]  # a new article restarts its clauses
        definition = levels[level]
        if definition.fmt in ("bullet", "none") or not definition.text:
            return None

        def number(match: re.Match[str]) -> str:
            at = int(match.group(1)) - 1
            spec = levels.get(at)
            value = counts.get(at, spec.start if spec else 1)
            return format_number(value, "decimal" if definition.legal or spec is None else spec.fmt)

        return _PLACEHOLDER.sub(number, definition.text).strip() or None


def paragraph_numbering(paragraph: Any) -> tuple[str, int] | None:
    """(num id, level) of a paragraph's list numbering, set on the paragraph or inherited from its style."""
    ppr = paragraph._p.find(f"{_W}pPr")
    num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
    num_id, level = (_val(num_pr, "numId"), _val(num_pr, "ilvl")) if num_pr is not None else (None, None)
    style = paragraph.style
    for _ in range(5):  # the style chain, for what the paragraph does not set itself
        if num_id is not None and level is not None or style is None:
            break
        sppr = style.element.find(f"{_W}pPr")
        snum = sppr.find(f"{_W}numPr") if sppr is not None else None
        if snum is not None:
            num_id = num_id if num_id is not None else _val(snum, "numId")
            level = level if level is not None else _val(snum, "ilvl")
        style = style.base_style
    if num_id is None or num_id == "0":
        return None
    return num_id, _int(level, 0)
