"""Check, sentence by sentence, that the answer says only what its evidence says.

Lexical support, deterministic and language-aware: the share of a sentence's terms (Chinese character
bigrams, English words) found in an evidence text, and every number of the sentence present there. A
sentence keeps the citations that support it, gains the best-supporting one when it cited none or the
wrong one, and is dropped when no evidence supports it.

Numbers compare by value and unit class, whatever the notation: 80% = 百分之八十 = 八成 = 0.8 = 80 percent,
三十日 = 30天 = 30 days, 一万元 = 10,000元 = 1万元 = CNY 10,000, 两年 = 2年, full-width digits too. A
policy writes 百分之八十 where a model writes 80%; comparing digit strings took a correct answer back.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

MIN_SUPPORT = 0.5
_MIN_CONTENT_TERMS = 3  # shorter sentences ("可以。", "No.") carry no claim of their own
# A sentence with figures is attributed among the evidence that holds all its figures and at least this
# share of MIN_SUPPORT: a rate table states "| 3年 | 2.35% |" in few words, yet it is the clause to cite.
_ATTRIBUTION_FLOOR = 0.5

_MARKER = re.compile(r"\[(\d+)\]")
# A sentence may open with a list number ("1. 既往症……；", "(2) We do not pay……"): it is no sentence of its own.
_SENTENCE = re.compile(r"(?:\s*(?:\d{1,2}[.、]|[(（]\d{1,2}[)）])\s+)?.+?(?:[。！？!?；;]+|(?<=[a-z0-9)\]%])\.(?=\s|$)|\n+|$)(?:\s*(?:\[\d+\])+)?", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z]+")
_EN_STOP = frozenset("the a an of to and or is are be in on for at by with it its this that your you we our "
                     "will can may if as from after before not no any".split())

# ---- numbers by value --------------------------------------------------------------------------------

_WIDE = str.maketrans("０１２３４５６７８９％．萬億兩點", "0123456789%.万亿两点")
_CN_NUM = "零〇一二两三四五六七八九十百千万亿"
_CN_NUMERAL = rf"[零〇一二两三四五六七八九十][{_CN_NUM}]*(?:点[零〇一二三四五六七八九]+)?"
_CN_UNIT = r"个月|个工作日|工作日|周岁|万元|亿元|元|年|月|日|天|岁|小时|周|倍|%|万|亿"
# 百分之八十; a numeral before a unit (三十日, 两年, 一万元) or after 第 (第八条); 八成. A bare 一 is left
# alone elsewhere (一般, 统一, 一次性), and so is 一 in 同一日, 每一年: words, not quantities.
_CN_QUANTITY = re.compile(
    r"(?P<word>[同每某这那当前后上下]一)(?=[日天月年])"
    rf"|百分之(?P<pct>{_CN_NUMERAL}|百)"
    rf"|(?<=第)(?P<ord>{_CN_NUMERAL})"
    rf"|(?P<num>{_CN_NUMERAL})(?=\s*(?:{_CN_UNIT}))"
    rf"|(?P<tenth>[一二两三四五六七八九]|(?<![\d.])\d)成(?![为功本立年员交熟人品])"
)
_QUANTITY = re.compile(
    r"(?P<cur>(?:cny|rmb|¥|￥)\s*)?(?<![\d.])(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<mult>万|亿|千|million\b|billion\b|thousand\b))?"
    r"(?:\s*-?\s*(?P<unit>%|‰|percent\b|per\s*cent\b|万元|亿元|元|块|yuan\b|cny\b|rmb\b|个月|个工作日|工作日"
    r"|周岁|岁|年|月|日|天|小时|周|working\s+days?\b|business\s+days?\b|days?\b|months?\b|years?\b"
    r"|hours?\b|weeks?\b))?",
    re.IGNORECASE,
)
_MULTIPLIER = {"万": 10_000, "亿": 100_000_000, "千": 1_000, "thousand": 1_000, "million": 1_000_000,
               "billion": 1_000_000_000}
_UNIT_CLASS = {
    "%": "%", "percent": "%", "‰": "‰",
    "元": "元", "块": "元", "yuan": "元", "cny": "元", "rmb": "元", "万元": "万元", "亿元": "亿元",
    "个月": "m", "月": "m", "month": "m", "months": "m", "年": "y", "year": "y", "years": "y",
    "日": "d", "天": "d", "day": "d", "days": "d", "个工作日": "wd", "工作日": "wd", "working days": "wd",
    "working day": "wd", "business days": "wd", "business day": "wd",
    "小时": "h", "hour": "h", "hours": "h", "周": "w", "week": "w", "weeks": "w", "周岁": "岁", "岁": "岁",
}


@dataclass(frozen=True)
class Quantity:
    """A number by value with its unit class: "%" (the value as a fraction, 80% -> 0.8), "元", "d", "wd",
    "m", "y", "h", "w", "岁", or "" for a plain number."""

    value: Decimal
    unit: str = ""

    def matches(self, other: Quantity) -> bool:
        """Same value, and the same unit class unless one of the two is a plain number (a table cell
        "30" under a header "days" states 30 days): 0.8 matches 80%, a plain 80 does not."""
        return self.value == other.value and (self.unit == other.unit or not self.unit or not other.unit)


def _cn_value(numeral: str) -> Decimal | None:
    import cn2an

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Decimal(str(cn2an.cn2an(numeral, "smart")))
    except (ValueError, KeyError, IndexError, InvalidOperation):  # not a well-formed numeral (十百)
        return None


def _digit_form(match: re.Match[str]) -> str:
    if match.group("word"):
        return match.group(0)
    numeral = next(g for g in (match.group("pct"), match.group("ord"), match.group("num"), match.group("tenth")) if g)
    value = Decimal(numeral) if numeral.isdigit() else _cn_value("一百" if numeral == "百" else numeral)
    if value is None:
        return match.group(0)
    if match.group("tenth"):
        return f"{value * 10:f}%"
    return f"{value.normalize():f}" + ("%" if match.group("pct") else "")


@lru_cache(maxsize=8192)
def with_digits(text: str) -> str:
    """``text`` with full-width digits made ASCII and Chinese numerals that count something written in
    digits (百分之八十 -> 80%, 三十日 -> 30日, 八成 -> 80%). For comparing only; never shown to anyone."""
    return _CN_QUANTITY.sub(_digit_form, text.translate(_WIDE))


@lru_cache(maxsize=8192)
def quantities(text: str) -> frozenset[Quantity]:
    """The numbers ``text`` states, by value and unit class, whatever notation it writes them in."""
    found = set()
    for m in _QUANTITY.finditer(with_digits(text).lower()):
        value = Decimal(m.group("n").replace(",", ""))
        if m.group("mult"):
            value *= _MULTIPLIER[m.group("mult")]
        unit = _UNIT_CLASS.get(re.sub(r"\s+", " ", m.group("unit") or "").replace("per cent", "percent"),
                               "元" if m.group("cur") else "")
        if unit in ("万元", "亿元"):
            value, unit = value * _MULTIPLIER[unit[0]], "元"
        elif unit in ("%", "‰"):
            value, unit = value / (100 if unit == "%" else 1000), "%"
        found.add(Quantity(value.normalize(), unit))
    return frozenset(found)


def _states_all(said: frozenset[Quantity], stated: frozenset[Quantity]) -> bool:
    return all(any(q.matches(s) for s in stated) for q in said)


# ---- terms and support -------------------------------------------------------------------------------


def _terms(text: str) -> set[str]:
    text = with_digits(text).lower()
    cjk = "".join(_CJK.findall(text))
    bigrams = {cjk[i : i + 2] for i in range(len(cjk) - 1)}
    words = {w for w in _WORD.findall(text) if w not in _EN_STOP and len(w) > 1}
    return bigrams | words


def support(sentence: str, evidence: str) -> float:
    """Share of the sentence's terms found in the evidence; 0 when a number is not in the evidence."""
    if not _states_all(quantities(sentence), quantities(evidence)):
        return 0.0
    terms = _terms(sentence)
    if not terms:
        return 0.0
    return len(terms & _terms(evidence)) / len(terms)


