"""A knowledge base on disk: immutable index generations behind an atomically swapped pointer.

Layout of a knowledge base folder::

    CURRENT                 name of the live generation (replaced with os.replace, never edited)
    generations/<name>/     catalog.sqlite, dense.faiss, keyword/ : one complete, loadable index
    embeddings.sqlite       vector cache keyed by text hash, so rebuilds never re-embed unchanged text

Every change writes a whole new generation and then swaps ``CURRENT``, so a crash at any moment
(``kill -9`` included) leaves the previous generation live and loadable. Readers hold a snapshot.

A generation holds two sets of documents: the published ones (``dense.faiss``, ``keyword/``), the only ones
a snapshot's ``documents`` and ``chunks`` hold, so nothing built on a snapshot can answer from a document
nobody reviewed; and drafts waiting for a reviewer (``drafts/dense.faiss``, ``drafts/keyword/``), reached
only through ``IndexSnapshot.drafts``. A changed upload of a published document waits as a draft under the
same id while the published version keeps answering; publishing swaps it in.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from knowledge.catalog_db import read_catalog, write_catalog
from knowledge.chunking import DEFAULT_MAX_CHARS
from knowledge.documents import Chunk, Document, DocumentStatus
from knowledge.embedding import E5Embeddings, PassageEmbedder
from knowledge.embedding_cache import EmbeddingCache
from knowledge.keyword import KEYWORD_FORMAT, KeywordIndex
from knowledge.metadata import EDITABLE, named_by_product_code
from knowledge.parsing import ReadOptions
from knowledge.reading import READER_VERSION
from knowledge.reading_pool import MAIN_GUARD, read_files, starting_a_worker

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
    drafts: IndexSnapshot | None = None  # the drafts of this generation, searchable apart; None when none

    def document_of(self, chunk: Chunk) -> Document:
        return self.documents[chunk.document_id]


@dataclass
class _Part:
    """The documents of one status while a writer edits them; chunk lists are merged once, at the end,
    so a batch of many files costs one pass over the chunks."""

    documents: dict[str, Document]
    chunks: list[Chunk]
    _replaced: dict[str, list[Chunk]] = field(default_factory=dict)  # document id -> new chunks ([] = gone)

    def put(self, document: Document, chunks: list[Chunk], old_id: str | None = None) -> None:
        if old_id is not None and old_id in self.documents:
            self.documents.pop(old_id)
            self._replaced.setdefault(old_id, [])
        self.documents[document.id] = document
        self._replaced[document.id] = chunks

    def drop(self, document_id: str) -> None:
        self.documents.pop(document_id, None)
        self._replaced[document_id] = []

    def chunks_of(self, document_id: str) -> list[Chunk]:
        if document_id in self._replaced:
            return list(self._replaced[document_id])
        return [c for c in self.chunks if c.document_id == document_id]

    @property
    def changed(self) -> bool:
        return bool(self._replaced)

    def merged(self) -> list[Chunk]:
        if self._replaced:
            kept = [c for c in self.chunks if c.document_id not in self._replaced]
            kept.extend(c for new_chunks in self._replaced.values() for c in new_chunks)
            self.chunks, self._replaced = kept, {}
        return self.chunks


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: int = 0  # documents titled by their product code, named after a sibling document
    chunks: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def _name_by_product_code(published: _Part, drafts: _Part) -> int:
    """Give excerpts titled 【CODE】 the product's name from a document with the same code: a published
    one takes it from published documents only (a draft's name is not reviewed yet); a draft from both."""
    count = 0
    for part, among in ((published, list(published.documents.values())),
                        (drafts, [*published.documents.values(), *drafts.documents.values()])):
        for document in named_by_product_code(part.documents.values(), among):
            part.put(document, part.chunks_of(document.id), document.id)
            count += 1
    return count


class EmptyKnowledgeBase(LookupError):
    """No index has been built yet in this folder."""


class UnknownDocument(LookupError):
    """No document (or no draft) with the id given."""


class ReviewConflict(ValueError):
    """A review step that does not fit the document's state; the message says what to do instead."""


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


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
                 max_chars: int = DEFAULT_MAX_CHARS, read_options: ReadOptions | None = None) -> None:
        self.folder = folder
        self.embedder = embedder or E5Embeddings()
        self.max_chars = max_chars
        self.read_options = read_options or ReadOptions()
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
        drafts = None
        if (folder / "drafts").is_dir():  # generations written before reviews existed have none
            draft_docs, draft_chunks = read_catalog(folder / "catalog.sqlite", drafts=True)
            drafts = IndexSnapshot(
                generation=f"{generation}/drafts",
                documents={d.id: d for d in draft_docs},
                chunks=draft_chunks,
                dense=faiss.read_index(str(folder / "drafts" / "dense.faiss")),
                keyword=KeywordIndex.load(folder / "drafts" / "keyword", len(draft_chunks)),
            )
        return IndexSnapshot(
            generation=generation,
            documents={d.id: d for d in documents},
            chunks=chunks,
            dense=faiss.read_index(str(folder / "dense.faiss")),
            keyword=KeywordIndex.load(folder / "keyword", len(chunks)),
            drafts=drafts,
        )

    def _format(self) -> str:
        return f"{KEYWORD_FORMAT}|{self.embedder.name}|reader {READER_VERSION}"

    def _built_format(self) -> str | None:
        generation = self.current_generation()
        if generation is None:
            return None
        try:
            return (self.folder / "generations" / generation / "format.txt").read_text().strip()
        except FileNotFoundError:
            return ""

    def read_by_another_version(self) -> bool:
        """True when the live generation's chunks were made by other parsing or chunking code."""
        built = self._built_format()
        return built is not None and not built.endswith(f"|reader {READER_VERSION}")

    def is_stale(self) -> bool:
        """True when the live generation was built with other tokens, another embedding model or another
        reader version (``refresh`` brings it up to date)."""
        built = self._built_format()
        return built is not None and built != self._format()

    def refresh(self, progress: ProgressFn | None = None) -> None:
        """Rebuild the indexes of the live documents with the current code (vectors come from the cache).
        When the chunks were made by another reader version, each document whose file is still there is
        re-read and re-chunked first; its metadata and review state stay as they are."""
        with self._writer_lock():
            published, drafts = self._current_contents()
            if self.read_by_another_version():
                for part in (published, drafts):
                    self._rechunk(part)
            _name_by_product_code(published, drafts)
            self._write_parts(published, drafts, progress)

    def _rechunk(self, part: _Part) -> None:
        sources: dict[str, list[Document]] = {}
        for document in part.documents.values():
            sources.setdefault(document.source, []).append(document)
        # An upload whose file is gone keeps the chunks it has.
        paths = [Path(source) for source in sources if Path(source).is_file()]
        for read in read_files(paths, self.read_options, self.max_chars):
            if read.error:
                log.warning("%s: kept its old chunks, re-reading failed: %s", read.path, read.error)
                continue
            found = {d.locator: (d.content_hash, chunks) for d, chunks in read.found}
            for document in sources[str(read.path)]:
                content_hash, chunks = found.get(document.locator, ("", None))
                # A file edited since it was reviewed keeps the reviewed chunks: its new text is an
                # upload for review, not a re-reading.
                if chunks is not None and content_hash == document.content_hash:
                    part.put(document, [replace(c, id=f"{document.id}:{n:04d}", document_id=document.id)
                                        for n, c in enumerate(chunks)], document.id)

    def documents(self) -> list[Document]:
        """The published documents: what customers can be answered from."""
        if not self.exists():
            return []
        return sorted(self.snapshot().documents.values(), key=lambda d: d.source)

    def drafts(self) -> list[Document]:
        """Documents waiting for a reviewer (a changed upload of a published one included)."""
        drafts = self.snapshot().drafts if self.exists() else None
        return sorted(drafts.documents.values(), key=lambda d: d.source) if drafts else []

    def document(self, document_id: str, draft: bool | None = None) -> Document:
        """The document with this id: its draft when there is one (or ``draft`` says so), else the published
        version; UnknownDocument when there is neither."""
        snap = self.snapshot() if self.exists() else None
        found = None
        if snap is not None and draft is not False and snap.drafts is not None:
            found = snap.drafts.documents.get(document_id)
        if snap is not None and found is None and draft is not True:
            found = snap.documents.get(document_id)
        if found is None:
            what = "draft" if draft else "document"
            raise UnknownDocument(f"no {what} {document_id!r}; `digital-employee kb list` shows the ids")
        return found

    def chunk_counts(self) -> dict[tuple[str, DocumentStatus], int]:
        """(document id, status) -> chunks, for listings."""
        counts: dict[tuple[str, DocumentStatus], int] = {}
        if not self.exists():
            return counts
        snap = self.snapshot()
        for part, status in ((snap, DocumentStatus.PUBLISHED), (snap.drafts, DocumentStatus.DRAFT)):
            for chunk in part.chunks if part else ():
                key = (chunk.document_id, status)
                counts[key] = counts.get(key, 0) + 1
        return counts

    # ---- writing -----------------------------------------------------------------------------
    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _current_contents(self) -> tuple[_Part, _Part]:
        """(published, drafts) of the live generation, for a writer to change."""
        if not self.exists():
            return _Part({}, []), _Part({}, [])
        snap = self.snapshot()
        drafts = snap.drafts
        return (_Part(dict(snap.documents), list(snap.chunks)),
                _Part(dict(drafts.documents) if drafts else {}, list(drafts.chunks) if drafts else []))

    def ingest(self, paths: list[Path], progress: ProgressFn | None = None, force: bool = False, *,
               draft: bool = False, actor: str = "",
               product_names: dict[str, tuple[str, ...]] | None = None) -> IngestReport:
        """Add or update documents; a file that fails is reported and the rest go in. ``force`` re-reads
        unchanged files too (after an upgrade that reads metadata or chunks differently).

        ``draft`` puts them in as drafts for a reviewer, their metadata guessed from the content where the
        file does not state it (``product_names`` tags products mentioned); a published version of the same
        document keeps answering until the draft is published. Without ``draft`` they are published at once
        (an operator's explicit act). ``actor`` is recorded as the uploader (and publisher)."""
        if starting_a_worker():
            raise RuntimeError(MAIN_GUARD)
        started = time.perf_counter()
        report = IngestReport()
        with self._writer_lock():
            self._remove_partials()
            # Files read by other parsing or chunking code are re-read even when they have not changed.
            reread = force or self.read_by_another_version()
            published, drafts = self._current_contents()
            target = drafts if draft else published
            for read in read_files(collect_files(paths), self.read_options, self.max_chars, draft, product_names,
                                   progress):
                path, found = read.path, read.found
                if read.error:
                    report.failed.append((str(path), read.error))
                    continue
                source = str(path.resolve())
                before = {d.locator: d for d in target.documents.values() if d.source == source}
                live = {d.locator: d for d in published.documents.values() if d.source == source}
                own = {d.id for part in (published, drafts) for d in part.documents.values() if d.source == source}
                clash = [d.id for d, _ in found
                         if (d.id in published.documents or d.id in drafts.documents) and d.id not in own]
                if clash:
                    report.failed.append((str(path), f"document id {clash[0]!r} is already used by another file"))
                    continue
                for document, new_chunks in found:
                    label = f"{path}#{document.locator}" if document.locator else str(path)
                    old = before.pop(document.locator, None)
                    current = live.get(document.locator)
                    same = old if old is not None else (current if draft else None)
                    if same is not None and same.content_hash == document.content_hash and not reread:
                        report.unchanged.append(label)  # a draft of the live text would be no change
                        continue
                    (report.updated if old is not None or current is not None else report.added).append(label)
                    stamped = replace(document, status=DocumentStatus.DRAFT if draft else DocumentStatus.PUBLISHED,
                                      uploaded_by=actor, published_by="" if draft else actor,
                                      published_at=None if draft else _now())
                    target.put(stamped, new_chunks, old.id if old is not None else None)
                for gone in before.values():  # passages no longer in the file (their drafts only, for a draft)
                    target.drop(gone.id)
                    report.removed.append(f"{path}#{gone.locator}" if gone.locator else str(path))
            renamed = _name_by_product_code(published, drafts) if report.changed else 0
            if report.changed or not self.exists() or self.is_stale():
                self._write_parts(published, drafts, progress)
            report.chunks = len(published.merged())
            report.renamed = renamed
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, document_ids: list[str], status: DocumentStatus | None = None) -> list[str]:
        """Remove documents by id (or by source path), both versions unless ``status`` names one; returns
        the ids that were removed."""
        with self._writer_lock():
            published, drafts = self._current_contents()
            doomed: set[str] = set()
            for part, part_status in ((published, DocumentStatus.PUBLISHED), (drafts, DocumentStatus.DRAFT)):
                if status is not None and status is not part_status:
                    continue
                for doc in [d for d in part.documents.values() if d.id in document_ids or d.source in document_ids]:
                    part.drop(doc.id)
                    doomed.add(doc.id)
            if doomed:
                self._write_parts(published, drafts, None)
        return sorted(doomed)

    # ---- review ------------------------------------------------------------------------------
    def publish(self, document_id: str, actor: str = "") -> Document:
        """Put a draft live in place of its published version (if any), recording who and when."""
        with self._writer_lock():
            published, drafts = self._current_contents()
            draft = drafts.documents.get(document_id)
            if draft is None:
                where = "it is already published" if document_id in published.documents else "there is no such document"
                raise ReviewConflict(f"{document_id!r} has no draft to publish: {where}")
            live = replace(draft, status=DocumentStatus.PUBLISHED, published_by=actor, published_at=_now())
            published.put(live, drafts.chunks_of(document_id), document_id)
            drafts.drop(document_id)
            self._write_parts(published, drafts, None)
        return live

    def unpublish(self, document_id: str, actor: str = "") -> Document:
        """Withdraw a published document from customers; it goes back to the drafts for another review."""
        with self._writer_lock():
            published, drafts = self._current_contents()
            live = published.documents.get(document_id)
            if live is None:
                raise UnknownDocument(f"no published document {document_id!r}")
            if document_id in drafts.documents:
                raise ReviewConflict(f"{document_id!r} has a newer draft waiting: publish it or remove the draft "
                                     "first, then withdraw")
            draft = replace(live, status=DocumentStatus.DRAFT, uploaded_by=live.uploaded_by or actor,
                            published_by="", published_at=None)
            drafts.put(draft, published.chunks_of(document_id))
            published.drop(document_id)
            self._write_parts(published, drafts, None)
        return draft

    def edit(self, document_id: str, changes: dict[str, Any], actor: str = "") -> Document:
        """Change a document's metadata (``knowledge.metadata.metadata_changes`` types them). A draft is
        edited in place; editing a published document makes an edited draft of it, so the change is
        reviewed before customers see it. Returns the draft."""
        wrong = sorted(set(changes) - set(EDITABLE))
        if wrong:
            raise ValueError(f"{', '.join(wrong)} cannot be edited; editable: {', '.join(EDITABLE)}")
        with self._writer_lock():
            published, drafts = self._current_contents()
            base = drafts.documents.get(document_id)
            part = drafts
            if base is None:
                base, part = published.documents.get(document_id), published
            if base is None:
                raise UnknownDocument(f"no document {document_id!r}; `digital-employee kb list` shows the ids")
            edited = replace(base, **changes, status=DocumentStatus.DRAFT, published_by="", published_at=None,
                             uploaded_by=base.uploaded_by or actor)
            if edited.effective_date and edited.expiry_date and edited.expiry_date <= edited.effective_date:
                raise ValueError(f"the expiry date {edited.expiry_date} is not after the effective date "
                                 f"{edited.effective_date}")
            drafts.put(edited, part.chunks_of(document_id), document_id)
            self._write_parts(published, drafts, None)
        return edited

    def _write_parts(self, published: _Part, drafts: _Part, progress: ProgressFn | None) -> None:
        self._write_generation(published.documents, published.merged(), progress,
                               drafts=(drafts.documents, drafts.merged()))

    def _write_generation(self, documents: dict[str, Document], chunks: list[Chunk],
                          progress: ProgressFn | None,
                          drafts: tuple[dict[str, Document], list[Chunk]] | None = None) -> None:
        """Write a complete generation (published documents and, when given, drafts) and swap it in."""
        generations = self.folder / "generations"
        name = f"g{time.time_ns()}-{os.getpid()}"
        staging = generations / f".{name}.partial"
        staging.mkdir(parents=True)
        draft_docs, draft_chunks = drafts or ({}, [])
        try:
            texts = [index_text(documents[c.document_id], c) for c in chunks]
            draft_texts = [index_text(draft_docs[c.document_id], c) for c in draft_chunks]
            cache = EmbeddingCache(self.folder / "embeddings.sqlite")
            done = 0
            total = len(texts) + len(draft_texts)

            def tick(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress("embed", done, total)

            for folder, part_texts in ((staging, texts), (staging / "drafts", draft_texts)):
                if folder != staging and not draft_docs:
                    continue
                folder.mkdir(exist_ok=True)
                vectors = cache.embed(self.embedder.name, part_texts, self.embedder.passages, self.embedder.dim,
                                      on_progress=tick)
                dense = faiss.IndexFlatIP(self.embedder.dim)
                if len(vectors):
                    dense.add(np.ascontiguousarray(vectors))
                faiss.write_index(dense, str(folder / "dense.faiss"))
                KeywordIndex.build(part_texts).save(folder / "keyword")
            write_catalog(staging / "catalog.sqlite", sorted(documents.values(), key=lambda d: d.source), chunks,
                          sorted(draft_docs.values(), key=lambda d: d.source), draft_chunks)
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
