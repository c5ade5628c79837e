"""The hybrid retriever as a LangChain ``BaseRetriever``, for chains and agents built on LangChain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from knowledge.retrieve import HybridRetriever, SearchFilters


class KnowledgeRetriever(BaseRetriever):
    retriever: Any  # HybridRetriever; Any keeps pydantic from inspecting it
    top_k: int = 5
    filters: SearchFilters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hybrid: HybridRetriever = self.retriever
        return [
            LCDocument(
                page_content=ev.chunk.text,
                id=ev.chunk.id,
                metadata={
                    "document_id": ev.document.id,
                    "title": ev.document.title,
                    "section": ev.chunk.section(),
                    "source": ev.document.source,
                    "score": ev.score,
                    "dense_score": ev.dense_score,
                    "rank": ev.rank,
                },
            )
            for ev in hybrid.run(query, self.top_k, self.filters)
        ]
