"""The knowledge page for administrators: upload documents (they enter as drafts), review a draft's
metadata and publish it, list documents with their status, withdraw or delete one, hit-test a query
(drafts included, marked as such). Customers only ever get published documents.

Words in Chinese or English (``ui/strings.yaml``, section ``knowledge``): built in Chinese, relabelled on
load in the visitor's language."""

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
from ui.web import PageText, nav_bar, request_language, text

FILE_TYPES = [".md", ".txt", ".pdf", ".docx", ".html", ".htm", ".jsonl"]
_EDIT_FIELDS = ("title", "kind", "audience", "products", "effective_date", "expiry_date", "language")


def _read_pieces(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while piece := f.read(1 << 20):
            yield piece


def _t(language: str, key: str) -> Any:
    return text(language, f"knowledge.{key}")


def _status_label(language: str, draft: bool) -> str:
    return str(_t(language, "status_draft" if draft else "status_published"))


def _table(language: str, columns: str, rows: list[list[Any]]) -> dict[str, Any]:
    """A table's rows with its headers in ``language``: rows alone would take the headers the page was
    built with (Chinese), undoing the relabelling."""
    return {"headers": _t(language, columns), "data": rows}


def _actor(request: gr.Request | None, language: str) -> str:
    identity = parse_owner(request.username if request else None)
    if identity is None:
        raise gr.Error(_t(language, "not_logged_in"))
    return identity.name


def build_knowledge_page(ctx: AppContext) -> gr.Blocks:
    words = PageText("knowledge")

    def documents(language: str) -> tuple[dict[str, Any], Any, Any]:
        listed = review.listing(ctx.kb)
        rows = [[_status_label(language, d["status"] == "draft"), d["id"], d["title"], d["kind"],
                 d["language"], d["audience"], ", ".join(d["products"]), d["effective_date"] or "",
                 d["expiry_date"] or "", d["chunks"], d["uploaded_by"], d["published_by"], d["source"]]
                for d in listed]
        everything = [(f"{d['title']} ({d['id']}, {_status_label(language, d['status'] == 'draft')})",
                       f"{d['id']}|{d['status']}") for d in listed]
        drafts = [(f"{d['title']} ({d['id']})", d["id"]) for d in listed if d["status"] == "draft"]
        return (_table(language, "doc_columns", rows), gr.update(choices=everything, value=None),
                gr.update(choices=drafts, value=None))

    def documents_on_load(request: gr.Request) -> tuple[dict[str, Any], Any, Any]:
        return documents(request_language(request))

    def upload(files: list[str] | None, language: str, request: gr.Request,
               progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            raise gr.Error(_t(language, "choose_files"))
        actor = _actor(request, language)
        lines = []
        for tmp in progress.tqdm(files, desc=_t(language, "ingesting")):
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
                    lines.append(_t(language, "drafted").format(name=name, titles=titles))
                else:
                    lines.append(_t(language, "unchanged").format(name=name))
            else:
                lines.append(_t(language, "upload_failed").format(
                    name=name, errors="; ".join(e for _, e in result.report.failed)))
        return ("\n".join(lines), *documents(language))

    def pick(document_id: str | None, language: str) -> tuple[Any, ...]:
        """Prefill the review form with the picked draft's metadata (guessed from its content on upload)."""
        if not document_id:
            return (*(gr.update(value="") for _ in _EDIT_FIELDS), "", history_rows(None, language))
        try:
            d = review.document_dict(ctx.kb.document(document_id, draft=True))
        except UnknownDocument as err:
            raise gr.Error(str(err)) from None
        live = document_id in {doc.id for doc in ctx.kb.documents()}
        note = (_t(language, "draft_note").format(title=d["title"],
                                                  uploader=d["uploaded_by"] or _t(language, "unknown_uploader"),
                                                  source=Path(d["source"]).name)
                + _t(language, "live_note" if live else "hidden_note"))
        return (d["title"], d["kind"], d["audience"], ", ".join(d["products"]), d["effective_date"] or "",
                d["expiry_date"] or "", d["language"], note, history_rows(document_id, language))

    def history_rows(document_id: str | None, language: str) -> dict[str, Any]:
        rows = [[f"{e.created_at:%Y-%m-%d %H:%M}", e.actor, e.action.removeprefix("document."),
                 "; ".join(f"{k}: {v}" for k, v in e.detail.items())]
                for e in review.history(ctx.audit, document_id)] if document_id else []
        return _table(language, "history_columns", rows)

    def save(document_id: str | None, title: str, kind: str | None, audience: str | None, products: str,
             effective: str, expiry: str, doc_language: str | None, language: str,
             request: gr.Request) -> tuple[Any, ...]:
        if not document_id:
            raise gr.Error(_t(language, "pick_draft_edit"))
        values = (title, kind, audience, products, effective, expiry, doc_language)
        fields = {key: "" if value is None else str(value) for key, value in zip(_EDIT_FIELDS, values, strict=True)}
        try:
            edited = review.edit(ctx.kb, ctx.audit, _actor(request, language), document_id, fields)
        except (UnknownDocument, ValueError) as err:
            raise gr.Error(str(err)) from None
        rows, everything, _ = documents(language)
        return (_t(language, "saved").format(title=edited.title), rows, everything,
                history_rows(document_id, language))

    def publish(document_id: str | None, language: str, request: gr.Request) -> tuple[Any, ...]:
        if not document_id:
            raise gr.Error(_t(language, "pick_draft_publish"))
        try:
            live = review.publish(ctx.kb, ctx.audit, _actor(request, language), document_id)
        except ReviewConflict as err:
            raise gr.Error(str(err)) from None
        return (_t(language, "published").format(title=live.title), *documents(language),
                history_rows(None, language))

    def discard(document_id: str | None, language: str, request: gr.Request) -> tuple[Any, ...]:
        if not document_id:
            raise gr.Error(_t(language, "pick_draft_discard"))
        _, orphaned = review.remove(ctx.kb, ctx.audit, _actor(request, language), document_id,
                                    DocumentStatus.DRAFT)
        for source in orphaned:
            forget_upload(ctx.settings, source)
        return (_t(language, "discarded").format(id=document_id), *documents(language),
                history_rows(None, language))

    def chosen(choice: str | None, language: str) -> tuple[str, DocumentStatus]:
        if not choice:
            raise gr.Error(_t(language, "pick_document"))
        document_id, _, status = choice.partition("|")
        return document_id, DocumentStatus(status or "published")

    def delete(choice: str | None, language: str, request: gr.Request) -> tuple[Any, ...]:
        document_id, status = chosen(choice, language)
        removed, orphaned = review.remove(ctx.kb, ctx.audit, _actor(request, language), document_id, status)
        for source in orphaned:
            forget_upload(ctx.settings, source)
        return ((_t(language, "removed").format(ids=", ".join(removed)) if removed
                 else _t(language, "no_document").format(id=document_id)), *documents(language))

    def withdraw(choice: str | None, language: str, request: gr.Request) -> tuple[Any, ...]:
        document_id, status = chosen(choice, language)
        if status is not DocumentStatus.PUBLISHED:
            raise gr.Error(_t(language, "already_draft"))
        try:
            draft = review.unpublish(ctx.kb, ctx.audit, _actor(request, language), document_id)
        except (UnknownDocument, ReviewConflict) as err:
            raise gr.Error(str(err)) from None
        return (_t(language, "withdrew").format(title=draft.title), *documents(language))

    def hit_test(query: str, k: float, language: str) -> dict[str, Any]:
        if not (query or "").strip():
            raise gr.Error(_t(language, "type_query"))
        rows = [[ev.rank, _status_label(language, ev.document.is_draft), round(ev.score, 4),
                 round(ev.dense_score or 0.0, 3), round(ev.keyword_score or 0.0, 2), ev.citation_label(),
                 ev.chunk.text[:300]]
                for ev in ctx.hit_test.run(query, int(k), SearchFilters(include_drafts=True))]
        return _table(language, "hit_columns", rows)

    def intro(language: str) -> str:
        return str(_t(language, "intro")).format(max_mb=ctx.settings.max_file_mb)

    def zh(key: str) -> Any:
        return _t("zh", key)

    with gr.Blocks(title=f"{zh('page_title')} · {_t('en', 'page_title')}") as page:
        nav_bar("/knowledge")
        language = gr.State("zh")
        heading = gr.Markdown(intro("zh"))
        outcome = gr.Markdown(elem_id="ingest-result")
        with words(gr.Tab(zh("documents_tab")), "documents_tab"):
            files = words(gr.File(label=zh("upload"), file_count="multiple", file_types=FILE_TYPES,
                                  elem_id="upload"), "upload")
            ingest = words(gr.Button(zh("ingest"), variant="primary", elem_id="ingest"), "ingest", "value")
            table = words(gr.Dataframe(headers=zh("doc_columns"), interactive=False, elem_id="documents", wrap=True),
                          "doc_columns", "headers")
            with gr.Row():
                doomed = words(gr.Dropdown(label=zh("document"), choices=[], elem_id="delete-choice"), "document")
                unpublish = words(gr.Button(zh("unpublish"), elem_id="unpublish"), "unpublish", "value")
                remove = words(gr.Button(zh("delete"), variant="stop", elem_id="delete"), "delete", "value")
        with words(gr.Tab(zh("review_tab")), "review_tab"):
            draft = words(gr.Dropdown(label=zh("draft"), choices=[], elem_id="draft-choice"), "draft")
            about = gr.Markdown(elem_id="draft-about")
            with gr.Row():
                title = words(gr.Textbox(label=zh("title"), elem_id="draft-title", scale=3), "title")
                kind = words(gr.Dropdown(label=zh("kind"), choices=[k.value for k in DocumentKind],
                                         elem_id="draft-kind"), "kind")
                audience = words(gr.Dropdown(label=zh("audience"), choices=[a.value for a in Audience],
                                             elem_id="draft-audience"), "audience")
                doc_language = words(gr.Dropdown(label=zh("language"), choices=["zh", "en"],
                                                 elem_id="draft-language"), "language")
            with gr.Row():
                products = words(gr.Textbox(label=zh("products"), elem_id="draft-products"), "products")
                effective = words(gr.Textbox(label=zh("effective"), elem_id="draft-effective"), "effective")
                expiry = words(gr.Textbox(label=zh("expiry"), elem_id="draft-expiry"), "expiry")
            with gr.Row():
                save_button = words(gr.Button(zh("save"), elem_id="draft-save"), "save", "value")
                publish_button = words(gr.Button(zh("publish"), variant="primary", elem_id="draft-publish"),
                                       "publish", "value")
                discard_button = words(gr.Button(zh("discard"), variant="stop", elem_id="draft-discard"),
                                       "discard", "value")
            history = words(gr.Dataframe(headers=zh("history_columns"), interactive=False, elem_id="draft-history",
                                         wrap=True, label=zh("history")), "history_columns", "headers")
        with words(gr.Tab(zh("hit_tab")), "hit_tab"):
            with gr.Row():
                query = words(gr.Textbox(label=zh("query"), elem_id="hit-query", scale=4), "query")
                k = words(gr.Slider(1, 20, value=5, step=1, label=zh("chunks"), scale=1), "chunks")
            search = words(gr.Button(zh("search"), elem_id="hit-search"), "search", "value")
            words(gr.Markdown(zh("hit_note")), "hit_note", "value")
            hits = words(gr.Dataframe(headers=zh("hit_columns"), interactive=False, elem_id="hits", wrap=True),
                         "hit_columns", "headers")
        form = [title, kind, audience, products, effective, expiry, doc_language]
        listed = [table, doomed, draft]
        words.relabel_on_load(page, language)
        # formatted words, and a second word of one component (its label beside its headers)
        language.change(lambda lang: (intro(lang), gr.update(label=_t(lang, "history"))), language,
                        [heading, history])
        page.load(documents_on_load, None, listed)
        ingest.click(upload, [files, language], [outcome, *listed])
        remove.click(delete, [doomed, language], [outcome, *listed])
        unpublish.click(withdraw, [doomed, language], [outcome, *listed])
        draft.change(pick, [draft, language], [*form, about, history])
        save_button.click(save, [draft, *form, language], [outcome, table, doomed, history])
        publish_button.click(publish, [draft, language], [outcome, *listed, history])
        discard_button.click(discard, [draft, language], [outcome, *listed, history])
        search.click(hit_test, [query, k, language], hits)
        query.submit(hit_test, [query, k, language], hits)
    return page
