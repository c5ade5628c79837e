"""The virtual trainer assembled from settings: the same knowledge base, retriever and LLM as the
customer agent, plus the trainer database. The CLI and the web page both go through this one object."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from agent.answering.answer import build_retriever
from agent.employee import open_knowledge_base, read_options
from agent.llm import ChatLLM
from agent.prompting import load_prompt
from agent.trainer.lesson import Lesson, LessonBuilder
from agent.trainer.materials import focus, topic_material
from agent.trainer.quiz import Quiz, build_quiz
from agent.trainer.roleplay import RolePlay, persona
from agent.trainer.store import TrainerStore, open_store
from knowledge import HybridRetriever, KnowledgeBase
from settings import Settings

ProgressFn = Callable[[str, int, int], None]


class Trainer:
    def __init__(self, settings: Settings, llm: ChatLLM | None = None, kb: KnowledgeBase | None = None,
                 store: TrainerStore | None = None) -> None:
        self.settings = settings
        self._llm = llm
        self._kb = kb
        self._store = store

    @cached_property
    def llm(self) -> ChatLLM:
        return self._llm or ChatLLM(self.settings)

    @cached_property
    def kb(self) -> KnowledgeBase:
        return self._kb or open_knowledge_base(self.settings)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return build_retriever(self.kb, self.settings)

    @cached_property
    def store(self) -> TrainerStore:
        return self._store or open_store(self.settings)

    @property
    def lesson_cache(self) -> Path:
        return self.settings.data_dir / "trainer" / "lessons" / self.settings.kb_name

    def lesson(self, topic: str, refresh: bool = False, clauses: int | None = None) -> Lesson:
        builder = LessonBuilder(self.llm, self.lesson_cache, self.llm.backend)
        return builder.build(topic_material(self.kb, topic), refresh=refresh, clauses=clauses)

    def save_draft(self, lesson: Lesson, author: str | None = None) -> int:
        return self.store.save_lesson(lesson.topic, lesson.cache_key, lesson.to_dict(), author)

    def quiz(self, topic: str, n: int = 5, open_every: int = 3) -> Quiz:
        if n < 1:
            raise ValueError(f"a quiz needs at least one question, got n={n}")
        material = topic_material(self.kb, topic)
        terms = list(load_prompt("trainer_quiz", "zh")["focus_terms"])
        return build_quiz(self.llm, topic, focus(material.clauses, terms, n), n, open_every)

    def roleplay(self, persona_id: str) -> RolePlay:
        return RolePlay(self.llm, self.retriever, persona(persona_id))


def corpus_knowledge_base(settings: Settings, corpus: Path, progress: ProgressFn | None = None) -> KnowledgeBase:
    """A knowledge base of its own for a folder of documents (exam ``--kb``), under the data dir; brought up
    to date on every call (unchanged files are skipped, embeddings are cached)."""
    corpus = corpus.resolve()
    if not corpus.exists():
        raise FileNotFoundError(f"{corpus}: no such folder of documents")
    name = f"trainer-{corpus.name}-{hashlib.sha1(str(corpus).encode()).hexdigest()[:8]}"
    kb = KnowledgeBase(settings.data_dir / "kb" / name, read_options=read_options(settings))
    report = kb.ingest([corpus], progress)
    if not kb.exists():
        raise ValueError(f"nothing in {corpus} could be indexed: {report.failed}")
    return kb
