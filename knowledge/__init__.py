"""The knowledge base: documents -> chunks -> index -> retrieval with citations.

This room imports nothing of the others (agent, ui, voice, evals): they build on it.
"""

from knowledge.documents import Chunk, Document, Evidence
from knowledge.retrieve import HybridRetriever, SearchFilters
from knowledge.store import KnowledgeBase

__all__ = ["Chunk", "Document", "Evidence", "HybridRetriever", "KnowledgeBase", "SearchFilters"]
