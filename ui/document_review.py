"""The review of uploaded documents, shared by the knowledge page, the documents API and the CLI: each step
changes the knowledge base and records who did it in the audit log (``document.uploaded``, ``.edited``,
``.published``, ``.unpublished``, ``.removed``, subject ``document:<id>``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from agent.records.audit import AuditLog, EventRecord
from knowledge import Document, DocumentStatus, KnowledgeBase
from knowledge.metadata import metadata_changes
from knowledge.products import ProductCatalog
from knowledge.store import IngestReport

SUBJECT = "document:"


def subject(document_id: str) -> str:
    return f"{SUBJECT}{document_id}"


def product_names(catalog: ProductCatalog) -> dict[str, tuple[str, ...]]:
    """Product key -> its names in every language: an upload mentioning one is tagged with it."""
    return {key: tuple(product.names.values()) for key, product in catalog.products.items()}


def document_dict(document: Document, chunks: int | None = None) -> dict[str, Any]:
    """A document as the API and pages show it, review fields included."""
    found: dict[str, Any] = {
        "id": document.id, "title": document.title, "status": document.status.value, "kind": document.kind.value,
        "language": document.language, "audience": document.audience.value, "products": list(document.products),
        "effective_date": _iso(document.effective_date), "expiry_date": _iso(document.expiry_date),
        "version": document.version, "source": document.source, "uploaded_by": document.uploaded_by,
        "published_by": document.published_by,
        "published_at": document.published_at.isoformat() if document.published_at else None,
    }
    if chunks is not None:
        found["chunks"] = chunks
    return found


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) or "(none)"
    if hasattr(value, "value"):
        return str(value.value)
    return "(none)" if value in (None, "") else str(value)


def listing(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Drafts first (they wait for someone), then the published documents, each with its chunk count."""
    counts = kb.chunk_counts()
    return [document_dict(d, counts.get((d.id, d.status), 0)) for d in [*kb.drafts(), *kb.documents()]]


def _keys(labels: list[str]) -> set[tuple[str, str]]:
    """(source, locator) of an ingest report's labels (``path`` or ``path#passage``)."""
    keys = set()
    for label in labels:
        if Path(label).exists():
            keys.add((str(Path(label).resolve()), ""))
        else:
            head, _, locator = label.rpartition("#")
            keys.add((str(Path(head).resolve()), locator))
    return keys


def record_ingest(audit: AuditLog, actor: str, kb: KnowledgeBase, report: IngestReport, draft: bool = True,
                  via: str = "web") -> list[Document]:
    """One ``document.uploaded`` (a draft) or ``document.published`` (an operator's ingest) event per
    document an ingest added or changed; returns those documents."""
    added, updated = _keys(report.added), _keys(report.updated)
    made = []
    for doc in kb.drafts() if draft else kb.documents():
        key = (doc.source, doc.locator)
        if key in added or key in updated:
            audit.record_event(actor, "document.uploaded" if draft else "document.published", subject(doc.id), {
                "file": Path(doc.source).name, "title": doc.title, "status": doc.status.value,
                "change": "added" if key in added else "updated", "via": via})
            made.append(doc)
    return made


def edit(kb: KnowledgeBase, audit: AuditLog, actor: str, document_id: str,
         fields: Mapping[str, str | None]) -> Document:
    """Apply a reviewer's metadata fields (strings as typed); ValueError names a bad value, UnknownDocument an
    unknown id. The event records each changed field as ``old -> new``."""
    changes = metadata_changes(fields)
    before = kb.document(document_id)
    edited = kb.edit(document_id, changes, actor)
    detail = {key: f"{_shown(getattr(before, key))} -> {_shown(getattr(edited, key))}"
              for key in changes if getattr(before, key) != getattr(edited, key)}
    audit.record_event(actor, "document.edited", subject(document_id),
                       {"title": edited.title, "was": before.status.value, **detail})
    return edited


def publish(kb: KnowledgeBase, audit: AuditLog, actor: str, document_id: str) -> Document:
    """Put a draft live; ReviewConflict when there is no draft of that id."""
    replaced = document_id in {d.id for d in kb.documents()}
    live = kb.publish(document_id, actor)
    audit.record_event(actor, "document.published", subject(document_id),
                       {"title": live.title, "replaced_published_version": "yes" if replaced else "no",
                        "uploaded_by": live.uploaded_by})
    return live


def unpublish(kb: KnowledgeBase, audit: AuditLog, actor: str, document_id: str) -> Document:
    draft = kb.unpublish(document_id, actor)
    audit.record_event(actor, "document.unpublished", subject(document_id), {"title": draft.title})
    return draft


def remove(kb: KnowledgeBase, audit: AuditLog, actor: str, document_id: str,
           status: DocumentStatus | None = None) -> tuple[list[str], list[str]]:
    """Remove a document (only its draft, or only its published version, with ``status``); returns the ids
    removed and the sources no document cites any more, for the caller to drop their uploaded copies."""
    known = {d.id: d for d in [*kb.documents(), *kb.drafts()] if document_id in (d.id, d.source)}
    removed = kb.remove([document_id], status)
    for doc_id in removed:
        audit.record_event(actor, "document.removed", subject(doc_id),
                           {"title": known[doc_id].title if doc_id in known else "",
                            "version": status.value if status else "all"})
    cited = {d.source for d in [*kb.documents(), *kb.drafts()]}
    orphaned = sorted({known[i].source for i in removed if i in known} - cited)
    return removed, orphaned


def history(audit: AuditLog, document_id: str | None = None, limit: int = 200) -> list[EventRecord]:
    """The review events of one document (or of all), newest first."""
    if document_id is not None:
        return audit.events(subject=subject(document_id), limit=limit)
    return audit.events(action_prefix="document.", limit=limit)
