"""Chinese text normalisation shared by indexing and querying: one script (Simplified), so a customer
typing 保險 in Traditional characters still finds 保险; and, for OCR, one script per page."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from functools import lru_cache
from typing import Any, Literal

Script = Literal["simplified", "traditional", ""]

_HAN = re.compile(r"[\u4e00-\u9fff]")
_CN_DIGIT = re.compile(r"[零〇一二两三四五六七八九十百千万]")
_NUMERAL = r"[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"
_CN_QUANTITY = re.compile(rf"(百分之)({_NUMERAL})|()({_NUMERAL})(?=个月|周岁|万元|年|月|日|天|岁|倍|元|%)")
_DAYS = re.compile(r"(\d)\s*天")
_QUANTITY = re.compile(r"\d+(?:\.\d+)?\s*(?:%|个月|周岁|万元|年|月|日|岁|倍|万|元|次)")
_HAN_RUNS = re.compile(r"[\u4e00-\u9fff]{2,}")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC's phrase tables; text without Han characters is returned as is."""
    if not _HAN.search(text):
        return text
    return str(_t2s().convert(text))


@lru_cache(maxsize=1)
def _s2tw() -> Any:
    import opencc

    return opencc.OpenCC("s2tw")


@lru_cache(maxsize=1)
def _script_only() -> tuple[frozenset[str], frozenset[str]]:
    """(characters only Simplified text uses, characters only Traditional text uses), from CC-CEDICT's
    character lists in zhon. 里, 后, 台 are in both scripts and belong to neither set."""
    from zhon import cedict

    simplified, traditional = frozenset(cedict.simplified), frozenset(cedict.traditional)
    return simplified - traditional, traditional - simplified


def dominant_script(text: str) -> Script:
    """The script most of the text's script-specific characters are written in; "" when neither leads."""
    simplified_only, traditional_only = _script_only()
    counts = Counter(_HAN.findall(text))
    simplified = sum(n for c, n in counts.items() if c in simplified_only)
    traditional = sum(n for c, n in counts.items() if c in traditional_only)
    return "traditional" if traditional > simplified else "simplified" if simplified > traditional else ""


def to_script(text: str, script: Script) -> str:
    """Text in one script: only the characters of the other script are converted (with OpenCC's phrase
    tables where the conversion keeps the length, so 头发 becomes 頭髮); a character both scripts use stays.
    For OCR, whose Chinese models emit 险 on a page that prints 險."""
    if not script:
        return text
    simplified_only, traditional_only = _script_only()
    foreign = simplified_only if script == "traditional" else traditional_only
    if not any(c in foreign for c in text):
        return text
    converter = _s2tw() if script == "traditional" else _t2s()
    converted = str(converter.convert(text))
    if len(converted) != len(text):  # a phrase changed length: convert the foreign characters one by one
        converted = "".join(str(converter.convert(c)) if c in foreign else c for c in text)
    return "".join(new if old in foreign else old for old, new in zip(text, converted, strict=True))


def normalise_numbers(text: str) -> str:
    """Chinese numerals that count something to digits (三十日 -> 30日, 百分之二点三五 -> 2.35%) and N天 ->
    N日, so a question saying "30天" matches a clause saying "三十日". Only numerals before a unit are
    touched: converting every 一 (一次性, 上一) cost 1.5 points of recall on insurance clauses.
    For matching only; never shown to anyone."""
    if _CN_DIGIT.search(text):
        text = _CN_QUANTITY.sub(_to_digits, text)
    return _DAYS.sub(r"\1日", text)


def _to_digits(match: re.Match[str]) -> str:
    import cn2an

    percent, numeral = match.group(1), match.group(2) or match.group(4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = cn2an.cn2an(numeral, "smart")
    except (ValueError, KeyError, IndexError):  # not a well-formed numeral (e.g. 十百): leave it
        return match.group(0)
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number}%" if percent else number


def quantities(text: str) -> list[str]:
    """Numbers with their unit as one token (3年, 30日, 2.35%): "3" alone matches every clause."""
    return _QUANTITY.findall(text)


def han_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of every run of Han characters: they match words a segmenter cut
    differently in the question and in the clause (等待期 / 等待 期)."""
    return [run[i : i + 2] for run in _HAN_RUNS.findall(text) for i in range(len(run) - 1)]