def carries_claim(sentence: str) -> bool:
    """Whether a sentence states something evidence must support ("可以。" and "No." do not)."""
    return len(_terms(sentence)) >= _MIN_CONTENT_TERMS or bool(quantities(sentence))


def best_support(sentence: str, evidence_texts: list[str]) -> float:
    return max((support(sentence, ev) for ev in evidence_texts), default=0.0)


def _passages(evidence: str) -> list[str]:
    """The lines of an evidence text, headings left out, each table row with its table's header row:
    the smallest pieces that state something on their own."""
    passages: list[str] = []
    header: str | None = None
    for line in (raw.strip() for raw in evidence.splitlines()):
        if not line.startswith("|"):
            header = None
            if line and not line.startswith("#"):
                passages.append(line)
        elif header is None:
            header = line
        elif not re.fullmatch(r"[|\s:-]+", line):
            passages.append(f"{header}\n{line}")
    return passages


def _precision(claim: str, passage: str) -> float:
    """How exactly ``passage`` states the figures of ``claim``: the share of its numbers the claim says
    (1.0 for the rate table's row "| 3年 | 2.35% |", little for a worked example using the rate), 0 when
    it lacks one of them."""
    said, stated = quantities(claim), quantities(passage)
    if not said or not _states_all(said, stated):
        return 0.0
    return sum(any(s.matches(q) for q in said) for s in stated) / len(stated)


