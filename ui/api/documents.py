"""The knowledge base for administrators: upload, list, delete, and hit-test a query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, UploadFile

from knowledge import SearchFilters
from ui.auth import Identity, require
from ui.context import AppContext
from ui.uploads import BadUpload, FileTooLarge, forget_upload, ingest_upload, save_upload, uploads_dir
from ui.users import Role

_READ = 1024 * 1024


def _pieces(upload: UploadFile) -> Iterator[bytes]:
    while piece := upload.file.read(_READ):
        yield piece


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api/documents", tags=["documents"])
    admin = Depends(require(Role.ADMIN))

    @router.get("")
    def list_documents(identity: Identity = admin) -> list[dict[str, Any]]:
        counts: dict[str, int] = {}
        if ctx.kb.exists():
            for chunk in ctx.kb.snapshot().chunks:
                counts[chunk.document_id] = counts.get(chunk.document_id, 0) + 1
        return [{"id": d.id, "title": d.title, "kind": d.kind.value, "language": d.language, "source": d.source,
                 "audience": d.audience.value, "chunks": counts.get(d.id, 0)} for d in ctx.kb.documents()]

    @router.post("", status_code=201, responses={413: {"description": "the file is over max_file_mb"},
                                                 422: {"description": "the file could not be read"}})
    def upload(file: UploadFile, identity: Identity = admin) -> dict[str, Any]:
        """Add or replace one document (.md .txt .pdf .docx .html .jsonl), at most ``max_file_mb``."""
        name = file.filename or ""
        try:
            existed = (uploads_dir(ctx.settings) / Path(name).name).exists() if name else False
            path = save_upload(ctx.settings, name, _pieces(file))
        except FileTooLarge as err:
            raise HTTPException(413, str(err)) from None
        except BadUpload as err:
            raise HTTPException(422, str(err)) from None
        result = ingest_upload(ctx.kb, path, existed)
        if not result.ok:
            reason = "; ".join(error for _, error in result.report.failed)
            raise HTTPException(422, f"{name} was not added: {reason}")
        report = result.report
        return {"file": name, "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                "chunks": report.chunks, "seconds": round(report.seconds, 2)}

    @router.delete("/{document_id}")
    def delete(document_id: str, identity: Identity = admin) -> dict[str, Any]:
        sources = {d.id: d.source for d in ctx.kb.documents()}
        removed = ctx.kb.remove([document_id])
        if not removed:
            raise HTTPException(404, f"no document {document_id!r}; GET /api/documents lists them")
        for doc_id in removed:
            forget_upload(ctx.settings, sources.get(doc_id, ""))
        return {"removed": removed}

    @router.get("/search")
    def hit_test(q: str, k: int = 5, identity: Identity = admin) -> list[dict[str, Any]]:
        """The ranked chunks a query retrieves (every audience), with scores and section paths."""
        if not q.strip():
            raise HTTPException(422, "the query is empty: pass ?q=words to look for")
        if not 1 <= k <= 50:
            raise HTTPException(422, f"k must be between 1 and 50, not {k}")
        return [{"rank": ev.rank, "score": ev.score, "dense_score": ev.dense_score,
                 "keyword_score": ev.keyword_score, "rerank_score": ev.rerank_score, "chunk_id": ev.chunk.id,
                 "document_id": ev.document.id, "title": ev.document.title, "section": ev.chunk.section(),
                 "label": ev.citation_label(), "text": ev.chunk.text}
                for ev in ctx.hit_test.run(q, k, SearchFilters())]

    return router
