"""Documents and chunks of one index generation in a SQLite file; row order = vector order.

Published documents live in ``documents``/``chunks`` (vectors in ``dense.faiss``), drafts waiting for a
reviewer in ``draft_documents``/``draft_chunks`` (vectors in ``drafts/dense.faiss``): a draft revision of a
published document keeps its id, so both versions are held until the draft is published. Generations
written before reviews existed have no draft tables and no review columns; their documents read as
published.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.documents import Audience, Chunk, Document, DocumentKind, DocumentStatus

_TABLES = """
CREATE TABLE {documents} (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
    language TEXT NOT NULL, content_hash TEXT NOT NULL, version TEXT NOT NULL,
    effective_date TEXT, expiry_date TEXT, audience TEXT NOT NULL, products TEXT NOT NULL,
    locator TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'published',
    uploaded_by TEXT NOT NULL DEFAULT '', published_by TEXT NOT NULL DEFAULT '', published_at TEXT
);
CREATE TABLE {chunks} (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, document_id TEXT NOT NULL REFERENCES {documents}(id),
    text TEXT NOT NULL, section_path TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page INTEGER, ocr INTEGER NOT NULL DEFAULT 0
);
"""
_PUBLISHED = ("documents", "chunks")
_DRAFTS = ("draft_documents", "draft_chunks")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _optional(row: sqlite3.Row, column: str, default: Any) -> Any:
    """Columns added after the first release; generations written before them read with the default."""
    return row[column] if column in row.keys() else default


def _write(db: sqlite3.Connection, tables: tuple[str, str], documents: Sequence[Document],
           chunks: Sequence[Chunk]) -> None:
    doc_table, chunk_table = tables
    db.executescript(_TABLES.format(documents=doc_table, chunks=chunk_table))
    db.executemany(
        f"INSERT INTO {doc_table} VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (d.id, d.title, d.source, d.kind.value, d.language, d.content_hash, d.version,
             _iso(d.effective_date), _iso(d.expiry_date), d.audience.value, json.dumps(list(d.products)), d.locator,
             d.status.value, d.uploaded_by, d.published_by, d.published_at.isoformat() if d.published_at else None)
            for d in documents
        ],
    )
    db.executemany(
        f"INSERT INTO {chunk_table} VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (row, c.id, c.document_id, c.text, json.dumps(list(c.section_path), ensure_ascii=False),
             c.start, c.end, c.page, int(c.ocr))
            for row, c in enumerate(chunks)
        ],
    )


def write_catalog(path: Path, documents: Sequence[Document], chunks: Sequence[Chunk],
                  drafts: Sequence[Document] = (), draft_chunks: Sequence[Chunk] = ()) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        _write(db, _PUBLISHED, documents, chunks)
        _write(db, _DRAFTS, drafts, draft_chunks)


def read_catalog(path: Path, drafts: bool = False) -> tuple[list[Document], list[Chunk]]:
    """The published documents and chunks, or with ``drafts`` the drafts (none in an older generation)."""
    doc_table, chunk_table = _DRAFTS if drafts else _PUBLISHED
    default_status = DocumentStatus.DRAFT if drafts else DocumentStatus.PUBLISHED
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db, db:
        db.row_factory = sqlite3.Row
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (doc_table,)).fetchone()
        if not exists:
            return [], []
        documents = [
            Document(
                id=r[0], title=r[1], source=r[2], kind=DocumentKind(r[3]), language=r[4], content_hash=r[5],
                version=r[6], effective_date=_date(r[7]), expiry_date=_date(r[8]), audience=Audience(r[9]),
                products=tuple(json.loads(r[10])), locator=_optional(r, "locator", ""),
                status=DocumentStatus(_optional(r, "status", default_status.value)),
                uploaded_by=_optional(r, "uploaded_by", ""), published_by=_optional(r, "published_by", ""),
                published_at=_datetime(_optional(r, "published_at", None)),
            )
            for r in db.execute(f"SELECT * FROM {doc_table} ORDER BY source")
        ]
        chunks = [
            Chunk(id=r[1], document_id=r[2], text=r[3], section_path=tuple(json.loads(r[4])), start=r[5], end=r[6],
                  page=_optional(r, "page", None), ocr=bool(_optional(r, "ocr", 0)))
            for r in db.execute(f"SELECT * FROM {chunk_table} ORDER BY row")
        ]
    return documents, chunks
