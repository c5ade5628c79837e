"""The types that cross the knowledge room's boundary: documents, chunks and retrieved evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum


class DocumentKind(str, Enum):
    PRODUCT = "product"
    REGULATION = "regulation"
    FAQ = "faq"
    TRAINING = "training"

    @classmethod
    def from_str(cls, value: str) -> DocumentKind:
        try:
            return cls(value.strip().lower())
        except ValueError:
            allowed = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown document kind {value!r}; use one of: {allowed}") from None


class Audience(str, Enum):
    CUSTOMER = "customer"
    STAFF = "staff"

    @classmethod
    def from_str(cls, value: str) -> Audience:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown audience {value!r}; use 'customer' or 'staff'") from None


class DocumentStatus(str, Enum):
    """A draft waits for a reviewer; only published documents ever answer customers."""

    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    source: str
    kind: DocumentKind
    language: str
    content_hash: str
    version: str = ""
    effective_date: date | None = None
    expiry_date: date | None = None
    audience: Audience = Audience.CUSTOMER
    products: tuple[str, ...] = ()
    # The part of ``source`` this document is ("" for a whole file; a passage id in a JSONL corpus).
    locator: str = ""
    status: DocumentStatus = DocumentStatus.PUBLISHED
    uploaded_by: str = ""  # who put this version in ("" for documents ingested before reviews existed)
    published_by: str = ""
    published_at: datetime | None = None

    @property
    def is_draft(self) -> bool:
        return self.status is DocumentStatus.DRAFT

    def in_force_on(self, day: date) -> bool:
        if self.effective_date and day < self.effective_date:
            return False
        return not (self.expiry_date and day >= self.expiry_date)


@dataclass(frozen=True)
class Chunk:
    id: str
    document_id: str
    text: str
    # Headings from the document's top to this chunk, e.g. ("第二章 保险合同", "第十六条").
    section_path: tuple[str, ...]
    start: int
    end: int
    page: int | None = None  # 1-based page of the chunk's start, for paged formats (PDF)
    ocr: bool = False  # read by OCR from a scanned page: a reader should check the original before quoting it

    def section(self) -> str:
        return " > ".join(self.section_path)


@dataclass(frozen=True)
class Evidence:
    chunk: Chunk
    document: Document
    score: float  # fused rank score; only comparable within one result list
    rank: int
    dense_score: float | None = None  # cosine similarity, comparable across queries
    keyword_score: float | None = None
    rerank_score: float | None = None  # set when a reranker ordered the list

    def citation_label(self) -> str:
        parts = [self.document.title, self.chunk.section()]
        if self.chunk.page is not None:
            parts.append(f"p. {self.chunk.page} (OCR)" if self.chunk.ocr else f"p. {self.chunk.page}")
        return " > ".join(p for p in parts if p)
