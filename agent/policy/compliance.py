"""Compliance on output: required disclosures appended by product kind, and no promised returns.

Disclosures are data (prompts/compliance.yaml): for a deposit, the deposit-insurance limit; for
insurance, read the clauses, especially exclusions and the cooling-off period. Each is appended with a
citation of the clause that states it, so the reminder is as traceable as the answer. A generated
sentence promising returns (保本保息, 稳赚, 零风险, guaranteed return …) is removed unless the evidence
itself says it word for word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from agent.answering.grounding import split_sentences
from agent.clauses import cite_clause
from agent.prompting import load_policy, render
from agent.reply import Citation
from knowledge.products import ProductCatalog, ProductDataError
from knowledge.store import IndexSnapshot

_MARKER = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Disclosure:
    kind: str
    text: str
    citations: tuple[Citation, ...]


@cache
def _forbidden() -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in load_policy("compliance")["forbidden_promises"]]


def promises_returns(sentence: str) -> bool:
    return any(p.search(sentence) for p in _forbidden())


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def drop_forbidden_promises(text: str, evidence_texts: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """``text`` without sentences that promise returns, unless quoted verbatim from evidence; and the
    sentences removed."""
    evidence = [_squash(e) for e in evidence_texts]
    kept, removed = [], []
    for sentence in split_sentences(text):
        claim = _squash(_MARKER.sub("", sentence)).rstrip("。！？!?；;.")
        if promises_returns(sentence) and not any(claim and claim in e for e in evidence):
            removed.append(sentence.strip())
        else:
            kept.append(sentence)
    return "".join(kept).strip(), tuple(removed)


def products_of(citations: Iterable[Citation], snapshot: IndexSnapshot) -> tuple[str, ...]:
    """Product keys of the cited documents that are about one product (an FAQ covering every product
    says nothing about which one the answer concerns)."""
    found: list[str] = []
    for citation in citations:
        document = snapshot.documents.get(citation.document_id)
        if document is not None and len(document.products) == 1 and document.products[0] not in found:
            found.append(document.products[0])
    return tuple(found)


def disclosures(products: Iterable[str], catalog: ProductCatalog, language: str, snapshot: IndexSnapshot,
                first: int, already_cited: Iterable[str] = ()) -> list[Disclosure]:
    """The disclosures required for ``products``, one per product kind, citations numbered from
    ``first``. A disclosure whose clauses the answer already cites, or the knowledge base lacks, is
    left out: the first says it already, the second could not be cited."""
    policy = load_policy("compliance")["disclosures"]
    cited = set(already_cited)
    out: list[Disclosure] = []
    seen_kinds: set[str] = set()
    n = first
    for key in products:
        try:
            product = catalog.get(key)
        except ProductDataError:
            continue  # a document tagged with a product the parameters file does not describe
        spec = policy.get(product.kind)
        if spec is None or product.kind in seen_kinds:
            continue
        citations = []
        for i, clause in enumerate(spec["clauses"]):
            citation = cite_clause(snapshot, product.source(clause, language), n + i)
            if citation is None:
                break
            citations.append(citation)
        else:
            if any(c.chunk_id in cited for c in citations):
                continue
            marks = "".join(f"[{c.n}]" for c in citations)
            text = render(spec.get(language) or spec["en"], marks=marks)
            out.append(Disclosure(product.kind, text, tuple(citations)))
            seen_kinds.add(product.kind)
            n += len(citations)
    return out
