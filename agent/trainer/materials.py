"""Which clauses of the knowledge base a lesson or quiz on a topic is built from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from agent.trainer.clauses import Clause
from knowledge import Document, KnowledgeBase


class UnknownTopicError(LookupError):
    """No document of the knowledge base matches the topic asked for."""


@dataclass(frozen=True)
class Material:
    topic: str
    documents: tuple[Document, ...]
    clauses: tuple[Clause, ...]  # in document order

    def content_key(self, *extra: str) -> str:
        """Changes whenever a source document changes (content hashes), or the prompt/model does."""
        parts = [self.topic, *sorted(d.content_hash for d in self.documents), *extra]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def topics(kb: KnowledgeBase) -> list[str]:
    """Product tags and document titles a lesson or quiz can be asked for."""
    documents = kb.documents()
    tags = sorted({p for d in documents for p in d.products})
    return tags + sorted({d.title for d in documents})


def topic_material(kb: KnowledgeBase, topic: str, language: str | None = "zh") -> Material:
    """Documents whose product tag equals ``topic``, else whose title contains it (or is contained in it).

    ``language`` keeps one language of bilingual material (None keeps all).
    """
    wanted = topic.strip()
    if not wanted:
        raise UnknownTopicError("give a topic: a product tag or a document title")
    documents = [d for d in kb.documents() if language is None or d.language == language]
    chosen = [d for d in documents if wanted.lower() in (p.lower() for p in d.products) and len(d.products) == 1]
    if not chosen:
        chosen = [d for d in documents if wanted.lower() in (p.lower() for p in d.products)]
    if not chosen:
        chosen = [d for d in documents if wanted in d.title or (len(d.title) >= 4 and d.title in wanted)]
    if not chosen:
        raise UnknownTopicError(f"no document matches topic {topic!r}; use a product tag or title: "
                                + ", ".join(topics(kb)[:20]))
    ids = {d.id for d in chosen}
    by_id = {d.id: d for d in chosen}
    clauses = tuple(Clause.of(by_id[c.document_id], c) for c in kb.snapshot().chunks if c.document_id in ids)
    return Material(wanted, tuple(sorted(chosen, key=lambda d: d.title)), clauses)


def focus(clauses: tuple[Clause, ...], terms: list[str], limit: int) -> list[Clause]:
    """The ``limit`` clauses trainers would stress, in document order: a focus term in the heading counts
    three times one in the text. A document's preamble (no section below the title) only reads like a
    summary of the terms, so it is used only when nothing else is left."""
    body = [c for c in clauses if " > " in c.section] or list(clauses)
    if len(body) <= limit:
        return body

    def weight(c: Clause) -> int:
        return sum(3 * (t in c.section) + (t in c.text) for t in terms)

    ranked = sorted(range(len(body)), key=lambda i: (-weight(body[i]), i))
    return [body[i] for i in sorted(ranked[:limit])]
