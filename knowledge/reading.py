"""One file to its documents and their structure-aware chunks: the parsing, metadata and chunking steps
that ingestion runs, as one function the knowledge store and the LangChain loader share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from knowledge.chunking import DEFAULT_MAX_CHARS, chunk_text
from knowledge.documents import Chunk, Document
from knowledge.metadata import build_document
from knowledge.parsing import MAX_FILE_BYTES, parse_file


def read_file(path: Path, max_file_bytes: int = MAX_FILE_BYTES, max_chars: int = DEFAULT_MAX_CHARS,
              infer: bool = False,
              product_names: dict[str, tuple[str, ...]] | None = None) -> list[tuple[Document, list[Chunk]]]:
    """The documents in one file with their chunks (a page on each chunk of a paged format);
    :class:`~knowledge.parsing.DocumentError` when the file cannot be used."""
    source = str(path.resolve())
    found = []
    for parsed in parse_file(path, max_file_bytes):
        document = build_document(parsed, source, infer=infer, product_names=product_names)
        chunks = chunk_text(document.id, parsed.text, document.title, max_chars)
        if parsed.page_starts:
            chunks = [replace(c, page=parsed.page_at(c.start)) for c in chunks]
        found.append((document, chunks))
    return found
