"""Answer text -> what a voice should say: numbers, dates, money and percentages read out, markup gone.

TTS engines read "2.35%" as "two dot three five percent sign" or skip it, and a bank's answers are
full of rates, dates, amounts and clause numbers, so every one is spelled out here before synthesis, in
the reading a customer expects (2.35% -> 百分之二点三五, ¥50,000 -> 五万元, 3.5% -> three point five
percent). Citation markers ([1]) and Markdown are for the eye only and are dropped.
``SentenceSplitter`` cuts a streamed answer into speakable sentences so speech starts early.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import cn2an
from num2words import num2words

Language = Literal["zh", "en"]

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
# 400-820-8820, 021-6888-1234: a telephone number, not a range.
_PHONE = re.compile(r"(?<![\d.])(\d{3,4})-(\d{3,4})-(\d{4})(?!\d)")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def detect_language(text: str) -> Language:
    """zh when the text holds any Han character (Chinese answers quote English product names, not vice versa)."""
    return "zh" if _HAN.search(text) else "en"


# ---- markup --------------------------------------------------------------------------------------
_MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"```.*?```", re.S), " "),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]\d][^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\s*\[\s*\d+(?:\s*[,，、\-–]\s*\d+)*\s*\]"), ""),  # citation markers [1] [1,2] [1-3]
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*>\s?", re.M), ""),
    (re.compile(r"^\s*(?:[-*+•]|\d+[.)、])\s+", re.M), ""),
    (re.compile(r"(\*\*|__|\*|`|~~)"), ""),
    (re.compile(r"\s*\|\s*"), " "),
)


def strip_markup(text: str) -> str:
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return re.sub(r"[ \t]+", " ", text).strip()


# ---- Chinese -------------------------------------------------------------------------------------
_DIGITS_ZH = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


def _zh_number(number: str) -> str:
    plain = number.replace(",", "")
    if len(plain) > 1 and plain.startswith("0") and not plain.startswith("0."):
        return _zh_digits(plain)
    return str(cn2an.an2cn(plain))


def _zh_digits(number: str) -> str:
    return "".join(_DIGITS_ZH.get(c, c) for c in number)


def _zh_date(year: str | None, month: str | None, day: str | None) -> str:
    out = f"{_zh_digits(year)}年" if year else ""
    out += f"{_zh_number(str(int(month)))}月" if month else ""
    out += f"{_zh_number(str(int(day)))}日" if day else ""
    return out


_ZH_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:日)?"), lambda m: _zh_date(*m.groups())),
    (re.compile(r"(\d{4})年(?:(\d{1,2})月)?(?:(\d{1,2})[日号])?"), lambda m: _zh_date(*m.groups())),
    (re.compile(r"(\d{1,2})月(\d{1,2})[日号]"), lambda m: _zh_date(None, *m.groups())),
    (re.compile(rf"(?:[¥￥]|RMB|CNY)\s?({_NUM})\s?(万|亿)?元?"), lambda m: f"{_zh_number(m[1])}{m[2] or ''}元"),
    (re.compile(rf"(?:US)?\$\s?({_NUM})\s?(万|亿)?"), lambda m: f"{_zh_number(m[1])}{m[2] or ''}美元"),
    (re.compile(rf"({_NUM})\s?[%％]?\s?[-~～至到]\s?({_NUM})\s?[%％]"),
     lambda m: f"百分之{_zh_number(m[1])}至百分之{_zh_number(m[2])}"),
    (re.compile(rf"({_NUM})\s?[%％]"), lambda m: f"百分之{_zh_number(m[1])}"),
    (_PHONE, lambda m: "，".join(_zh_digits(part) for part in m.groups())),
    (re.compile(rf"({_NUM})\s?[-~～]\s?({_NUM})"), lambda m: f"{_zh_number(m[1])}至{_zh_number(m[2])}"),
    # Phone, account and hotline numbers are read digit by digit; amounts (followed by a unit) are not.
    (re.compile(r"(?<![\d.])(\d{5,})(?![\d.,]|\s?[元万亿年天日个月人份岁次笔])"), lambda m: _zh_digits(m[1])),
    (re.compile(_NUM), lambda m: _zh_number(m[0])),
    (re.compile(r"(?<=[\u4e00-\u9fff])/(?=[\u4e00-\u9fff])"), lambda m: "每"),
    (re.compile(r"&"), lambda m: "和"),
)


# ---- English -------------------------------------------------------------------------------------
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _en_number(number: str) -> str:
    plain = number.replace(",", "")
    if len(plain) > 1 and plain.startswith("0") and not plain.startswith("0."):
        return _en_digits(plain)
    value: int | float = float(plain) if "." in plain else int(plain)
    return str(num2words(value)).replace(",", "").replace("-", " ")


def _en_digits(number: str) -> str:
    return " ".join(_DIGITS_EN[int(c)] for c in number if c.isdigit())


def _en_date(year: str, month: str, day: str | None) -> str:
    m = int(month)
    if not 1 <= m <= 12:
        return f"{year} {month} {day or ''}"
    spoken_year = str(num2words(int(year), to="year")).replace("-", " ")
    if day is None:
        return f"{_MONTHS[m - 1]} {spoken_year}"
    return f"{_MONTHS[m - 1]} {num2words(int(day), to='ordinal')}, {spoken_year}"


def _en_money(amount: str, unit: str) -> str:
    plain = amount.replace(",", "")
    whole, _, cents = plain.partition(".")
    spoken = f"{_en_number(whole)} {unit}"
    if cents and int(cents):
        spoken += f" and {_en_number(cents[:2].ljust(2, '0'))} cents"
    return spoken


_EN_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), lambda m: _en_date(*m.groups())),
    (re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?"), lambda m: _en_date(*m.groups())),
    (re.compile(rf"(?:US)?\$\s?({_NUM})"), lambda m: _en_money(m[1], "dollars")),
    (re.compile(rf"(?:[¥￥]|\bRMB|\bCNY)\s?({_NUM})"), lambda m: _en_money(m[1], "yuan")),
    (re.compile(rf"({_NUM})\s?(?:RMB|CNY)\b"), lambda m: _en_money(m[1], "yuan")),
    (re.compile(rf"({_NUM})\s?%?\s?(?:-|–|~|to)\s?({_NUM})\s?%"),
     lambda m: f"{_en_number(m[1])} to {_en_number(m[2])} percent"),
    (re.compile(rf"({_NUM})\s?%"), lambda m: f"{_en_number(m[1])} percent"),
    (_PHONE, lambda m: ", ".join(_en_digits(part) for part in m.groups())),
    (re.compile(rf"\b({_NUM})\s?[-–~]\s?({_NUM})\b"), lambda m: f"{_en_number(m[1])} to {_en_number(m[2])}"),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"), lambda m: str(num2words(int(m[1]), to="ordinal"))),
    (re.compile(r"(?<![\d.,])\b(1[89]\d\d|20\d\d)\b(?![.,]\d)"),
     lambda m: str(num2words(int(m[1]), to="year")).replace("-", " ")),
    (re.compile(r"(?<![\d.,])(\d{5,})(?![\d,]|\.\d)"), lambda m: _en_digits(m[1])),
    (re.compile(_NUM), lambda m: _en_number(m[0])),
    (re.compile(r"&"), lambda m: " and "),
)


def normalize(text: str, language: Language) -> str:
    """Spell out numbers, dates, money, percentages and ranges for ``language``; Markdown and citations go."""
    text = strip_markup(text)
    for pattern, replace in _ZH_RULES if language == "zh" else _EN_RULES:
        text = pattern.sub(replace, text)
    return re.sub(r"\s+", " ", text).strip()


# ---- sentences -----------------------------------------------------------------------------------
# A sentence ends at Chinese or English terminal punctuation (plus closing quotes), at a newline, or at a
# period followed by white space (never inside 2.35).
_BOUNDARY = re.compile(r"[。！？!?；;]+[”’\"')）]*|\n+|\.(?=\s)[”’\"')）]*")


class SentenceSplitter:
    """Cuts a stream of answer tokens into speakable sentences, as soon as each is complete.

    ``push(token)`` returns the sentences that token completed; ``flush()`` the rest at the end.
    Fragments shorter than ``min_chars`` are held and joined to the next, so the voice does not
    stutter over "1." or "注：".
    """

    def __init__(self, min_chars: int = 6) -> None:
        self.min_chars = min_chars
        self._buffer = ""

    def push(self, token: str) -> list[str]:
        self._buffer += token
        sentences: list[str] = []
        start = 0
        for match in _BOUNDARY.finditer(self._buffer):
            if match.end() == len(self._buffer) and match.group().startswith("."):
                break  # wait: a period at the very end may still be a decimal point
            candidate = self._buffer[start:match.end()]
            if len(_speakable(candidate)) >= self.min_chars:
                sentences.append(candidate.strip())
                start = match.end()
        self._buffer = self._buffer[start:]
        return [s for s in sentences if _speakable(s)]

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if _speakable(rest) else []


def _speakable(text: str) -> str:
    return re.sub(r"[\W_]+", "", strip_markup(text))


def split_sentences(text: str, min_chars: int = 6) -> list[str]:
    splitter = SentenceSplitter(min_chars)
    return splitter.push(text) + splitter.flush()
