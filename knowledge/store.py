"""A knowledge base on disk: immutable index generations behind an atomically swapped pointer.

Layout of a knowledge base folder::

    CURRENT                 name of the live generation (replaced with os.replace, never edited)
    generations/<name>/     catalog.sqlite, dense.faiss, keyword/ : one complete, loadable index
    embeddings.sqlite       vector cache keyed by text hash, so rebuilds never re-embed unchanged text

Every change writes a whole new generation and then swaps ``CURRENT``, so a crash at any moment
(``kill -9`` included) leaves the previous generation live and loadable. Readers hold a snapshot.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np

from knowledge.catalog_db import read_catalog, write_catalog
from knowledge.chunking import DEFAULT_MAX_CHARS, chunk_text
from knowledge.documents import Chunk, Document
from knowledge.embedding import E5Embeddings, PassageEmbedder
from knowledge.embedding_cache import EmbeddingCache
from knowledge.keyword import KEYWORD_FORMAT, KeywordIndex
from knowledge.metadata import build_document
from knowledge.parsing import MAX_FILE_BYTES, DocumentError, parse_file

log = logging.getLogger(__name__)

_KEEP_GENERATIONS = 2

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


def index_text(document: Document, chunk: Chunk) -> str:
    """What is embedded and keyword-indexed: the chunk with its title and section, for context."""
    section = chunk.section()
    head = f"{document.title} > {section}" if section else document.title
    return f"{head}\n{chunk.text}"


@dataclass(frozen=True)
class IndexSnapshot:
    """One loaded generation: everything a query needs, read-only."""

    generation: str
    documents: dict[str, Document]
    chunks: list[Chunk]
    dense: faiss.Index
    keyword: KeywordIndex

    def document_of(self, chunk: Chunk) -> Document:
        return self.documents[chunk.document_id]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class EmptyKnowledgeBase(LookupError):
    """No index has been built yet in this folder."""


def collect_files(paths: list[Path]) -> list[Path]:
    """Files to ingest under ``paths`` (folders are walked); unknown types are kept so they get an error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


