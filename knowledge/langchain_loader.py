"""Our document parsers as a LangChain ``BaseLoader``: a LangChain pipeline gets the same structure-aware
chunks the knowledge base indexes (never across an article, each with its section path and page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document as LCDocument

from knowledge.chunking import DEFAULT_MAX_CHARS
from knowledge.documents import Chunk, Document
from knowledge.parsing import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, DocumentError, ReadOptions
from knowledge.reading import read_file


def chunk_metadata(document: Document, chunk: Chunk) -> dict[str, object]:
    return {"source": document.source, "document_id": document.id, "chunk_id": chunk.id, "title": document.title,
            "section": chunk.section(), "section_path": list(chunk.section_path), "page": chunk.page, "ocr": chunk.ocr,
            "start": chunk.start, "end": chunk.end, "kind": document.kind.value, "language": document.language,
            "audience": document.audience.value, "products": list(document.products), "version": document.version,
            "effective_date": document.effective_date.isoformat() if document.effective_date else None,
            "expiry_date": document.expiry_date.isoformat() if document.expiry_date else None}


class DigitalEmployeeLoader(BaseLoader):
    """Chunks of a file, or of every supported file under a folder (sorted, so runs repeat).

    A file that cannot be read raises :class:`~knowledge.parsing.DocumentError` naming it, as ingestion
    reports it; pass ``skip_bad_files=True`` to load the rest of a folder and keep the errors in ``errors``."""

    def __init__(self, path: str | Path, max_chars: int = DEFAULT_MAX_CHARS, max_file_bytes: int = MAX_FILE_BYTES,
                 skip_bad_files: bool = False, ocr: str = "auto") -> None:
        self.path = Path(path)
        self.max_chars = max_chars
        self.read_options = ReadOptions(max_bytes=max_file_bytes, ocr=ocr)
        self.skip_bad_files = skip_bad_files
        self.errors: list[tuple[Path, str]] = []

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such file or folder")
        return [self.path]

    def lazy_load(self) -> Iterator[LCDocument]:
        for path in self._files():
            try:
                found = read_file(path, self.read_options, self.max_chars)
            except DocumentError as err:
                if not self.skip_bad_files:
                    raise
                self.errors.append((path, str(err)))
                continue
            for document, chunks in found:
                for chunk in chunks:
                    yield LCDocument(page_content=chunk.text, id=chunk.id, metadata=chunk_metadata(document, chunk))
