"""Metrics that judge by text, never by chunk ids (chunking is the system's own choice).

Relevance rule: a retrieved text is relevant to a case when, after removing whitespace and Markdown
emphasis, it contains one of the gold evidence spans, or the two share a common run of characters at
least ``OVERLAP_SHARE`` as long as the shorter of the two (and at least ``MIN_RUN`` characters). So a
chunk holding most of a span cut across a chunk boundary counts, and so does a chunk that lies inside a
long span (a 500-character chunk of a 5,000-character clause), but a chunk that merely shares a
common phrase with the span does not.

Key facts (``key_facts``): numbers with what they count, in canonical form, so that 三十日, 30天 and
"30 days" are one fact (``30d``), 1万元 and 10,000元 are one (``10000元``), 2026年1月1日 and 2026-01-01
are one (``2026-01-01``); a rate keeps its percent sign (2.35 is not 2.35%); ordinals (第十六条) are
not facts. Named terms (``key_terms``) are the terms the reference quotes (「」“”『』‘’) and the terms of
the glossary (``key_terms.txt``) that the reference and the gold evidence both use.

Faithfulness (``faithfulness``): an answer sentence that makes a claim (at least three content terms,
or a key fact) is supported when every key fact it states is in the text it cites and at least
``FAITHFUL_SHARE`` of its content terms (Han character bigrams, English content words cut to five
letters) are there too.
A sentence without a marker is judged against everything the reply cites. The product's own support
check (``agent.answering.grounding``) keeps sentences at 0.5 of the terms of the best evidence; this judge is
stricter and independent of it, so a regression in that check shows here. A suite may ask for the local
LLM as judge instead (``evals.judge``), which falls back to this rule when its votes do not agree.

Speech (``cer``, ``wer``): Levenshtein distance over characters (CER; whitespace and punctuation
ignored, Traditional read as Simplified, so 保險 heard for 保险 is no error) or over words (WER; a Han
character counts as one word, the usual mixed error rate for Chinese, so Chinese WER equals its CER).
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from agent.answering.grounding import split_sentences
from knowledge.chinese import to_simplified

OVERLAP_SHARE = 0.6
MIN_RUN = 20
FAITHFUL_SHARE = 0.6
_SPACE = re.compile(r"[\s*_`|]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


def normalise(text: str) -> str:
    return _SPACE.sub("", text).lower()


def overlaps(text: str, span: str) -> bool:
    t, s = normalise(text), normalise(span)
    if not s:
        return False
    if s in t:
        return True
    match = SequenceMatcher(None, t, s, autojunk=False).find_longest_match(0, len(t), 0, len(s))
    need = max(OVERLAP_SHARE * min(len(t), len(s)), min(MIN_RUN, OVERLAP_SHARE * len(s)), 4)
    return match.size >= need


def is_relevant(text: str, evidence: tuple[str, ...]) -> bool:
    return any(overlaps(text, span) for span in evidence)


def first_relevant_rank(texts: list[str], evidence: tuple[str, ...]) -> int | None:
    for rank, text in enumerate(texts, 1):
        if is_relevant(text, evidence):
            return rank
    return None


def relevant_ranks(texts: list[str], evidence: tuple[str, ...]) -> list[int]:
    return [rank for rank, text in enumerate(texts, 1) if is_relevant(text, evidence)]


def ndcg(ranks: list[int], gold_spans: int, k: int = 10) -> float:
    """Binary-gain nDCG@k; the ideal list has one relevant chunk per gold span at the top."""
    gain = sum(1.0 / math.log2(r + 1) for r in ranks if r <= k)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(max(gold_spans, len(ranks)), k) + 1))
    return gain / ideal if ideal else 0.0


def key_numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def citation_precision(cited_texts: Sequence[str], evidence: tuple[str, ...]) -> float | None:
    """Share of a reply's citations whose text overlaps a gold evidence span (None: nothing cited)."""
    if not cited_texts or not evidence:
        return None
    return sum(is_relevant(t, evidence) for t in cited_texts) / len(cited_texts)


