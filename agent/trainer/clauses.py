"""The clause an answer key, lesson point or piece of feedback comes from, and how to quote it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.answering.grounding import split_sentences, support
from knowledge import Chunk, Document, Evidence

_NEGATION = re.compile(r"不|未|没有|无(?!论)|禁止|非|免除|拒绝|\b(?:not|no|never|cannot|without)\b", re.I)


@dataclass(frozen=True)
class Clause:
    chunk_id: str
    document_title: str
    section: str
    text: str

    @classmethod
    def of(cls, document: Document, chunk: Chunk) -> Clause:
        return cls(chunk.id, document.title, chunk.section(), chunk.text)

    @classmethod
    def from_evidence(cls, evidence: Evidence) -> Clause:
        return cls.of(evidence.document, evidence.chunk)

    def label(self) -> str:
        return " > ".join(p for p in (self.document_title, self.section) if p)

    def quote(self, claim: str = "", limit: int = 160) -> str:
        """The clause's sentence that best supports ``claim`` (its opening without a claim), clipped."""
        sentences = [s.strip() for s in split_sentences(self.text) if s.strip()] or [self.text.strip()]
        best = max(sentences, key=lambda s: support(claim, s)) if claim else sentences[0]
        if best.startswith("#"):  # a heading line: quote what follows instead
            rest = [s for s in sentences if not s.startswith("#")]
            best = rest[0] if rest else best
        return best if len(best) <= limit else best[: limit - 1] + "…"

    def cite(self, claim: str = "") -> str:
        return f"《{self.document_title}》{self.section}：「{self.quote(claim)}」"

    def to_dict(self) -> dict[str, str]:
        return {"chunk_id": self.chunk_id, "document_title": self.document_title, "section": self.section,
                "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Clause:
        return cls(data["chunk_id"], data["document_title"], data["section"], data["text"])


def negated(text: str) -> bool:
    """Whether a statement carries a negation ("不承担", "no refund"): a cheap polarity signal."""
    return bool(_NEGATION.search(text))


def negated_predicates(text: str) -> set[str]:
    """What each negation in ``text`` negates: the two characters (or the English word) after it."""
    found = set()
    for m in _NEGATION.finditer(text.lower()):
        rest = text.lower()[m.end():]
        word = re.match(r"\s*([a-z]+)", rest) if m.group(0).isascii() else None
        predicate = word.group(1) if word else rest[:2]
        if predicate.strip():
            found.add(predicate)
    return found


def contradicts(statement: str, fact: str) -> bool:
    """Whether ``statement`` says what ``fact`` negates without the negation (可以承担 vs 不承担), or
    negates what ``fact`` affirms."""
    said, meant = negated_predicates(statement), negated_predicates(fact)
    low_statement, low_fact = statement.lower(), fact.lower()
    return any(p in low_statement and p not in said for p in meant) or \
        any(p in low_fact and p not in meant for p in said)
