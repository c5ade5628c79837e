"""The knowledge base: documents -> chunks -> index -> retrieval with citations.

This room imports nothing of the others (agent, ui, voice, evals): they build on it.
"""

from knowledge.documents import Chunk, Document, DocumentStatus, Evidence
from knowledge.retrieve import HybridRetriever, SearchFilters
from knowledge.store import KnowledgeBase, ReviewConflict, UnknownDocument

__all__ = ["Chunk", "Document", "DocumentStatus", "Evidence", "HybridRetriever", "KnowledgeBase", "ReviewConflict",
           "SearchFilters", "UnknownDocument"]
