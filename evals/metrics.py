"""Metrics that judge by text, never by chunk ids (chunking is the system's own choice).

Relevance rule: a retrieved text is relevant to a case when, after removing whitespace and Markdown
emphasis, it contains one of the gold evidence spans, or the two share a common run of at least
``OVERLAP_SHARE`` of the span's length (so a chunk holding most of a span cut across a chunk
boundary still counts).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

OVERLAP_SHARE = 0.6
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
    return match.size >= max(4, OVERLAP_SHARE * len(s))


def is_relevant(text: str, evidence: tuple[str, ...]) -> bool:
    return any(overlaps(text, span) for span in evidence)


def first_relevant_rank(texts: list[str], evidence: tuple[str, ...]) -> int | None:
    for rank, text in enumerate(texts, 1):
        if is_relevant(text, evidence):
            return rank
    return None


def key_numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def key_fact_recall(answer: str, reference: str) -> float | None:
    """Share of the reference answer's numbers (rates, amounts, periods) that the answer states."""
    wanted = key_numbers(reference)
    if not wanted:
        return None
    return len(wanted & key_numbers(answer)) / len(wanted)
