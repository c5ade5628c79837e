"""Requests no document can support (market predictions, stock tips, guaranteed returns): declined
before retrieval, so the model is never tempted to answer them from its own knowledge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from agent.prompting import load_policy


@dataclass(frozen=True)
class ScopeVerdict:
    topic: str
    reason: str


@cache
def _topics() -> list[tuple[str, dict[str, str], list[re.Pattern[str]]]]:
    policy = load_policy("scope")
    return [
        (name, spec["reason"], [re.compile(p, re.IGNORECASE) for p in spec["patterns"]])
        for name, spec in policy["topics"].items()
    ]


def out_of_scope(question: str, language: str) -> ScopeVerdict | None:
    for name, reasons, patterns in _topics():
        if any(p.search(question) for p in patterns):
            return ScopeVerdict(name, reasons.get(language, reasons["en"]))
    return None
