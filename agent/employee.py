"""Assemble a ready digital employee from settings: knowledge base, LLM client, answerer.

The knowledge base named by the settings is built from its source documents on first use (the
built-in demo when none is configured), so a fresh install answers questions without set-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.answering.answer import Answerer
from agent.llm import ChatLLM
from knowledge import KnowledgeBase
from knowledge.demo import demo_documents
from knowledge.embedding import make_embedder
from knowledge.parsing import ReadOptions
from knowledge.store import IngestReport
from settings import Settings, offline_environment

ProgressFn = Callable[[str, int, int], None]


def kb_source(settings: Settings) -> Path:
    return settings.kb_source or demo_documents()


def read_options(settings: Settings) -> ReadOptions:
    return ReadOptions(max_bytes=settings.max_file_bytes, ocr=settings.ocr, workers=settings.parse_workers,
                       seconds_per_page=settings.parse_seconds_per_page)


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """The configured knowledge base with the configured embedder; nothing is read or built yet."""
    return KnowledgeBase(settings.kb_dir, embedder=make_embedder(settings.embedder, settings.model_cache),
                         read_options=read_options(settings))


def open_knowledge_base(settings: Settings, progress: ProgressFn | None = None) -> KnowledgeBase:
    """The configured knowledge base, built from its source folder if it has never been built."""
    kb = knowledge_base(settings)
    if not kb.exists():
        report: IngestReport = kb.ingest([kb_source(settings)], progress)
        if not kb.exists():
            raise RuntimeError(f"could not build the knowledge base from {kb_source(settings)}: {report.failed}")
    elif kb.is_stale():  # built by an older version: same documents, indexes rebuilt with today's code
        kb.refresh(progress)
    return kb


def build_answerer(settings: Settings, progress: ProgressFn | None = None) -> Answerer:
    offline_environment()
    return Answerer(settings, open_knowledge_base(settings, progress), ChatLLM(settings))
