"""Read a calculation's arguments from the customer's words: amount, term, days, a start date, abroad.

Chinese numerals become digits with cn2an ("十万" -> 100000, "三年" -> 3年), then regular expressions
pick each argument out; dates are read first and blanked so "11月1日" is never taken for a term or an
amount. Nothing here guesses: an argument not stated is absent, and the tool asks for it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]+")
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "twelve": 12, "a": 1, "an": 1, "half a": 0.5}
_EN_NUMBER = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _EN_NUMBERS), key=len, reverse=True))
                        + r")(?=[\s-]+(?:years?|months?|days?)\b)", re.IGNORECASE)

_ISO_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_DATE = re.compile(r"\b(\d{1,2})\s+(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?(?:,?\s+(\d{4}))?\b"
                      r"|\b(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b",
                      re.IGNORECASE)
_HALF_YEAR = re.compile(r"半年|half\s+a\s+year|six[- ]month", re.IGNORECASE)
_TERM = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个)?\s*(年|月|years?|yrs?|months?)(?:期)?", re.IGNORECASE)
_AGE = re.compile(r"(\d{1,3})\s*(?:周岁|岁|years?[- ]old|-year-old)|\baged?\s+(\d{1,3})\b", re.IGNORECASE)
_DAYS = re.compile(r"(\d+)\s*(?:天|日|days?)", re.IGNORECASE)
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s*%")
_AMOUNT = re.compile(
    r"(?:(?:¥|￥|RMB|CNY|rmb|cny)\s*)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万|千|k\b|w\b|thousand\b)?"
    r"\s*(元|块|人民币|yuan|RMB|CNY)?", re.IGNORECASE)
_UNIT = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "thousand": 1_000}
_MIN_BARE_AMOUNT = 100
_ABROAD = re.compile(r"境外|国外|海外|出国|abroad|overseas|outside (?:of )?china|foreign", re.IGNORECASE)


@dataclass(frozen=True)
class CalcArgs:
    amount: Decimal | None = None
    months: int | None = None  # a deposit term
    days: int | None = None  # days deposited before an early withdrawal
    start: date | None = None
    abroad: bool = False
    age: int | None = None  # the insured's age for a premium


def digits_for_numerals(text: str) -> str:
    """Chinese numerals as Arabic digits ("存十万三年" -> "存100000三年" -> ... "3年"); "半" is left alone."""
    import cn2an

    def convert(match: re.Match[str]) -> str:
        lead = re.match(r"[万亿千百点]*", match.group(0)).group(0)  # type: ignore[union-attr]
        run = match.group(0)[len(lead):]  # "10万三年": the "万" belongs to the 10 before it
        if not run:
            return lead
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = cn2an.cn2an(run, "smart")
        except (ValueError, KeyError, IndexError):
            return lead + run
        return lead + str(int(value)) if float(value).is_integer() else lead + str(value)

    text = _CN_RUN.sub(convert, text)
    return _EN_NUMBER.sub(lambda m: str(_EN_NUMBERS[m.group(1).lower()]), text)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_date(text: str, today: date) -> tuple[date | None, str]:
    """The first date stated, and the text with it blanked out."""
    if m := _ISO_DATE.search(text):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))), text[: m.start()] + " " + text[m.end():]
    if m := _MONTH_DAY.search(text):
        return _valid(today.year, int(m.group(1)), int(m.group(2))), text[: m.start()] + " " + text[m.end():]
    if m := _EN_DATE.search(text):
        if m.group(2):
            day, month, year = m.group(1), m.group(2), m.group(3)
        else:
            month, day, year = m.group(4), m.group(5), m.group(6)
        found = _valid(int(year) if year else today.year, _EN_MONTHS.index(month[:3].lower()) + 1, int(day))
        return found, text[: m.start()] + " " + text[m.end():]
    return None, text


def extract_args(text: str, today: date | None = None) -> CalcArgs:
    today = today or date.today()
    text = digits_for_numerals(text)
    start, text = _find_date(text, today)
    text = _PERCENT.sub(" ", text)
    age = None
    if m := _AGE.search(text):
        age, text = int(m.group(1) or m.group(2)), text[: m.start()] + " " + text[m.end():]
    months: int | None = None
    if _HALF_YEAR.search(text):
        months, text = 6, _HALF_YEAR.sub(" ", text)
    if months is None and (m := _TERM.search(text)):
        number, unit = Decimal(m.group(1)), m.group(2).lower()
        total = number * 12 if unit in ("年",) or unit.startswith("y") else number
        months = int(total) if total == int(total) else None
        text = text[: m.start()] + " " + text[m.end():]
    days = None
    if m := _DAYS.search(text):
        days, text = int(m.group(1)), text[: m.start()] + " " + text[m.end():]
    amount = None
    for m in _AMOUNT.finditer(text):
        whole = m.group(1).replace(",", "")
        value = Decimal(f"{whole}.{m.group(2)}" if m.group(2) else whole)
        unit = (m.group(3) or "").lower()
        if unit:
            value *= _UNIT[unit]
        bare = not (unit or m.group(4) or m.group(0)[:1] in "¥￥RrCc")
        if bare and value < _MIN_BARE_AMOUNT:
            continue  # "一次" -> "1次", "一下": a small bare number is no sum of money
        if value > 0:
            amount = value.to_integral_value() if value == value.to_integral_value() else value
            break
    return CalcArgs(amount=amount, months=months, days=days, start=start, abroad=bool(_ABROAD.search(text)),
                    age=age)
