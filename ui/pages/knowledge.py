"""The knowledge page for administrators: upload documents, list them, delete one, hit-test a query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from knowledge import SearchFilters
from ui.context import AppContext
from ui.uploads import BadUpload, FileTooLarge, forget_upload, ingest_upload, save_upload, uploads_dir

DOC_COLUMNS = ["id", "title", "kind", "language", "audience", "chunks", "source"]
HIT_COLUMNS = ["rank", "fused", "cosine", "bm25", "document > section", "text"]
FILE_TYPES = [".md", ".txt", ".pdf", ".docx", ".html", ".htm", ".jsonl"]


def _read_pieces(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while piece := f.read(1 << 20):
            yield piece


def build_knowledge_page(ctx: AppContext) -> gr.Blocks:
    def documents() -> tuple[list[list[Any]], Any]:
        counts: dict[str, int] = {}
        if ctx.kb.exists():
            for chunk in ctx.kb.snapshot().chunks:
                counts[chunk.document_id] = counts.get(chunk.document_id, 0) + 1
        rows = [[d.id, d.title, d.kind.value, d.language, d.audience.value, counts.get(d.id, 0), d.source]
                for d in ctx.kb.documents()]
        return rows, gr.update(choices=[(f"{r[1]} ({r[0]})", r[0]) for r in rows], value=None)

    def upload(files: list[str] | None,
               progress: gr.Progress = gr.Progress()) -> tuple[str, list[list[Any]], Any]:  # noqa: B008
        if not files:
            raise gr.Error("Choose one or more files first (.md .txt .pdf .docx .html .jsonl).")
        lines = []
        for tmp in progress.tqdm(files, desc="ingesting"):
            name = Path(tmp).name
            existed = (uploads_dir(ctx.settings) / name).exists()
            try:
                path = save_upload(ctx.settings, name, _read_pieces(Path(tmp)))
            except (FileTooLarge, BadUpload) as err:
                lines.append(f"- ✗ {err}")
                continue
            result = ingest_upload(ctx.kb, path, existed)
            if result.ok:
                r = result.report
                verb = "added" if r.added else ("updated" if r.updated else "unchanged")
                lines.append(f"- ✓ {name}: {verb}; the knowledge base now has {r.chunks} chunks")
            else:
                lines.append(f"- ✗ {name}: " + "; ".join(e for _, e in result.report.failed))
        rows, choices = documents()
        return "\n".join(lines), rows, choices

    def delete(document_id: str | None) -> tuple[str, list[list[Any]], Any]:
        if not document_id:
            raise gr.Error("Pick a document to delete.")
        sources = {d.id: d.source for d in ctx.kb.documents()}
        removed = ctx.kb.remove([document_id])
        for doc_id in removed:
            forget_upload(ctx.settings, sources.get(doc_id, ""))
        rows, choices = documents()
        return (f"removed {', '.join(removed)}" if removed else f"no document {document_id}"), rows, choices

    def hit_test(query: str, k: float) -> list[list[Any]]:
        if not (query or "").strip():
            raise gr.Error("Type what a customer might ask.")
        return [[ev.rank, round(ev.score, 4), round(ev.dense_score or 0.0, 3), round(ev.keyword_score or 0.0, 2),
                 ev.citation_label(), ev.chunk.text[:300]]
                for ev in ctx.hit_test.run(query, int(k), SearchFilters())]

    with gr.Blocks(title="Knowledge base") as page:
        gr.Markdown("## Knowledge base\nUpload product documents and regulations, check what a question retrieves. "
                    f"Files up to {ctx.settings.max_file_mb} MB. [Log out](/logout)")
        with gr.Tab("Documents"):
            files = gr.File(label="Upload documents", file_count="multiple", file_types=FILE_TYPES,
                            elem_id="upload")
            ingest = gr.Button("Add to the knowledge base", variant="primary", elem_id="ingest")
            outcome = gr.Markdown(elem_id="ingest-result")
            table = gr.Dataframe(headers=DOC_COLUMNS, interactive=False, elem_id="documents", wrap=True)
            with gr.Row():
                doomed = gr.Dropdown(label="Document", choices=[], elem_id="delete-choice")
                remove = gr.Button("Delete", variant="stop", elem_id="delete")
        with gr.Tab("Hit-test"):
            with gr.Row():
                query = gr.Textbox(label="Query", elem_id="hit-query", scale=4)
                k = gr.Slider(1, 20, value=5, step=1, label="chunks", scale=1)
            search = gr.Button("Search", elem_id="hit-search")
            hits = gr.Dataframe(headers=HIT_COLUMNS, interactive=False, elem_id="hits", wrap=True)
        page.load(documents, None, [table, doomed])
        ingest.click(upload, files, [outcome, table, doomed])
        remove.click(delete, doomed, [outcome, table, doomed])
        search.click(hit_test, [query, k], hits)
        query.submit(hit_test, [query, k], hits)
    return page