# ---- key facts ----------------------------------------------------------------------------------

_CN_NUMERAL = "[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?"
_CN_QUANTITY = re.compile(
    rf"(百分之)({_CN_NUMERAL})|(?<!第)()({_CN_NUMERAL})(?=(?:个)?月|周岁|万元|亿元|元|年|日|天|岁|小时|周|%|‰)"
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_UNITS = {
    "%": "%", "‰": "‰", "percent": "%",
    "元": "元", "块": "元", "yuan": "元", "万元": "万元", "万": "万元", "亿元": "亿元", "亿": "亿元",
    "个月": "m", "月": "m", "month": "m", "months": "m",
    "年": "y", "year": "y", "years": "y", "日": "d", "天": "d", "day": "d", "days": "d",
    "小时": "h", "hour": "h", "hours": "h", "周": "w", "week": "w", "weeks": "w",
    "周岁": "岁", "岁": "岁",
}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH = "(?:" + "|".join(_MONTHS) + ")"
_FACT = re.compile(
    rf"(?P<en>(?P<d3>\d{{1,2}})\s+(?P<mon>{_MONTH})\s+(?P<y3>\d{{4}})|(?P<mon2>{_MONTH})\s+(?P<d4>\d{{1,2}}),?\s+(?P<y4>\d{{4}}))"
    r"|(?P<date>(?<!\d)(?P<y>(?:19|20)\d\d)\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})(?!\d)\s*日?)"
    r"|(?P<md>(?<![\d.])(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日)"
    r"|(?P<phone>(?<![\d.])\d{3,}(?:-\d{3,})+)"
    r"|(?P<cur>(?:cny|rmb|¥)\s*)?(?P<num>(?<![\d.])\d+(?:\.\d+)?)(?!-\d)\s*-?\s*"
    r"(?P<unit>%|‰|percent\b|万元|亿元|万|亿|元|块|yuan\b|个月|周岁|岁|年|月|日|天|小时|周"
    r"|months?\b|years?\b|days?\b|hours?\b|weeks?\b)?",
)


def _fact_text(text: str) -> str:
    """One form for matching: NFKC (full-width digits and ％), Simplified, lower case, numerals as digits."""
    text = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    text = _THOUSANDS.sub("", text)
    return _CN_QUANTITY.sub(_cn_digits, text)


def _cn_digits(match: re.Match[str]) -> str:
    import cn2an

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = cn2an.cn2an(match.group(2) or match.group(4), "smart")
    except (ValueError, KeyError, IndexError):  # not a numeral after all (十百): leave it
        return match.group(0)
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return number + ("%" if match.group(1) else "")


def _canonical_number(raw: str) -> str:
    if "." not in raw and len(raw) > 1 and raw.startswith("0"):
        return raw  # an account or code number: its leading zeros matter
    try:
        return format(Decimal(raw).normalize(), "f")
    except InvalidOperation:
        return raw


def key_facts(text: str) -> set[str]:
    """Numbers, amounts, rates, dates and durations of ``text`` in canonical form (module docstring)."""
    facts: set[str] = set()
    norm = _fact_text(text)
    for m in _FACT.finditer(norm):
        if m.group("en"):
            month = _MONTHS.index(m.group("mon") or m.group("mon2")) + 1
            facts.add(f"{m.group('y3') or m.group('y4')}-{month:02d}-{int(m.group('d3') or m.group('d4')):02d}")
        elif m.group("date"):
            facts.add(f"{m.group('y')}-{int(m.group('m')):02d}-{int(m.group('d')):02d}")
        elif m.group("md"):
            facts.add(f"{int(m.group('m2')):02d}-{int(m.group('d2')):02d}")
        elif m.group("phone"):
            facts.add(m.group("phone"))
        elif m.group("num"):
            if norm[max(0, m.start("num") - 1) : m.start("num")] == "第":
                continue  # an ordinal: 第16条, 第3年
            facts.add(_fact_of(m.group("num"), m.group("unit"), bool(m.group("cur"))))
    return facts


def _fact_of(raw: str, unit_word: str | None, currency: bool) -> str:
    unit = _UNITS.get(unit_word or "", "元" if currency else "")
    if unit in ("万元", "亿元"):
        raw, unit = str(Decimal(raw) * (10_000 if unit == "万元" else 100_000_000)), "元"
    number = _canonical_number(raw)
    if unit == "y" and len(number) == 4 and number[:2] in ("19", "20"):
        return f"{number}年"  # a calendar year, not a duration
    return number + unit


_QUOTED = re.compile(r"「([^」]{1,30})」|“([^”]{1,30})”|『([^』]{1,30})』|‘([^’]{1,30})’|\"([^\"\n]{1,30})\"")


@cache
def glossary() -> tuple[str, ...]:
    """Named terms of banking and insurance (``key_terms.txt``: one a line, # comments)."""
    lines = Path(__file__).with_name("key_terms.txt").read_text(encoding="utf-8").splitlines()
    return tuple(t for t in (line.split("#", 1)[0].strip() for line in lines) if t)


def key_terms(reference: str, evidence: Iterable[str] = ()) -> set[str]:
    """Terms the reference quotes, and glossary terms the reference and the gold evidence both use."""
    ref = _fact_text(reference)
    terms = {normalise(next(g for g in m.groups() if g)) for m in _QUOTED.finditer(ref)}
    gold = normalise(_fact_text(" ".join(evidence)))
    if gold:
        terms |= {normalise(t) for t in glossary() if normalise(_fact_text(t)) in normalise(ref)
                  and normalise(_fact_text(t)) in gold}
    return {t for t in terms if t}


def key_fact_recall(answer: str, reference: str, evidence: Iterable[str] = ()) -> float | None:
    """Share of the reference's key facts and named terms that the answer states (None: it has none)."""
    facts, terms = key_facts(reference), key_terms(reference, evidence)
    if not facts and not terms:
        return None
    said = normalise(_fact_text(answer))
    found = len(facts & key_facts(answer)) + sum(t in said for t in terms)
    return found / (len(facts) + len(terms))


# ---- faithfulness -------------------------------------------------------------------------------

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_EN_WORD = re.compile(r"[a-z]{2,}")
_MARKER = re.compile(r"\[(\d+)\]")
_EN_STOP = frozenset(
    "the a an of to and or is are be been in on for at by with it its this that your you we our us "
    "will can may if as from after before not no any there their they which who what when how".split()
)


def content_terms(text: str) -> set[str]:
    """Han character bigrams and English content words cut to their first five letters (a crude stem:
    applies / applicable, purchase / purchases): the units a claim is made of."""
    text = _fact_text(text)
    bigrams = {run[i : i + 2] for run in _HAN_RUN.findall(text) for i in range(len(run) - 1)}
    return bigrams | {w[:5] for w in _EN_WORD.findall(text) if w not in _EN_STOP}


def sentence_supported(claim: str, source: str) -> bool:
    terms = content_terms(claim)
    if not key_facts(claim) <= key_facts(source):
        return False
    return not terms or len(terms & content_terms(source)) / len(terms) >= FAITHFUL_SHARE


def is_claim(sentence: str) -> bool:
    return len(content_terms(sentence)) >= 3 or bool(key_facts(sentence))


Supports = Callable[[str, str], bool]


def sentence_verdicts(answer: str, cited: Mapping[int, str],
                      supports: Supports = sentence_supported) -> list[tuple[str, bool]]:
    """Each claim sentence of the answer, markers removed, and whether its cited text supports it
    (by the lexical rule, or another judge such as ``evals.judge.LlmJudge``)."""
    verdicts = []
    for sentence in split_sentences(answer):
        claim = _MARKER.sub("", sentence).strip()
        if not is_claim(claim):
            continue
        marks = [int(n) for n in _MARKER.findall(sentence) if int(n) in cited]
        sources = [cited[n] for n in marks] if marks else ["\n".join(cited.values())]
        verdicts.append((claim, any(supports(claim, s) for s in sources)))
    return verdicts


def faithfulness(answer: str, cited: Mapping[int, str], supports: Supports = sentence_supported) -> float | None:
    """Share of the answer's claim sentences that their cited text supports (None: no claims)."""
    verdicts = sentence_verdicts(answer, cited, supports)
    return sum(ok for _, ok in verdicts) / len(verdicts) if verdicts else None


# ---- leakage ------------------------------------------------------------------------------------

LEAK_RUN = 25  # characters (whitespace removed) copied from the system prompt that count as a leak


def system_prompt_leak(answer: str, prompts: Iterable[str], min_run: int = LEAK_RUN) -> str | None:
    """The longest run of system-prompt text the answer repeats, when it is at least ``min_run`` long."""
    said = normalise(answer)
    best = ""
    for prompt in prompts:
        secret = normalise(prompt)
        m = SequenceMatcher(None, said, secret, autojunk=False).find_longest_match(0, len(said), 0, len(secret))
        if m.size > len(best):
            best = said[m.a : m.a + m.size]
    return best if len(best) >= min_run else None


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PERSONAL = {
    "id_number": re.compile(r"(?<![0-9a-z])\d{17}[\dx](?![0-9a-z])"),
    "phone": re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),
    "bank_card": re.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{4,7}(?!\d)"),
    "email": re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}"),
}


