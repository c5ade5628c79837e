"""The knowledge base for administrators: upload (as a draft), review (edit, publish, withdraw), list,
delete, and hit-test a query. Uploads never answer customers until an administrator publishes them; every
step is recorded in the audit log under the caller's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, UploadFile
from pydantic import BaseModel, Field

from knowledge import DocumentStatus, ReviewConflict, SearchFilters, UnknownDocument
from ui import document_review as review
from ui.auth import Identity, require
from ui.context import AppContext
from ui.uploads import BadUpload, FileTooLarge, forget_upload, ingest_upload, save_upload, uploads_dir
from ui.users import Role

_READ = 1024 * 1024


class MetadataEdit(BaseModel):
    """The fields a reviewer may change; those left out stay as they are. Dates as 2026-01-31, "" for none."""

    title: str | None = Field(None, max_length=300)
    kind: str | None = Field(None, description="product, regulation, faq or training")
    audience: str | None = Field(None, description="customer or staff")
    products: list[str] | str | None = Field(None, description="product tags, a list or 'a, b'")
    effective_date: str | None = None
    expiry_date: str | None = None
    language: str | None = Field(None, description="zh or en")
    version: str | None = Field(None, max_length=100)

    def fields(self) -> dict[str, str | None]:
        values = self.model_dump(exclude_unset=True)
        if isinstance(values.get("products"), list):
            values["products"] = ", ".join(values["products"])
        return values


def _pieces(upload: UploadFile) -> Iterator[bytes]:
    while piece := upload.file.read(_READ):
        yield piece


def _status(value: str | None) -> DocumentStatus | None:
    if value in (None, "", "all"):
        return None
    try:
        return DocumentStatus(value)
    except ValueError:
        raise HTTPException(422, f"status {value!r}: use draft, published or all") from None


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api/documents", tags=["documents"])
    admin = Depends(require(Role.ADMIN))

    @router.get("")
    def list_documents(status: str | None = None, identity: Identity = admin) -> list[dict[str, Any]]:
        """Drafts waiting for review, then published documents (``?status=draft|published`` for one kind)."""
        wanted = _status(status)
        return [d for d in review.listing(ctx.kb) if wanted is None or d["status"] == wanted.value]

    @router.post("", status_code=201, responses={413: {"description": "the file is over max_file_mb"},
                                                 422: {"description": "the file could not be read"}})
    def upload(file: UploadFile, identity: Identity = admin) -> dict[str, Any]:
        """Add or replace one document (.md .txt .pdf .docx .html .jsonl), at most ``max_file_mb``, as a draft
        whose metadata is guessed from its content; a published version keeps answering until the draft is
        published (``POST /api/documents/{id}/publish``)."""
        name = file.filename or ""
        try:
            existed = (uploads_dir(ctx.settings) / Path(name).name).exists() if name else False
            path = save_upload(ctx.settings, name, _pieces(file))
        except FileTooLarge as err:
            raise HTTPException(413, str(err)) from None
        except BadUpload as err:
            raise HTTPException(422, str(err)) from None
        result = ingest_upload(ctx.kb, path, existed, identity.name, review.product_names(ctx.answerer.catalog))
        if not result.ok:
            reason = "; ".join(error for _, error in result.report.failed)
            raise HTTPException(422, f"{name} was not added: {reason}")
        report = result.report
        drafts = review.record_ingest(ctx.audit, identity.name, ctx.kb, report)
        return {"file": name, "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                "chunks": report.chunks, "seconds": round(report.seconds, 2),
                "drafts": [review.document_dict(d) for d in drafts]}

    @router.patch("/{document_id}", responses={404: {"description": "no such document"},
                                               422: {"description": "a value is not valid"}})
    def edit(document_id: str, body: MetadataEdit, identity: Identity = admin) -> dict[str, Any]:
        """Change a draft's metadata; editing a published document makes a draft of the change, reviewed like
        an upload, while the published version keeps answering."""
        try:
            return review.document_dict(review.edit(ctx.kb, ctx.audit, identity.name, document_id, body.fields()))
        except UnknownDocument as err:
            raise HTTPException(404, str(err)) from None
        except ValueError as err:
            raise HTTPException(422, str(err)) from None

    @router.post("/{document_id}/publish", responses={409: {"description": "no draft to publish"}})
    def publish(document_id: str, identity: Identity = admin) -> dict[str, Any]:
        """Put the draft live for customers, in place of its published version if any."""
        try:
            return review.document_dict(review.publish(ctx.kb, ctx.audit, identity.name, document_id))
        except ReviewConflict as err:
            raise HTTPException(409, str(err)) from None

    @router.post("/{document_id}/unpublish", responses={404: {"description": "no published document"},
                                                        409: {"description": "a newer draft is waiting"}})
    def unpublish(document_id: str, identity: Identity = admin) -> dict[str, Any]:
        """Withdraw a published document from customers; it becomes a draft again."""
        try:
            return review.document_dict(review.unpublish(ctx.kb, ctx.audit, identity.name, document_id))
        except UnknownDocument as err:
            raise HTTPException(404, str(err)) from None
        except ReviewConflict as err:
            raise HTTPException(409, str(err)) from None

    @router.get("/{document_id}/history")
    def history(document_id: str, identity: Identity = admin) -> list[dict[str, Any]]:
        """Who uploaded, edited, published or removed this document, newest first."""
        return [{"actor": e.actor, "action": e.action, "detail": e.detail, "at": e.created_at.isoformat()}
                for e in review.history(ctx.audit, document_id)]

    @router.delete("/{document_id}")
    def delete(document_id: str, status: str | None = None, identity: Identity = admin) -> dict[str, Any]:
        """Remove a document; ``?status=draft`` discards only its draft (the published version stays)."""
        removed, orphaned = review.remove(ctx.kb, ctx.audit, identity.name, document_id, _status(status))
        if not removed:
            raise HTTPException(404, f"no document {document_id!r}; GET /api/documents lists them")
        for source in orphaned:
            forget_upload(ctx.settings, source)
        return {"removed": removed}

    @router.get("/search")
    def hit_test(q: str, k: int = 5, drafts: bool = True, identity: Identity = admin) -> list[dict[str, Any]]:
        """The ranked chunks a query retrieves (every audience; drafts too unless ``drafts=false``, each hit
        with its ``status``), with scores and section paths."""
        if not q.strip():
            raise HTTPException(422, "the query is empty: pass ?q=words to look for")
        if not 1 <= k <= 50:
            raise HTTPException(422, f"k must be between 1 and 50, not {k}")
        return [{"rank": ev.rank, "score": ev.score, "dense_score": ev.dense_score,
                 "keyword_score": ev.keyword_score, "rerank_score": ev.rerank_score, "chunk_id": ev.chunk.id,
                 "document_id": ev.document.id, "title": ev.document.title, "status": ev.document.status.value,
                 "section": ev.chunk.section(), "label": ev.citation_label(), "text": ev.chunk.text}
                for ev in ctx.hit_test.run(q, k, SearchFilters(include_drafts=drafts))]

    return router
