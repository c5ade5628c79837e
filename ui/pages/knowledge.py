"""The knowledge page for administrators: upload documents (they enter as drafts), review a draft's
metadata and publish it, list documents with their status, withdraw or delete one, hit-test a query
(drafts included, marked as such). Customers only ever get published documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from knowledge import DocumentStatus, ReviewConflict, SearchFilters, UnknownDocument
from knowledge.documents import Audience, DocumentKind
from ui import document_review as review
from ui.auth import parse_owner
from ui.context import AppContext
from ui.uploads import BadUpload, FileTooLarge, forget_upload, ingest_upload, save_upload, uploads_dir
from ui.web import nav_bar

DOC_COLUMNS = ["status", "id", "title", "kind", "language", "audience", "products", "effective", "expiry",
               "chunks", "uploaded by", "published by", "source"]
HIT_COLUMNS = ["rank", "status", "fused", "cosine", "bm25", "document > section", "text"]
HISTORY_COLUMNS = ["when (UTC)", "who", "action", "detail"]
FILE_TYPES = [".md", ".txt", ".pdf", ".docx", ".html", ".htm", ".jsonl"]
DRAFT_LABEL = "DRAFT"
_EDIT_FIELDS = ("title", "kind", "audience", "products", "effective_date", "expiry_date", "language")


def _read_pieces(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while piece := f.read(1 << 20):
            yield piece


def _actor(request: gr.Request | None) -> str:
    identity = parse_owner(request.username if request else None)
    if identity is None:
        raise gr.Error("You are not logged in; reload the page.")
    return identity.name


def build_knowledge_page(ctx: AppContext) -> gr.Blocks:
    def documents() -> tuple[list[list[Any]], Any, Any]:
        listed = review.listing(ctx.kb)
        rows = [[DRAFT_LABEL if d["status"] == "draft" else "published", d["id"], d["title"], d["kind"],
                 d["language"], d["audience"], ", ".join(d["products"]), d["effective_date"] or "",
                 d["expiry_date"] or "", d["chunks"], d["uploaded_by"], d["published_by"], d["source"]]
                for d in listed]
        everything = [(f"{d['title']} ({d['id']}, {d['status']})", f"{d['id']}|{d['status']}") for d in listed]
        drafts = [(f"{d['title']} ({d['id']})", d["id"]) for d in listed if d["status"] == "draft"]
        return rows, gr.update(choices=everything, value=None), gr.update(choices=drafts, value=None)

    def upload(files: list[str] | None, request: gr.Request,
               progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            raise gr.Error("Choose one or more files first (.md .txt .pdf .docx .html .jsonl).")
        actor = _actor(request)
        lines = []
        for tmp in progress.tqdm(files, desc="ingesting"):
            name = Path(tmp).name
            existed = (uploads_dir(ctx.settings) / name).exists()
            try:
                path = save_upload(ctx.settings, name, _read_pieces(Path(tmp)))
            except (FileTooLarge, BadUpload) as err:
                lines.append(f"- ✗ {err}")
                continue
            result = ingest_upload(ctx.kb, path, existed, actor, review.product_names(ctx.answerer.catalog))
            if result.ok:
                made = review.record_ingest(ctx.audit, actor, ctx.kb, result.report)
                if made:
                    titles = "; ".join(f"“{d.title}”" for d in made)
                    lines.append(f"- ✓ {name}: draft {titles}: check its details under Review, then publish it; "
                                 "customers do not see it until then")
                else:
                    lines.append(f"- ✓ {name}: unchanged")
            else:
                lines.append(f"- ✗ {name}: " + "; ".join(e for _, e in result.report.failed))
        return ("\n".join(lines), *documents())

    def pick(document_id: str | None) -> tuple[Any, ...]:
        """Prefill the review form with the picked draft's metadata (guessed from its content on upload)."""
        if not document_id:
            return (*(gr.update(value="") for _ in _EDIT_FIELDS), "", [])
        try:
            d = review.document_dict(ctx.kb.document(document_id, draft=True))
        except UnknownDocument as err:
            raise gr.Error(str(err)) from None
        live = document_id in {doc.id for doc in ctx.kb.documents()}
        note = (f"**{d['title']}**: a draft uploaded by {d['uploaded_by'] or 'unknown'} from `{Path(d['source']).name}`"
                + (". A published version is answering customers until you publish this one." if live else
                   ". Customers do not see it until you publish it."))
        return (d["title"], d["kind"], d["audience"], ", ".join(d["products"]), d["effective_date"] or "",
                d["expiry_date"] or "", d["language"], note, history_rows(document_id))

    def history_rows(document_id: str | None) -> list[list[Any]]:
        return [[f"{e.created_at:%Y-%m-%d %H:%M}", e.actor, e.action.removeprefix("document."),
                 "; ".join(f"{k}: {v}" for k, v in e.detail.items())]
                for e in review.history(ctx.audit, document_id)] if document_id else []

    def save(document_id: str | None, title: str, kind: str | None, audience: str | None, products: str,
             effective: str, expiry: str, language: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not document_id:
            raise gr.Error("Pick a draft to edit.")
        values = (title, kind, audience, products, effective, expiry, language)
        fields = {key: "" if value is None else str(value) for key, value in zip(_EDIT_FIELDS, values, strict=True)}
        try:
            edited = review.edit(ctx.kb, ctx.audit, _actor(request), document_id, fields)
        except (UnknownDocument, ValueError) as err:
            raise gr.Error(str(err)) from None
        rows, everything, _ = documents()
        return f"saved “{edited.title}” (still a draft)", rows, everything, history_rows(document_id)

    def publish(document_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not document_id:
            raise gr.Error("Pick a draft to publish.")
        try:
            live = review.publish(ctx.kb, ctx.audit, _actor(request), document_id)
        except ReviewConflict as err:
            raise gr.Error(str(err)) from None
        return (f"published “{live.title}”: customers can be answered from it now", *documents(), [])

    def discard(document_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not document_id:
            raise gr.Error("Pick a draft to discard.")
        _, orphaned = review.remove(ctx.kb, ctx.audit, _actor(request), document_id, DocumentStatus.DRAFT)
        for source in orphaned:
            forget_upload(ctx.settings, source)
        return (f"discarded the draft {document_id}", *documents(), [])

    def chosen(choice: str | None) -> tuple[str, DocumentStatus]:
        if not choice:
            raise gr.Error("Pick a document first.")
        document_id, _, status = choice.partition("|")
        return document_id, DocumentStatus(status or "published")

    def delete(choice: str | None, request: gr.Request) -> tuple[Any, ...]:
        document_id, status = chosen(choice)
        removed, orphaned = review.remove(ctx.kb, ctx.audit, _actor(request), document_id, status)
        for source in orphaned:
            forget_upload(ctx.settings, source)
        return ((f"removed {', '.join(removed)}" if removed else f"no document {document_id}"), *documents())

    def withdraw(choice: str | None, request: gr.Request) -> tuple[Any, ...]:
        document_id, status = chosen(choice)
        if status is not DocumentStatus.PUBLISHED:
            raise gr.Error("That is a draft already; only a published document can be withdrawn.")
        try:
            draft = review.unpublish(ctx.kb, ctx.audit, _actor(request), document_id)
        except (UnknownDocument, ReviewConflict) as err:
            raise gr.Error(str(err)) from None
        return (f"withdrew “{draft.title}”: customers no longer see it; it is a draft again", *documents())

    def hit_test(query: str, k: float) -> list[list[Any]]:
        if not (query or "").strip():
            raise gr.Error("Type what a customer might ask.")
        return [[ev.rank, DRAFT_LABEL if ev.document.is_draft else "published", round(ev.score, 4),
                 round(ev.dense_score or 0.0, 3), round(ev.keyword_score or 0.0, 2), ev.citation_label(),
                 ev.chunk.text[:300]]
                for ev in ctx.hit_test.run(query, int(k), SearchFilters(include_drafts=True))]

    with gr.Blocks(title="Knowledge base") as page:
        nav_bar("/knowledge")
        gr.Markdown("## Knowledge base\nUpload product documents and regulations: they enter as drafts; check "
                    "their details under Review and publish them before customers see them. Check what a question "
                    f"retrieves under Hit-test. Files up to {ctx.settings.max_file_mb} MB. [Log out](/logout)")
        outcome = gr.Markdown(elem_id="ingest-result")
        with gr.Tab("Documents"):
            files = gr.File(label="Upload documents", file_count="multiple", file_types=FILE_TYPES,
                            elem_id="upload")
            ingest = gr.Button("Upload as drafts", variant="primary", elem_id="ingest")
            table = gr.Dataframe(headers=DOC_COLUMNS, interactive=False, elem_id="documents", wrap=True)
            with gr.Row():
                doomed = gr.Dropdown(label="Document", choices=[], elem_id="delete-choice")
                unpublish = gr.Button("Withdraw from customers", elem_id="unpublish")
                remove = gr.Button("Delete", variant="stop", elem_id="delete")
        with gr.Tab("Review"):
            draft = gr.Dropdown(label="Draft", choices=[], elem_id="draft-choice")
            about = gr.Markdown(elem_id="draft-about")
            with gr.Row():
                title = gr.Textbox(label="Title", elem_id="draft-title", scale=3)
                kind = gr.Dropdown(label="Kind", choices=[k.value for k in DocumentKind], elem_id="draft-kind")
                audience = gr.Dropdown(label="Audience", choices=[a.value for a in Audience],
                                       elem_id="draft-audience")
                language = gr.Dropdown(label="Language", choices=["zh", "en"], elem_id="draft-language")
            with gr.Row():
                products = gr.Textbox(label="Products (tags, comma-separated)", elem_id="draft-products")
                effective = gr.Textbox(label="Effective date (YYYY-MM-DD)", elem_id="draft-effective")
                expiry = gr.Textbox(label="Expiry date (YYYY-MM-DD, empty for none)", elem_id="draft-expiry")
            with gr.Row():
                save_button = gr.Button("Save changes", elem_id="draft-save")
                publish_button = gr.Button("Publish", variant="primary", elem_id="draft-publish")
                discard_button = gr.Button("Discard draft", variant="stop", elem_id="draft-discard")
            history = gr.Dataframe(headers=HISTORY_COLUMNS, interactive=False, elem_id="draft-history", wrap=True,
                                   label="History")
        with gr.Tab("Hit-test"):
            with gr.Row():
                query = gr.Textbox(label="Query", elem_id="hit-query", scale=4)
                k = gr.Slider(1, 20, value=5, step=1, label="chunks", scale=1)
            search = gr.Button("Search", elem_id="hit-search")
            gr.Markdown(f"Drafts are searched too and marked {DRAFT_LABEL}: customers never get them.")
            hits = gr.Dataframe(headers=HIT_COLUMNS, interactive=False, elem_id="hits", wrap=True)
        form = [title, kind, audience, products, effective, expiry, language]
        listed = [table, doomed, draft]
        page.load(documents, None, listed)
        ingest.click(upload, files, [outcome, *listed])
        remove.click(delete, doomed, [outcome, *listed])
        unpublish.click(withdraw, doomed, [outcome, *listed])
        draft.change(pick, draft, [*form, about, history])
        save_button.click(save, [draft, *form], [outcome, table, doomed, history])
        publish_button.click(publish, draft, [outcome, *listed, history])
        discard_button.click(discard, draft, [outcome, *listed, history])
        search.click(hit_test, [query, k], hits)
        query.submit(hit_test, [query, k], hits)
    return page
