"""Hybrid retrieval: FAISS dense vectors + BM25 keywords, fused by reciprocal rank, then filtered."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from knowledge.chinese import to_simplified
from knowledge.documents import Audience, Document, DocumentKind, Evidence
from knowledge.keyword import tokenize
from knowledge.rerank import Reranker
from knowledge.store import IndexSnapshot, KnowledgeBase, index_text

RRF_K = 10
# Query-adaptive fusion. A question that shares most of its terms with the best keyword hit was written
# in the documents' own words (insurance clause questions: dense weight 0.35 measured best); one that
# shares few is a paraphrase (scenario questions over laws: 1.5 measured best, +8 points recall@5).
DENSE_WEIGHT = 0.35
PARAPHRASE_DENSE_WEIGHT = 1.5
LEXICAL_COVERAGE = 0.3


@dataclass(frozen=True)
class SearchFilters:
    """Which documents may answer. ``as_of`` keeps only documents in force that day (today by default).
    ``include_drafts`` also searches the drafts waiting for review: for administrators' hit-tests only;
    off by default, so every caller that does not ask for drafts (customers first) gets published text."""

    audience: Audience | None = None
    kinds: tuple[DocumentKind, ...] = ()
    products: tuple[str, ...] = ()
    language: str | None = None
    as_of: date | None = None
    include_drafts: bool = False

    def admits(self, document: Document) -> bool:
        if document.is_draft and not self.include_drafts:
            return False  # never reviewed: never an answer
        if self.audience is Audience.CUSTOMER and document.audience is not Audience.CUSTOMER:
            return False  # staff-only material never reaches customers
        if self.kinds and document.kind not in self.kinds:
            return False
        if self.products and not set(self.products) & set(document.products):
            return False
        if self.language and document.language != self.language:
            return False
        return document.in_force_on(self.as_of or date.today())


def current_versions(documents: list[Document]) -> list[Document]:
    """Drop versions replaced by a newer one: of documents sharing a title and kind, only those with the
    latest effective date stay (the 2024 反洗钱法, not the 2006 one; several passages of one policy
    with the same date all stay). Callers pass documents already filtered to those in force on the day
    asked, so an as-of date before 2024 keeps the 2006 text."""
    newest: dict[tuple[str, DocumentKind], date] = {}
    for doc in documents:
        if doc.effective_date is not None:
            key = (doc.title.strip(), doc.kind)
            newest[key] = max(newest.get(key, doc.effective_date), doc.effective_date)
    return [d for d in documents
            if d.effective_date is None or newest[(d.title.strip(), d.kind)] == d.effective_date]


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K,
                           weights: list[float] | None = None) -> dict[int, float]:
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, row in enumerate(ranking):
            scores[row] = scores.get(row, 0.0) + weight / (k + rank + 1)
    return scores


class HybridRetriever:
    def __init__(self, kb: KnowledgeBase, candidates: int = 30, dense_weight: float = DENSE_WEIGHT,
                 rrf_k: int = RRF_K, reranker: Reranker | None = None, rerank_depth: int = 20,
                 paraphrase_dense_weight: float = PARAPHRASE_DENSE_WEIGHT) -> None:
        self.kb = kb
        self.reranker = reranker
        self.rerank_depth = rerank_depth
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.paraphrase_dense_weight = paraphrase_dense_weight
        self.rrf_k = rrf_k
        self._admitted_key: tuple[str, SearchFilters] | None = None
        self._admitted_ids: frozenset[str] = frozenset()

    def _admitted(self, snap: IndexSnapshot, filters: SearchFilters) -> frozenset[str]:
        """Ids of the documents the filters admit. Filters judge documents, not chunks, and the answer is
        kept per generation and day: a pass over 100k documents on every query would cost ~50 ms."""
        day = filters.as_of or date.today()
        key = (snap.generation, replace(filters, as_of=day))
        if self._admitted_key != key:
            admitted = [d for d in snap.documents.values() if filters.admits(d)]
            self._admitted_ids = frozenset(d.id for d in current_versions(admitted))
            self._admitted_key = key
        return self._admitted_ids

    def _dense_weight(self, query: str, snap: IndexSnapshot, keyword_rank: list[int]) -> float:
        """How much to trust meaning over words for this query: more when the best keyword hit covers
        few of the query's terms (a paraphrase), the configured weight otherwise."""
        terms = set(tokenize(query))
        if not keyword_rank or not terms:
            return self.paraphrase_dense_weight
        best = snap.chunks[keyword_rank[0]]
        covered = terms & set(tokenize(index_text(snap.document_of(best), best)))
        return self.dense_weight if len(covered) / len(terms) >= LEXICAL_COVERAGE else self.paraphrase_dense_weight

    def run(self, query: str, top_k: int = 5, filters: SearchFilters | None = None) -> list[Evidence]:
        """Best ``top_k`` evidence chunks for ``query``, each with its fused and dense scores. With
        ``filters.include_drafts`` the drafts are searched too and both lists merged by score."""
        query = query.strip()
        if not query:
            return []
        snap = self.kb.snapshot()
        filters = filters or SearchFilters()
        parts = [snap, *([snap.drafts] if filters.include_drafts and snap.drafts is not None else [])]
        if not any(part.chunks for part in parts):
            return []
        qvec = self.kb.embedder.query_vector(to_simplified(query))
        found = [ev for part in parts if part.chunks for ev in self._search(part, query, qvec, top_k, filters)]
        if len(parts) > 1:
            # Fused scores only order hits within one index (BM25 of a few drafts is no match for BM25 of the
            # whole base), so the two lists are interleaved rank by rank, the closer meaning first at each
            # rank: a draft's best hit shows beside the published hit it would compete with.
            found.sort(key=lambda ev: (ev.rank, -(ev.rerank_score if ev.rerank_score is not None
                                                 else ev.dense_score or 0.0)))
            found = [replace(ev, rank=i) for i, ev in enumerate(found[:top_k], 1)]
        return found[:top_k]

    def _search(self, snap: IndexSnapshot, query: str, qvec: np.ndarray, top_k: int,
                filters: SearchFilters) -> list[Evidence]:
        admitted = self._admitted(snap, filters)

        def allowed(row: int) -> bool:
            return snap.chunks[row].document_id in admitted

        pool = min(len(snap.chunks), max(self.candidates, top_k) * 4)

        dense_scores, dense_rows = snap.dense.search(qvec.reshape(1, -1), pool)
        cosine = {int(r): float(s) for r, s in zip(dense_rows[0], dense_scores[0], strict=True) if r >= 0}
        dense_rank = [r for r in cosine if allowed(r)][: self.candidates]
        keyword_hits = snap.keyword.search(query, pool)
        keyword_score = {r: s for r, s in keyword_hits}
        keyword_rank = [r for r, _ in keyword_hits if allowed(r)][: self.candidates]

        dense_weight = self._dense_weight(query, snap, keyword_rank)
        fused = reciprocal_rank_fusion([keyword_rank, dense_rank], self.rrf_k, [1.0, dense_weight])
        depth = max(top_k, self.rerank_depth) if self.reranker else top_k
        best = sorted(fused, key=lambda r: -fused[r])[:depth]
        missing = [r for r in best if r not in cosine]
        if missing:  # keyword-only hits still get a comparable dense score
            vectors = np.vstack([snap.dense.reconstruct(r) for r in missing])
            cosine.update({r: float(s) for r, s in zip(missing, vectors @ qvec, strict=True)})
        found = [
            Evidence(
                chunk=snap.chunks[r],
                document=snap.document_of(snap.chunks[r]),
                score=fused[r],
                rank=i + 1,
                dense_score=cosine[r],
                keyword_score=keyword_score.get(r),
            )
            for i, r in enumerate(best)
        ]
        if self.reranker:
            found = self.reranker.run(query, found)
        return found[:top_k]
