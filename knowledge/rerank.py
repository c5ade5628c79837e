"""Optional second-stage reranking of fused candidates.

No multilingual cross-encoder ships on PyPI (../shared/MODELS.md), so none is on by default. A bank that
has one (a local folder in sentence-transformers CrossEncoder format, e.g. bge-reranker) sets
``DE_RERANKER_PATH``; a configured reranker that cannot load is an error, never silently skipped.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from knowledge.documents import Evidence


class Reranker(Protocol):
    name: str

    def run(self, query: str, candidates: list[Evidence]) -> list[Evidence]:
        """The candidates, best first, each with ``rerank_score`` set."""
        ...


class RerankerError(RuntimeError):
    """A configured reranker that cannot be used."""


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder (never from a hub)."""

    def __init__(self, model_dir: Path, max_length: int = 512, batch_size: int = 16) -> None:
        if not (model_dir / "config.json").is_file():
            raise RerankerError(f"reranker {model_dir}: no config.json there; point DE_RERANKER_PATH at a "
                                "local CrossEncoder folder or unset it")
        self.model_dir = model_dir
        self.name = f"cross-encoder:{model_dir.name}"
        self.max_length = max_length
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import CrossEncoder

            try:
                self._model = CrossEncoder(str(self.model_dir), device="cpu", local_files_only=True,
                                           max_length=self.max_length)
            except (OSError, ValueError) as err:
                raise RerankerError(f"reranker {self.model_dir} does not load: {err}") from err
        return self._model

    def run(self, query: str, candidates: list[Evidence]) -> list[Evidence]:
        if not candidates:
            return []
        with self._lock:
            scores = self._load().predict([(query, e.chunk.text) for e in candidates],
                                          batch_size=self.batch_size, show_progress_bar=False)
        scored = [replace(e, rerank_score=float(s)) for e, s in zip(candidates, scores, strict=True)]
        scored.sort(key=lambda e: -(e.rerank_score or 0.0))
        return [replace(e, rank=i + 1) for i, e in enumerate(scored)]
