"""Documents and chunks of one index generation in a SQLite file; row order = vector order."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.documents import Audience, Chunk, Document, DocumentKind

_SCHEMA = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
    language TEXT NOT NULL, content_hash TEXT NOT NULL, version TEXT NOT NULL,
    effective_date TEXT, expiry_date TEXT, audience TEXT NOT NULL, products TEXT NOT NULL,
    locator TEXT NOT NULL DEFAULT ''
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, document_id TEXT NOT NULL REFERENCES documents(id),
    text TEXT NOT NULL, section_path TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page INTEGER
);
"""


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _optional(row: sqlite3.Row, column: str, default: Any) -> Any:
    """Columns added after the first release; generations written before them read with the default."""
    return row[column] if column in row.keys() else default


def write_catalog(path: Path, documents: list[Document], chunks: list[Chunk]) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (d.id, d.title, d.source, d.kind.value, d.language, d.content_hash, d.version,
                 _iso(d.effective_date), _iso(d.expiry_date), d.audience.value, json.dumps(list(d.products)), d.locator)
                for d in documents
            ],
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
            [
                (row, c.id, c.document_id, c.text, json.dumps(list(c.section_path), ensure_ascii=False),
                 c.start, c.end, c.page)
                for row, c in enumerate(chunks)
            ],
        )


def read_catalog(path: Path) -> tuple[list[Document], list[Chunk]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db, db:
        db.row_factory = sqlite3.Row
        documents = [
            Document(
                id=r[0], title=r[1], source=r[2], kind=DocumentKind(r[3]), language=r[4], content_hash=r[5],
                version=r[6], effective_date=_date(r[7]), expiry_date=_date(r[8]), audience=Audience(r[9]),
                products=tuple(json.loads(r[10])), locator=_optional(r, "locator", ""),
            )
            for r in db.execute("SELECT * FROM documents ORDER BY source")
        ]
        chunks = [
            Chunk(id=r[1], document_id=r[2], text=r[3], section_path=tuple(json.loads(r[4])), start=r[5], end=r[6],
                  page=_optional(r, "page", None))
            for r in db.execute("SELECT * FROM chunks ORDER BY row")
        ]
    return documents, chunks
