"""One file to its documents and their structure-aware chunks: the parsing, metadata and chunking steps
that ingestion runs, as one function the knowledge store and the LangChain loader share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from knowledge.chunking import DEFAULT_MAX_CHARS, chunk_text
from knowledge.documents import Chunk, Document
from knowledge.metadata import build_document
from knowledge.parsing import ReadOptions, parse_file

# What a file becomes (text, sections, chunks) changes with this code, not only with the file: a
# knowledge base built by another version re-reads its files (KnowledgeBase.refresh, ingest), so an
# upgrade that reads tables or scans differently is not hidden behind "unchanged". Bump it with any
# change to parsing or chunking.
READER_VERSION = "2026-12-05.ocr-script"


def read_file(path: Path, options: ReadOptions | None = None, max_chars: int = DEFAULT_MAX_CHARS,
              infer: bool = False,
              product_names: dict[str, tuple[str, ...]] | None = None) -> list[tuple[Document, list[Chunk]]]:
    """The documents in one file with their chunks (a page on each chunk of a paged format, marked when
    OCR read it); :class:`~knowledge.parsing.DocumentError` when the file cannot be used."""
    source = str(path.resolve())
    found = []
    for parsed in parse_file(path, options):
        document = build_document(parsed, source, infer=infer, product_names=product_names)
        chunks = chunk_text(document.id, parsed.text, document.title, max_chars)
        if parsed.page_starts:
            chunks = [replace(c, page=(page := parsed.page_at(c.start)), ocr=page in parsed.ocr_pages)
                      for c in chunks]
        found.append((document, chunks))
    return found