def figure_precision(claim: str, evidence: str) -> float:
    """The best :func:`_precision` of any passage of ``evidence``."""
    return max((_precision(claim, p) for p in _passages(evidence)), default=0.0)


def attribute(claim: str, evidence_texts: Sequence[str], cited: Sequence[int] = (),
              min_support: float = MIN_SUPPORT) -> list[int]:
    """The evidence numbers (1-based) ``claim`` rests on; empty when no evidence supports it.

    The one judgement the streamed voice and the final reply both make. A claim is supported when an
    evidence holds its figures and at least ``min_support`` of its terms. It keeps the citations the
    model wrote that support it, except that a claim with figures is cited to the passage stating them
    most exactly: "三年期定期存款利率为2.35%" rests on the rate table, not on the early-withdrawal example
    that also mentions 2.35%.
    """
    scores = [support(claim, ev) for ev in evidence_texts]
    if max(scores, default=0.0) < min_support:
        return []
    cited = [n for n in dict.fromkeys(cited) if 1 <= n <= len(evidence_texts)]
    if quantities(claim):
        floor = min_support * _ATTRIBUTION_FLOOR
        rank = {i + 1: (figure_precision(claim, ev), s) for i, (ev, s) in enumerate(zip(evidence_texts, scores,
                                                                                      strict=True)) if s >= floor}
        best = max(rank, key=lambda n: rank[n])
        good = [n for n in cited if n in rank and rank[n][0] >= rank[best][0] and rank[n][1] >= min_support]
        return good or [best]
    good = [n for n in cited if scores[n - 1] >= min_support]
    return good or [max(range(len(scores)), key=lambda i: scores[i]) + 1]


def _best_piece(claim: str, pieces: list[str]) -> int:
    return max(range(len(pieces)), key=lambda i: (_precision(claim, pieces[i]), support(claim, pieces[i]), -i))


def supporting_passage(claims: Sequence[str], text: str, limit: int | None = None) -> str:
    """The passages of ``text`` that state ``claims`` (their figures first, then their words), in the
    order ``text`` has them: what a citation quotes, rather than the chunk's first characters. Over
    ``limit`` characters, each passage gives way to its sentence that states the claim."""
    passages = _passages(text)
    if not passages:
        return text.strip()
    chosen = sorted({_best_piece(claim, passages) for claim in claims} or {0})
    pieces = [passages[i] for i in chosen]
    if limit is not None and len("\n".join(pieces)) > limit:
        shorter: list[str] = []
        for piece in pieces:
            sentences = [x.strip() for x in split_sentences(piece) if x.strip()] or [piece]
            picked = sorted({_best_piece(claim, sentences) for claim in claims} or {0})
            shorter.extend(sentences[i] for i in picked)
        pieces = list(dict.fromkeys(shorter))
    return "\n".join(pieces)


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def sentence_key(sentence: str) -> str:
    """What two sentences share when one repeats the other (markers, punctuation and case aside)."""
    return re.sub(r"[\W_]+", "", _MARKER.sub("", sentence).lower())


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    dropped: tuple[str, ...]  # sentences removed as unsupported


def split_sentences(text: str) -> list[str]:
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for n in _MARKER.findall(sentence)]


def check_support(text: str, evidence_texts: list[str], min_support: float = MIN_SUPPORT) -> CheckedAnswer:
    kept: list[str] = []
    dropped: list[str] = []
    said: set[str] = set()
    for sentence in split_sentences(text):
        claim = _MARKER.sub("", sentence).strip()
        key = sentence_key(claim)
        if key and key in said:  # a small model's loop: a sentence said twice is said once
            dropped.append(claim)
            continue
        said.add(key)
        trailing = sentence[len(sentence.rstrip()):]
        if not carries_claim(claim):
            kept.append(_MARKER.sub("", sentence))
            continue
        good = attribute(claim, evidence_texts, cited_numbers(sentence), min_support)
        if not good:
            dropped.append(claim)
            continue
        body = _MARKER.sub("", sentence).rstrip()
        # Put the markers before the closing punctuation, as the prompts ask: "……2.35%[1]。"
        stop = re.search(r"[。！？!?；;.]+$", body)
        marks = "".join(f"[{n}]" for n in good)
        kept.append((body[: stop.start()] + marks + stop.group(0) if stop else body + marks) + trailing)
    return CheckedAnswer("".join(kept).strip(), tuple(dropped))