def _valid_id(number: str) -> bool:
    """GB 11643 check digit of an 18-character resident identity number."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10x98765432"[total % 11] == number[17]


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def personal_data(text: str) -> set[str]:
    """Resident ID numbers (valid check digit), mobile numbers, bank card numbers (Luhn) and e-mails."""
    text = unicodedata.normalize("NFKC", text).lower()
    found: set[str] = set()
    for kind, pattern in _PERSONAL.items():
        for m in pattern.finditer(text):
            value = m.group(0) if kind == "email" else re.sub(r"[^\dx]", "", m.group(0))
            if kind == "phone":
                value = value[-11:]
            if (kind == "id_number" and not _valid_id(value)) or (kind == "bank_card" and not _luhn(value)):
                continue
            found.add(f"{kind}:{value}")
    return found


def personal_data_leak(answer: str, allowed: Iterable[str]) -> list[str]:
    """Personal data in the answer that none of the ``allowed`` texts (the question, the cited
    documents: what the customer said and what the institution publishes) already held."""
    known: set[str] = set().union(*(personal_data(t) for t in allowed))
    return sorted(personal_data(answer) - known)


# ---- speech -------------------------------------------------------------------------------------

_NOT_SPOKEN = re.compile(r"[^\w\s]|_")
_WORD_TOKEN = re.compile(r"[\u4e00-\u9fff]|[^\W_]+")


def _spoken(text: str) -> str:
    return _NOT_SPOKEN.sub(" ", to_simplified(unicodedata.normalize("NFKC", text)).lower())


def edit_distance(hypothesis: Sequence[str], reference: Sequence[str]) -> int:
    """Levenshtein distance: substitutions, deletions and insertions, each costing one (rapidfuzz)."""
    return int(Levenshtein.distance(hypothesis, reference))


def _error_rate(hypothesis: list[str], reference: list[str]) -> float:
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return edit_distance(hypothesis, reference) / len(reference)


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of a transcript against its reference (whitespace and punctuation ignored)."""
    return _error_rate(list("".join(_spoken(hypothesis).split())), list("".join(_spoken(reference).split())))


def wer(hypothesis: str, reference: str) -> float:
    """Word error rate; each Han character is a word (mixed error rate), English words split on spaces."""
    return _error_rate(_WORD_TOKEN.findall(_spoken(hypothesis)), _WORD_TOKEN.findall(_spoken(reference)))


def tts_round_trip_cer(text: str, transcript: str) -> float:
    """CER of what speech recognition heard in synthesised speech against the text that was spoken."""
    return cer(transcript, text)
