"""Vectors keyed by (model, text hash), so re-ingesting or rebuilding never re-embeds unchanged text."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np


def _key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def embed(
        self,
        model: str,
        texts: list[str],
        compute: Callable[[list[str]], np.ndarray],
        dim: int,
        batch: int = 64,
        on_progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors for ``texts``: cached ones read back, the rest computed in batches and stored."""
        keys = [_key(model, t) for t in texts]
        out = np.empty((len(texts), dim), dtype=np.float32)
        with closing(sqlite3.connect(self.path)) as db, db:
            found: dict[str, bytes] = {}
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                found.update(db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part))
        todo = []
        for i, key in enumerate(keys):
            if key in found:
                out[i] = np.frombuffer(found[key], dtype=np.float32)
            else:
                todo.append(i)
        if on_progress and len(texts) - len(todo):
            on_progress(len(texts) - len(todo))
        # Batches of texts of about the same length: a batch is padded to its longest text, so a table row
        # batched with a 500-character clause would cost as much as the clause.
        todo.sort(key=lambda i: len(texts[i]))
        for start in range(0, len(todo), batch):
            rows = todo[start : start + batch]
            vectors = compute([texts[i] for i in rows])
            out[rows] = vectors
            with closing(sqlite3.connect(self.path)) as db, db:  # commit per batch: a crash keeps finished work
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(keys[i], vectors[j].astype(np.float32).tobytes()) for j, i in enumerate(rows)],
                )
            if on_progress:
                on_progress(len(rows))
        return out