class KnowledgeBase:
    def __init__(self, folder: Path, embedder: PassageEmbedder | None = None,
                 max_chars: int = DEFAULT_MAX_CHARS, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.folder = folder
        self.embedder = embedder or E5Embeddings()
        self.max_chars = max_chars
        self.max_file_bytes = max_file_bytes
        self._snapshot: IndexSnapshot | None = None

    # ---- reading -----------------------------------------------------------------------------
    @property
    def _pointer(self) -> Path:
        return self.folder / "CURRENT"

    def current_generation(self) -> str | None:
        try:
            return self._pointer.read_text().strip() or None
        except FileNotFoundError:
            return None

    def exists(self) -> bool:
        return self.current_generation() is not None

    def snapshot(self) -> IndexSnapshot:
        """The live generation, reloaded only when another process has swapped in a new one."""
        generation = self.current_generation()
        if generation is None:
            raise EmptyKnowledgeBase(f"no knowledge base in {self.folder}: run `digital-employee ingest PATH`")
        if self._snapshot is None or self._snapshot.generation != generation:
            self._snapshot = self._load(generation)
        return self._snapshot

    def _load(self, generation: str) -> IndexSnapshot:
        folder = self.folder / "generations" / generation
        documents, chunks = read_catalog(folder / "catalog.sqlite")
        return IndexSnapshot(
            generation=generation,
            documents={d.id: d for d in documents},
            chunks=chunks,
            dense=faiss.read_index(str(folder / "dense.faiss")),
            keyword=KeywordIndex.load(folder / "keyword", len(chunks)),
        )

    def _format(self) -> str:
        return f"{KEYWORD_FORMAT}|{self.embedder.name}"

    def is_stale(self) -> bool:
        """True when the live generation was built with other tokens or another embedding model."""
        generation = self.current_generation()
        if generation is None:
            return False
        try:
            built = (self.folder / "generations" / generation / "format.txt").read_text().strip()
        except FileNotFoundError:
            return True
        return built != self._format()

    def refresh(self, progress: ProgressFn | None = None) -> None:
        """Rebuild the indexes of the live documents with the current code (vectors come from the cache)."""
        with self._writer_lock():
            documents, chunks = self._current_contents()
            self._write_generation(documents, chunks, progress)

    def documents(self) -> list[Document]:
        if not self.exists():
            return []
        return sorted(self.snapshot().documents.values(), key=lambda d: d.source)

    # ---- writing -----------------------------------------------------------------------------
    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _current_contents(self) -> tuple[dict[str, Document], list[Chunk]]:
        if not self.exists():
            return {}, []
        snap = self.snapshot()
        return dict(snap.documents), list(snap.chunks)

    def ingest(self, paths: list[Path], progress: ProgressFn | None = None, force: bool = False) -> IngestReport:
        """Add or update documents; a file that fails is reported and the rest go in. ``force`` re-reads
        unchanged files too (after an upgrade that reads metadata or chunks differently)."""
        started = time.perf_counter()
        report = IngestReport()
        with self._writer_lock():
            self._remove_partials()
            documents, chunks = self._current_contents()
            replaced: dict[str, list[Chunk]] = {}  # document id -> its new chunks ([] when removed)
            files = collect_files(paths)
            for n, path in enumerate(files, 1):
                if progress:
                    progress("parse", n, len(files))
                try:
                    found = self._read_file(path)
                except (DocumentError, OSError) as err:
                    report.failed.append((str(path), str(err)))
                    continue
                source = str(path.resolve())
                before = {d.locator: d for d in documents.values() if d.source == source}
                clash = [d.id for d, _ in found if d.id in documents and d.id not in {o.id for o in before.values()}]
                if clash:
                    report.failed.append((str(path), f"document id {clash[0]!r} is already used by another file"))
                    continue
                for document, new_chunks in found:
                    label = f"{path}#{document.locator}" if document.locator else str(path)
                    old = before.pop(document.locator, None)
                    if old is not None and old.content_hash == document.content_hash and not force:
                        report.unchanged.append(label)
                        continue
                    (report.updated if old is not None else report.added).append(label)
                    if old is not None:
                        documents.pop(old.id)
                        replaced.setdefault(old.id, [])
                    documents[document.id] = document
                    replaced[document.id] = new_chunks
                for gone in before.values():  # passages no longer in the file
                    documents.pop(gone.id)
                    replaced[gone.id] = []
                    report.removed.append(f"{path}#{gone.locator}" if gone.locator else str(path))
            if replaced:
                chunks = [c for c in chunks if c.document_id not in replaced]
                chunks.extend(c for new_chunks in replaced.values() for c in new_chunks)
            if report.changed or not self.exists() or self.is_stale():
                self._write_generation(documents, chunks, progress)
        report.chunks = len(chunks)
        report.seconds = time.perf_counter() - started
        return report

    def _read_file(self, path: Path) -> list[tuple[Document, list[Chunk]]]:
        """The documents in one file with their chunks; DocumentError when the file cannot be used."""
        source = str(path.resolve())
        found = []
        for parsed in parse_file(path, self.max_file_bytes):
            document = build_document(parsed, source)
            chunks = chunk_text(document.id, parsed.text, document.title, self.max_chars)
            if parsed.page_starts:
                chunks = [replace(c, page=parsed.page_at(c.start)) for c in chunks]
            found.append((document, chunks))
        return found

    def remove(self, document_ids: list[str]) -> list[str]:
        """Remove documents by id (or by source path); returns the ids that were removed."""
        with self._writer_lock():
            documents, chunks = self._current_contents()
            doomed = {d.id for d in documents.values() if d.id in document_ids or d.source in document_ids}
            if doomed:
                documents = {k: v for k, v in documents.items() if k not in doomed}
                chunks = [c for c in chunks if c.document_id not in doomed]
                self._write_generation(documents, chunks, None)
        return sorted(doomed)

    def _write_generation(self, documents: dict[str, Document], chunks: list[Chunk],
                          progress: ProgressFn | None) -> None:
        generations = self.folder / "generations"
        name = f"g{time.time_ns()}-{os.getpid()}"
        staging = generations / f".{name}.partial"
        staging.mkdir(parents=True)
        try:
            texts = [index_text(documents[c.document_id], c) for c in chunks]
            cache = EmbeddingCache(self.folder / "embeddings.sqlite")
            done = 0

            def tick(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress("embed", done, len(texts))

            vectors = cache.embed(self.embedder.name, texts, self.embedder.passages, self.embedder.dim,
                                  on_progress=tick)
            dense = faiss.IndexFlatIP(self.embedder.dim)
            if len(vectors):
                dense.add(np.ascontiguousarray(vectors))
            faiss.write_index(dense, str(staging / "dense.faiss"))
            KeywordIndex.build(texts).save(staging / "keyword")
            ordered = sorted(documents.values(), key=lambda d: d.source)
            write_catalog(staging / "catalog.sqlite", ordered, chunks)
            (staging / "format.txt").write_text(self._format())
            _fsync_tree(staging)
            os.rename(staging, generations / name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pointer_tmp = self.folder / f".CURRENT.{os.getpid()}.tmp"
        with open(pointer_tmp, "w") as f:
            f.write(name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, self._pointer)
        _fsync_dir(self.folder)
        self._prune(generations, keep=name)

    def _prune(self, generations: Path, keep: str) -> None:
        finished = sorted((p for p in generations.iterdir() if not p.name.startswith(".")),
                          key=lambda p: p.stat().st_mtime)
        old = [p for p in finished if p.name != keep][: max(0, len(finished) - _KEEP_GENERATIONS)]
        for path in old:
            shutil.rmtree(path, ignore_errors=True)

    def _remove_partials(self) -> None:
        """Staging folders left by a writer that crashed; safe because we hold the writer lock."""
        for partial in (self.folder / "generations").glob(".*.partial"):
            shutil.rmtree(partial, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb+") as f:
                os.fsync(f.fileno())
    for path in [*sorted(p for p in root.rglob("*") if p.is_dir()), root]:
        _fsync_dir(path)
