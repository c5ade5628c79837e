"""Curated FAQ: when a customer's question is a close paraphrase of an approved FAQ question, the
approved answer is returned word for word, with its citation and without generation. Compliance teams
need exact wording, and it is the fastest answer there is.

An FAQ entry is a section of a ``kind: faq`` document whose heading is the question (``问：…``,
``Q: …``) and whose body is the answer (``答：…``). Similarity is the e5 cosine between the two
questions: paraphrases measured 0.94-0.98, related but different questions 0.88-0.93 (README).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge import Evidence
from knowledge.documents import Chunk, DocumentKind

_QUESTION = re.compile(r"^\s*(?:问|Q|Question)\s*[:：.]\s*(.+?)\s*$", re.IGNORECASE)
_ANSWER_LEAD = re.compile(r"^\s*(?:答|A|Answer)\s*[:：.]\s*", re.IGNORECASE)
_HEADING_LINE = re.compile(r"^\s*#{1,6}\s+.*\n?")


@dataclass(frozen=True)
class FaqMatch:
    evidence: Evidence
    question: str
    answer: str
    similarity: float


def faq_question(evidence: Evidence) -> str | None:
    """The FAQ question this evidence answers, or None when it is not an FAQ entry."""
    if evidence.document.kind is not DocumentKind.FAQ or not evidence.chunk.section_path:
        return None
    match = _QUESTION.match(evidence.chunk.section_path[-1])
    return match.group(1) if match else None


def faq_answer(section_chunks: list[Chunk]) -> str:
    """The approved answer: the section's text without its heading line and without the "答：" lead."""
    text = "\n".join(c.text for c in section_chunks)
    return _ANSWER_LEAD.sub("", _HEADING_LINE.sub("", text, count=1), count=1).strip()


def match_faq(question: str, evidence: list[Evidence], embed: Callable[[str], np.ndarray], threshold: float,
              language: str, section_chunks: Callable[[Evidence], list[Chunk]]) -> FaqMatch | None:
    """The FAQ entry among ``evidence`` whose question is closest to ``question``, if within threshold.
    ``section_chunks`` gives every chunk of an entry's section, so a long answer is returned whole."""
    best: tuple[Evidence, str, float] | None = None
    asked: np.ndarray | None = None
    for item in evidence:
        entry = faq_question(item)
        if entry is None or item.document.language != language:
            continue
        asked = embed(question) if asked is None else asked
        similarity = float(asked @ embed(entry))
        if similarity >= threshold and (best is None or similarity > best[2]):
            best = (item, entry, similarity)
    if best is None:
        return None
    item, entry, similarity = best
    return FaqMatch(item, entry, faq_answer(section_chunks(item)), similarity)
