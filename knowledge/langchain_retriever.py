"""The hybrid retriever as a LangChain ``BaseRetriever``, for chains and agents built on LangChain.

It follows LangChain's conventions, checked by its own standard suite (``langchain_tests``
``RetrieversIntegrationTests``, in tests/knowledge/test_langchain.py): ``k`` as a constructor field and as
a keyword of ``invoke``; metadata filters as ``search_kwargs={"filter": {...}}`` or ``invoke(q,
filter={...})``, with the keys of :class:`~knowledge.retrieve.SearchFilters` (audience, kinds, products,
language, as_of, include_drafts); async through LangChain's executor fallback.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import AliasChoices, Field

from knowledge.documents import Audience, DocumentKind
from knowledge.retrieve import HybridRetriever, SearchFilters

_FILTER_KEYS = tuple(f.name for f in dataclasses.fields(SearchFilters))


def search_filters(spec: SearchFilters | dict[str, Any] | None) -> SearchFilters | None:
    """A LangChain-style ``filter`` dict as :class:`SearchFilters`; unknown keys fail with the allowed ones."""
    if spec is None or isinstance(spec, SearchFilters):
        return spec
    unknown = set(spec) - set(_FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown filter key(s) {sorted(unknown)}; use: {', '.join(_FILTER_KEYS)}")
    values = dict(spec)
    if isinstance(values.get("audience"), str):
        values["audience"] = Audience.from_str(values["audience"])
    if "kinds" in values:
        kinds = [values["kinds"]] if isinstance(values["kinds"], str | DocumentKind) else values["kinds"]
        values["kinds"] = tuple(DocumentKind.from_str(k) if isinstance(k, str) else k for k in kinds)
    if "products" in values:
        products = values["products"]
        values["products"] = (products,) if isinstance(products, str) else tuple(products)
    if isinstance(values.get("as_of"), str):
        values["as_of"] = date.fromisoformat(values["as_of"])
    return SearchFilters(**values)


class KnowledgeRetriever(BaseRetriever):
    retriever: Any  # HybridRetriever; Any keeps pydantic from inspecting it
    k: int = Field(default=5, ge=1, validation_alias=AliasChoices("k", "top_k"))
    filters: SearchFilters | None = None
    search_kwargs: dict[str, Any] = Field(default_factory=dict)

    model_config = {"arbitrary_types_allowed": True, "populate_by_name": True}

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None,
        filter: SearchFilters | dict[str, Any] | None = None,  # noqa: A002 (LangChain's name for it)
    ) -> list[LCDocument]:
        hybrid: HybridRetriever = self.retriever
        top_k = k or self.search_kwargs.get("k") or self.k
        filters = search_filters(filter if filter is not None else self.search_kwargs.get("filter")) or self.filters
        return [
            LCDocument(
                page_content=ev.chunk.text,
                id=ev.chunk.id,
                metadata={
                    "document_id": ev.document.id,
                    "title": ev.document.title,
                    "section": ev.chunk.section(),
                    "source": ev.document.source,
                    "kind": ev.document.kind.value,
                    "audience": ev.document.audience.value,
                    "score": ev.score,
                    "dense_score": ev.dense_score,
                    "rank": ev.rank,
                },
            )
            for ev in hybrid.run(query, int(top_k), filters)
        ]
