"""Metrics that judge by text, never by chunk ids (chunking is the system's own choice).

Relevance rule: a retrieved text is relevant to a case when, after removing whitespace and Markdown
emphasis, it contains one of the gold evidence spans, or the two share a common run of characters at
least ``OVERLAP_SHARE`` as long as the shorter of the two (and at least ``MIN_RUN`` characters). So a
chunk holding most of a span cut across a chunk boundary counts, and so does a chunk that lies inside a
long span (a 500-character chunk of a 5,000-character clause), but a chunk that merely shares a
common phrase with the span does not.
"""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher

OVERLAP_SHARE = 0.6
MIN_RUN = 20
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


def key_fact_recall(answer: str, reference: str) -> float | None:
    """Share of the reference answer's numbers (rates, amounts, periods) that the answer states."""
    wanted = key_numbers(reference)
    if not wanted:
        return None
    return len(wanted & key_numbers(answer)) / len(wanted)
